"""The tensor cache: the verified tensors of one data set and split, in one file (lesson 00).

One file per data set and split, laid out so that a reload is one read and no copy:

    MAGIC | header length (4 bytes) | JSON header: key and shapes | pixels (uint8) |
    labels (uint8) | crc32 of everything before it (4 bytes)

The key lists each raw file's path, size, mtime_ns and crc32: any change to a raw file makes
the cache stale, and the raw file is then verified afresh against its published sha256.
Every reload checks the cache's own content against the same published sha256s (the pixels and
the labels behind their IDX header hash to exactly the raw files' checksums), so a flipped
byte, a cut-short file, or a well-formed one holding other data (labels shuffled, another data
set's images) is never used. (The crc32 trailer is still written for other versions of this
code that check it; the sha256 check covers more at about the same cost. torch.save would work
too, but its reload copies the data twice, and its zip format does not check its own bytes.)

The cache only ever speeds loading up: one that is bad is rebuilt from the verified raw files
with a warning naming it, and one that cannot be read or written (another user's folder, a full
disk) gives a warning and the raw files are read instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from mnist_lab.advice import os_error_steps
from mnist_lab.cachedir import temporary, user_cache
from mnist_lab.catalogue import Dataset
from mnist_lab.idx import IdxSpec

CACHE_MAGIC = b"mnist-lab tensors v1\n"


def tensor_cache_path(ds: Dataset, split: str) -> Path:
    """Where the verified tensors of one split are cached."""
    # A new layout gets a new name, so an old file is never mistaken for a corrupt one.
    return user_cache() / ds.folder / "processed" / f"{split}.v1.tensors"


def source_key(paths: Sequence[Path]) -> list[dict]:
    """What the tensor cache is valid for: each raw file's path, size, mtime and crc32."""
    key = []
    for path in paths:
        st = path.stat()
        key.append({"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                    "crc32": file_crc32(path)})
    return key


def file_crc32(path: Path) -> int:
    """crc32 of a file's bytes (about 15 ms for 47 MB), read in 1 MB chunks into one buffer."""
    crc, buffer = 0, bytearray(1 << 20)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            crc = zlib.crc32(view[:n], crc)
    return crc


def load_tensors(
    path: Path, key: list[dict], specs: Sequence[IdxSpec]
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Cached (images, labels) if fresh for `key` and intact; else None, and the caller rebuilds.

    `specs` are the images and labels files' IdxSpecs: the cached tensors must have their
    shapes and published sha256s. None when the file is absent or stale (written for other raw
    files); also, with a warning, when it is unreadable or bad (corrupt, cut short, not this
    format, or other data than the published files).
    """
    try:
        if not os.path.isfile(path):
            return None
        data = _read_all(path)  # uint8 [file size]
    except OSError as err:  # e.g. a cache folder owned by another user: read the raw files
        _warn(f"Could not read the tensor cache {path} ({err.strerror or err}); loading works "
              "but stays slow.", err, path.parent)
        return None
    try:
        return _parse(data, key, specs)
    except ValueError as err:  # a bad cache is only a slow load: never an error, never used
        warnings.warn(f"The tensor cache {path} is bad: {err}. It is not used: it is rebuilt "
                      "from the verified raw files.", stacklevel=3)
        return None


def _parse(
    data: np.ndarray, key: list[dict], specs: Sequence[IdxSpec]
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The tensors in a cache file's bytes; None if stale; ValueError saying what is wrong."""
    if data[: len(CACHE_MAGIC)].tobytes() != CACHE_MAGIC:
        raise ValueError(f"it does not start with {CACHE_MAGIC!r} (not this format, or corrupt)")
    start = len(CACHE_MAGIC) + 4
    end = start + int.from_bytes(data[start - 4 : start].tobytes(), "big")
    try:
        stale = json.loads(data[start:end].tobytes())["key"] != key
    except (ValueError, KeyError, TypeError) as err:  # JSON and UTF-8 errors are ValueErrors
        raise ValueError(f"its header cannot be read ({type(err).__name__}: {err})") from None
    if stale:
        return None
    sizes = [math.prod(spec.shape) for spec in specs]
    if len(data) != end + sum(sizes) + 4:  # + the crc32 trailer
        raise ValueError(f"it has {len(data)} bytes where {end + sum(sizes) + 4} hold "
                         f"{' and '.join(spec.describe(spec.shape) for spec in specs)}")
    tensors, offset = [], end
    for spec, size in zip(specs, sizes, strict=True):
        part, offset = data[offset : offset + size], offset + size  # a view: no copy
        digest = hashlib.sha256(spec.header)
        digest.update(part)
        if digest.hexdigest() != spec.sha256:
            raise ValueError(f"its {spec.describe(spec.shape)} do not match the published "
                             f"sha256 of {spec.name} (corrupt, or other data)")
        tensors.append(torch.from_numpy(part).reshape(spec.shape))
    images, labels = tensors
    return images, labels.long()


def _read_all(path: Path) -> np.ndarray:
    """A file's bytes in a fresh uint8 array (np.empty: no time spent zero-filling 47 MB)."""
    data = np.empty(path.stat().st_size, dtype=np.uint8)
    view, done = memoryview(data), 0
    with open(path, "rb", buffering=0) as f:
        while done < len(data) and (n := f.readinto(view[done:])):
            done += n
    return data[:done]


def save_tensors(path: Path, key: list[dict], images: torch.Tensor, labels: torch.Tensor) -> None:
    """Write the tensor cache atomically; warn (do not fail) when the cache is not writable."""
    header = json.dumps({"key": key, "images": list(images.shape), "labels": list(labels.shape)})
    parts = [
        CACHE_MAGIC,
        len(header.encode()).to_bytes(4, "big"),
        header.encode(),
        images.to(torch.uint8).contiguous().numpy().tobytes(),
        labels.to(torch.uint8).contiguous().numpy().tobytes(),  # class numbers 0..9 fit a byte
    ]
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary(path.parent, path.name) as tmp:
            with open(tmp, "wb") as out:
                out.writelines([*parts, crc.to_bytes(4, "big")])
            os.replace(tmp, path)
    except OSError as err:
        _warn(f"Could not write the tensor cache {path} ({err.strerror or err}); loading works "
              "but stays slow.", err, path.parent)


def _warn(problem: str, err: OSError, folder: Path) -> None:
    warnings.warn(" ".join([problem, *os_error_steps(err, folder)]), stacklevel=4)
