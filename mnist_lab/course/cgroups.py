"""A memory and process-count limit for a whole sandbox's process tree, with cgroups (grading).

cgroup v2 (`memory.max`, `pids.max`, `memory.swap.max`) when the grader's own cgroup lets it
create children with those controllers; else cgroup v1 (`memory.limit_in_bytes`,
`memory.memsw.limit_in_bytes`, `pids.max`) when those hierarchies are writable. Memory counts
real memory (resident pages, tmpfs files), not address space: CUDA builds of torch reserve tens
of GB of address space at start-up and crash under RLIMIT_AS (the GPU issue). `Cgroup.create`
returns None when neither works; the sandbox then falls back to per-process rlimits and says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def _own(controller: str | None) -> str | None:
    """This process's cgroup path for a v1 controller, or its v2 path (controller None)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller is None and names == "") or controller in names.split(","):
            return path
    return None


class Cgroup:
    """One cgroup per sandbox: its folders (one per hierarchy), limits, and its processes."""

    def __init__(self, folders: list[Path], version: int):
        self.folders, self.version = folders, version

    @classmethod
    def create(cls, name: str, memory_bytes: int, pids: int) -> Cgroup | None:
        """A new cgroup with these limits, or None where cgroups are not available to us."""
        for make in (cls._v2, cls._v1):
            with contextlib.suppress(OSError, ValueError, TypeError):
                group = make(name, memory_bytes, pids)
                if group is not None:
                    return group
        return None

    @classmethod
    def _v2(cls, name: str, memory_bytes: int, pids: int) -> Cgroup | None:
        base = ROOT if (ROOT / "cgroup.controllers").exists() else ROOT / "unified"
        own = _own(None)
        if own is None or not (base / "cgroup.controllers").exists():
            return None
        parent = base / own.lstrip("/")
        if not {"memory", "pids"} <= set((parent / "cgroup.controllers").read_text().split()):
            return None
        (parent / "cgroup.subtree_control").write_text("+memory +pids")
        folder = parent / name
        folder.mkdir()
        (folder / "memory.max").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):
            (folder / "memory.swap.max").write_text("0")
        (folder / "pids.max").write_text(str(pids))
        return cls([folder], 2)

    @classmethod
    def _v1(cls, name: str, memory_bytes: int, pids: int) -> Cgroup | None:
        memory, pid = _own("memory"), _own("pids")
        if memory is None or pid is None:
            return None
        folders = [ROOT / "memory" / memory.lstrip("/") / name, ROOT / "pids" / pid.lstrip("/")
                   / name]
        for folder in folders:
            folder.mkdir()
        (folders[0] / "memory.limit_in_bytes").write_text(str(memory_bytes))
        with contextlib.suppress(OSError):  # no swap accounting: memory alone is limited
            (folders[0] / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        (folders[1] / "pids.max").write_text(str(pids))
        return cls(folders, 1)

    @property
    def procs_files(self) -> list[str]:
        """Files a process writes its pid to, to join (the sandbox's launcher does)."""
        return [str(f / "cgroup.procs") for f in self.folders]

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def kill(self) -> None:
        """SIGKILL every process in the group, until none is left (forks race the kill)."""
        if self.version == 2 and (self.folders[0] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (self.folders[0] / "cgroup.kill").write_text("1")
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill()
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
