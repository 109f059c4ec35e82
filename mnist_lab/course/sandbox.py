"""Where student code runs while grading: a bubblewrap sandbox with a warm Python (grading).

`Slot` starts one sandbox with `bwrap`: new user, PID, network, IPC, UTS and cgroup namespaces,
uid/gid 65534 and no capabilities, a read-only view of only the Python installation (its
standard library and site-packages) and the `mnist_lab` package (not `course/`, not the
solutions, not the submissions, not OUT_DIR), a private tmpfs as /tmp, home and working folder, and
/dev/shm (the only writable places: the root and /dev are remounted read-only),
`--die-with-parent` and `--new-session` (no terminal to inject keys into). Inside, the zygote of
mnist_lab.course.worker imports torch once and forks one worker per submission; a slot grades
one submission at a time, so a submission never shares its sandbox with another's code.

Limits: wall-clock per submission, enforced here (a missed deadline kills the whole sandbox);
memory (real memory, not address space) and process count for the sandbox's whole process tree
with a cgroup (mnist_lab.course.cgroups), or, where cgroups are not writable, RLIMIT_NPROC per
uid inside the sandbox's user namespace and RLIMIT_AS per process (CPU-only torch only: a CUDA
build reserves more address space than any sensible limit). The worker sees no GPU
(`CUDA_VISIBLE_DEVICES=""`): grading runs on the CPU.

`--no-sandbox` (only when bwrap is missing or broken, e.g. macOS) runs the same zygote as a
plain process of the grader's user: the checks still run on the grader's side, but the student
code can read and write what the grader's user can. It is never the default.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import torch

from mnist_lab.course import wire
from mnist_lab.course.cgroups import Cgroup

GB = 1024**3
NOBODY = 65534
_BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[4]); "
         "from mnist_lab.course.worker import zygote_main; zygote_main()")
_ENV = {"PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg", "MNIST_LAB_PROGRESS": "0", "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "", "HOME": "/tmp", "TMPDIR": "/tmp", "USER": "nobody",
        "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache",
           "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives")
_PACKAGE_AT = "/opt/mnist-lab"  # where the sandbox sees the mnist_lab package


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    """Limits for one submission (grading)."""

    timeout: float = 60.0  # wall-clock seconds for a submission's cells and tests
    memory_gb: float = 4.0  # real memory of the sandbox's processes together (cgroup)
    processes: int = 64  # processes and threads in the sandbox at once
    output_bytes: int = 64 * 1024  # of the student's printed output kept for the log
    startup: float = 180.0  # seconds for a sandbox to import torch and get ready

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.startup <= 0:
            raise ValueError(f"timeouts must be positive, got {self.timeout} and {self.startup}")
        if self.memory_gb < 1:
            raise ValueError(f"memory_gb={self.memory_gb} is too small: torch needs about "
                             "0.5 GB of memory to import; use 2 or more")
        if self.processes < 8:
            raise ValueError(f"processes={self.processes} is too small: use 16 or more")


def bwrap_problem() -> str | None:
    """Why bwrap cannot isolate here (None: it can)."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux namespaces; this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        done = subprocess.run(["bwrap", *_namespaces(), "--ro-bind", "/", "/", "true"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()[:200]
        return f"bwrap cannot create namespaces here ({why}); user namespaces may be disabled"
    return None


