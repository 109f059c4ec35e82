"""Finding the data files on this machine, without fetching anything (lesson 00).

Places, in search order: an explicit `root=` (else $MNIST_LAB_DATA), the user cache, the system
folders. In each, a file may be NAME or NAME.gz. Looking never raises for a place that cannot be
read: it notes why (and the fix) and goes on to the next place, so a file that is available
elsewhere still loads.

A root may hold files the torchvision way (<root>/MNIST/raw/) or directly (a "flat" folder).
MNIST and Fashion-MNIST use the same file names, so a file in a flat folder is taken only if its
content checksum is one of the data set asked for; another data set's file there is skipped.
"""

from __future__ import annotations

import functools
import os
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mnist_lab.cachedir import user_cache
from mnist_lab.catalogue import ENV_VAR, Dataset, owner_of
from mnist_lab.idx import DataError, DataUnavailable, read_content, sha256_hex

Found = dict[str, tuple[Path, str]]  # {file name: (path, source label)}


@dataclass(frozen=True)
class Place:
    """One source on this machine: a label for messages and its folders (flat or not)."""

    label: str
    folders: tuple[Path, ...]
    flat: Path | None = None  # the one folder among `folders` that is flat, if any


def local_places(ds: Dataset, root: str | Path | None = None) -> list[Place]:
    """The local sources in search order."""
    places = []
    chosen, label, undo = root, "explicit root", "drop root= to use the usual places"
    if root is None:
        chosen, label, undo = os.environ.get(ENV_VAR), f"${ENV_VAR}", f"unset {ENV_VAR}"
    if chosen:
        folder = Path(chosen).expanduser()
        if not os.path.isdir(folder):  # a typo would otherwise silently load from elsewhere
            what, step = "does not exist", "Fix the path"
            if os.path.exists(folder):  # e.g. the path of one of the data files
                what = "is a file, not a folder"
                step = f"Give the folder that holds the files (here perhaps {folder.parent})"
            raise DataUnavailable(
                f"The data folder given as {label} {what}.",
                path=folder, expected="an existing folder holding the IDX files",
                fix=[f"{step}, or {undo} (the user cache, then the mirrors)."],
            )
        places.append(Place(label, (folder / ds.folder / "raw", folder), flat=folder))
    places.append(Place("user cache", (user_cache() / ds.folder / "raw",)))
    places += [Place("system folder", (d,)) for d in ds.system_dirs]
    return places


def find_local(
    ds: Dataset, names: Sequence[str], root: str | Path | None = None
) -> tuple[Found, list[str]]:
    """Find files locally: ({name: (path, source)}, the places looked in, for error messages)."""
    found: Found = {}
    tried = [] if root is not None or os.environ.get(ENV_VAR) else [
        f"explicit root / ${ENV_VAR}: not given"
    ]
    for place in local_places(ds, root):
        notes: list[str] = []
        others: dict[str, list[str]] = {}  # another data set's title: its files found here
        for folder in place.folders:
            if not _enterable(folder):
                notes.append(f"{folder} cannot be entered (permission denied): "
                             f"`chmod u+rx {folder}`, or ask its owner")
                continue
            for name in names:
                if name not in found:
                    path = _pick(ds, name, folder, flat=folder == place.flat, notes=notes,
                                 others=others)
                    if path is not None:
                        found[name] = (path, place.label)
        notes += [f"{place.flat}/{{{','.join(files)}}} are {title}'s files, not {ds.title}'s "
                  "(told apart by checksum): skipped" for title, files in others.items()]
        where = ", ".join(map(str, place.folders))
        tried.append(f"{place.label} {where}: " + ("; ".join(notes) or "not there"))
    return found, tried


def _enterable(folder: Path) -> bool:
    """False only for a folder that exists but this user may not look into."""
    return not os.path.isdir(folder) or os.access(folder, os.X_OK)  # files are opened by name


def _pick(
    ds: Dataset, name: str, folder: Path, *, flat: bool, notes: list[str],
    others: dict[str, list[str]],
) -> Path | None:
    """NAME or NAME.gz in `folder` if usable here; note why a present file is not used."""
    for path in (folder / name, folder / f"{name}.gz"):
        problem = _probe(path)
        if problem == "absent":
            continue
        if problem:
            notes.append(f"{path} {problem}")
            continue
        if not flat:
            return path
        digest = _digest(path)
        if digest == ds.spec(name).sha256:
            return path
        owner = owner_of(name, digest) if digest else None
        if owner is not None:
            others.setdefault(owner.title, []).append(path.name)
            continue
        notes.append(f"{path} matches no {ds.title} file (corrupt, or another data set's): "
                     "skipped; if it is meant to be this one, replace it")
        warnings.warn(f"{path} is not {ds.title}'s {name} (its checksum is not the published "
                      "one); it is skipped and the next source is used.", stacklevel=4)
    return None


def _probe(path: Path) -> str:
    """'' for a readable regular file, 'absent', or what is wrong with it and the fix."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return "absent"
    except OSError as err:
        return f"cannot be looked at ({err.strerror})"
    if stat.S_ISDIR(st.st_mode):  # e.g. Kaggle's download: NAME/NAME
        return f"is a folder, not a file: put the file itself here (is it {path / path.name}?)"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a device or a pipe): replace it with the data file"
    if not os.access(path, os.R_OK):
        return f"exists but cannot be read (permission denied): `chmod a+r {path}`, or its owner"
    return ""


def _digest(path: Path) -> str:
    """sha256 of the file's (gunzipped) content; '' if it cannot be read or unpacked."""
    try:
        st = path.stat()
        return _content_sha256(path, st.st_size, st.st_mtime_ns, st.st_ino)
    except (OSError, DataError):
        return ""


@functools.lru_cache(maxsize=64)
def _content_sha256(path: Path, size: int, mtime_ns: int, inode: int) -> str:
    """sha256 of the (gunzipped) content; remembered while the file's size and mtime stay."""
    return sha256_hex(read_content(path))