def _namespaces() -> list[str]:
    return ["--unshare-all", "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]


def _python_paths() -> tuple[list[str], list[str]]:
    """(folders to bind read-only, sys.path inside): the Python install and the package only."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix,
                                           os.path.dirname(os.path.realpath(sys.executable)))}
    inside = [_PACKAGE_AT]
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        if real and os.path.isdir(real) and any(real == r or real.startswith(r + os.sep)
                                                for r in roots):
            inside.append(real)
    return sorted(roots), inside


class Slot:
    """One sandbox with a warm zygote; grades one submission at a time (not thread-safe)."""

    def __init__(self, limits: Limits, preload: list[str], sandbox: bool = True):
        self.limits, self.preload, self.sandboxed = limits, preload, sandbox
        self.process: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.cgroup: Cgroup | None = None
        self.enforced = ""  # what limits hold, in words (for the summary)

    def start(self) -> None:
        mine, theirs = socket.socketpair()
        memory = int(self.limits.memory_gb * GB)
        if self.cgroup is not None:  # a restart after a kill: the old group goes first
            self.cgroup.remove()
        self.cgroup = Cgroup.create(f"mnist-lab-{uuid.uuid4().hex[:12]}", memory,
                                    self.limits.processes)
        fallback: dict = {"sandboxed": self.sandboxed}
        if self.cgroup is None:
            fallback["nproc"] = self.limits.processes
            if torch.version.cuda is None:
                fallback["address_space"] = memory
        self.enforced = self._describe(fallback)
        roots, path = _python_paths()
        python = [sys.executable, "-I", "-c", _BOOT, json.dumps(self.preload),
                  json.dumps(fallback), str(theirs.fileno()), json.dumps(path)]
        if self.sandboxed:
            binds = [a for p in _SYSTEM for a in ("--ro-bind-try", p, p)]
            binds += [a for r in roots for a in ("--ro-bind", r, r)]
            package = str(Path(__file__).resolve().parents[1])
            binds += ["--ro-bind", package, f"{_PACKAGE_AT}/mnist_lab"]
            # The private /tmp first, the read-only binds after it: a checkout or venv that
            # lives under /tmp (a CI clone, say) must stay visible inside the sandbox. Then
            # the root and /dev become read-only: /tmp and /dev/shm are the only places a
            # submission can write, and the zygote empties both before the next one runs
            # (a file left in /opt/mnist-lab would be imported by the next student's code).
            command = ["bwrap", *_namespaces(), "--proc", "/proc", "--dev", "/dev",
                       "--tmpfs", "/dev/shm", "--tmpfs", "/tmp", *binds,
                       "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp",
                       "--", *python]
        else:
            command = python
            python[-1] = json.dumps([str(Path(__file__).resolve().parents[2]), *path[1:]])
        if self.cgroup is not None:  # join the cgroup before bwrap starts, children inherit it
            joins = "".join(f'echo $$ > "{f}" && ' for f in self.cgroup.procs_files)
            command = ["/bin/sh", "-c", joins + 'exec "$@"', "sh", *command]
        env = dict(_ENV)
        if not self.sandboxed:
            env["TMPDIR"] = env["HOME"] = self._plain_tmp = _private_folder()
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        theirs.close()
        self.control = mine
        try:
            header, _ = wire.recv(mine, time.monotonic() + self.limits.startup)
        except (wire.PeerGone, wire.WireError):
            err = self.process.stderr.read(2000).decode(errors="replace") if \
                self.process.poll() is not None else "no answer"
            self.kill()
            raise SandboxUnavailable(f"the grading sandbox did not start: {err.strip()}") from None
        if header.get("op") != "ready":
            self.kill()
            raise SandboxUnavailable("the grading sandbox did not start")

    def _describe(self, fallback: dict) -> str:
        if self.cgroup is not None:
            return (f"cgroup v{self.cgroup.version}: {self.limits.memory_gb:g} GB of memory and "
                    f"{self.limits.processes} processes for each sandbox's whole process tree")
        text = f"no writable cgroup: RLIMIT_NPROC {self.limits.processes} per sandbox uid"
        if fallback.get("address_space"):
            return text + f", RLIMIT_AS {self.limits.memory_gb:g} GB per process"
        return text + ", NO memory limit (a CUDA torch cannot run under RLIMIT_AS)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def open_job(self) -> tuple[socket.socket, _Output]:
        """A connection to a fresh worker, and its captured output."""
        if not self.alive():
            self.start()
        mine, theirs = socket.socketpair()
        out_r, out_w = os.pipe()
        try:
            socket.send_fds(self.control, [b"job"], [theirs.fileno(), out_w])
        except OSError:
            os.close(out_r)
            mine.close()
            raise
        finally:
            theirs.close()
            os.close(out_w)
        return mine, _Output(out_r, self.limits.output_bytes)

    def close_job(self, conn: socket.socket) -> int | None:
        """End the worker; its exit status (None if the zygote did not say: then it is killed)."""
        with contextlib.suppress(OSError):
            wire.send(conn, {"op": "exit"})
        conn.close()
        try:
            header, _ = wire.recv(self.control, time.monotonic() + 5)
        except (wire.PeerGone, wire.WireError, OSError):
            self.kill()
            return None
        if header.get("clean") is not True:  # something the next student would find: a
            self.kill()  # fresh sandbox (new /tmp, /dev/shm, IPC namespace) for them
        status = header.get("status")
        return status if type(status) is int else None

    def kill(self) -> None:
        """Kill the whole sandbox (a missed deadline, or the zygote misbehaved)."""
        if self.cgroup is not None:
            self.cgroup.kill()
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, 9)
            self.process.wait()
            self.process.stderr.close()
            self.process = None
        if self.control is not None:
            self.control.close()
            self.control = None

    def close(self) -> None:
        self.kill()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if not self.sandboxed and getattr(self, "_plain_tmp", None):
            shutil.rmtree(self._plain_tmp, ignore_errors=True)


def _private_folder() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="mnist-lab-nosandbox-")


class _Output(threading.Thread):
    """Reads a worker's stdout/stderr in the background, keeping the first `cap` bytes."""

    def __init__(self, fd: int, cap: int):
        super().__init__(daemon=True)
        self.fd, self.cap, self.data = fd, cap, bytearray()
        self.start()

    def run(self) -> None:
        while chunk := os.read(self.fd, 1 << 16):
            self.data += chunk[: max(0, self.cap - len(self.data))]
        os.close(self.fd)

    def text(self, wait: float = 2.0) -> str:
        self.join(wait)
        return bytes(self.data).decode("utf-8", "replace")
