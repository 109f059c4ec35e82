"""Shared fixtures: tiny IDX files, and a tiny data set wired into mnist_lab.sources.

The tiny data set has real IDX files (28x28 images, labels 0..9 in turn) whose checksums go into
a swapped-in catalogue entry, so tests exercise the same code paths as the real MNIST.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from mnist_lab import sources
from mnist_lab.idx import IMAGES_MAGIC, LABELS_MAGIC, IdxSpec

TINY_COUNTS = {
    "train-images-idx3-ubyte": 30,
    "train-labels-idx1-ubyte": 30,
    "t10k-images-idx3-ubyte": 20,
    "t10k-labels-idx1-ubyte": 20,
}


def idx_bytes(name: str, count: int, *, magic: int | None = None, side: int = 28) -> bytes:
    """A valid IDX file for `name`: random pixels, or labels 0, 1, ..., 9, 0, 1, ..."""
    if "-images-" in name:
        rng = np.random.default_rng(count)
        body = rng.integers(0, 256, size=(count, side, side), dtype=np.uint8)
        dims, default_magic = (count, side, side), IMAGES_MAGIC
    else:
        body = (np.arange(count) % 10).astype(np.uint8)
        dims, default_magic = (count,), LABELS_MAGIC
    header = (magic or default_magic).to_bytes(4, "big")
    header += b"".join(d.to_bytes(4, "big") for d in dims)
    return header + body.tobytes()


def flip_byte(path: Path, offset: int = -1) -> None:
    """Flip every bit of one byte in place (the default: the last byte)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@dataclasses.dataclass
class Tiny:
    """The tiny data set: its catalogue entry, the good file contents and a folder holding them."""

    dataset: sources.Dataset
    contents: dict[str, bytes]
    folder: Path  # a folder with the four good files, uncompressed
    cache: Path  # the isolated user cache ($XDG_CACHE_HOME/mnist-lab)

    def write(self, folder: Path, names=None, *, gz: bool = False) -> list[Path]:
        """Write (some of) the good files into `folder`, gzipped or not."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in names or self.contents:
            data = self.contents[name]
            path = folder / (f"{name}.gz" if gz else name)
            path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
            paths.append(path)
        return paths

    def use(self, monkeypatch, **changes) -> sources.Dataset:
        """Swap a changed copy (mirrors=..., npm_package=...) into the catalogue and return it."""
        self.dataset = dataclasses.replace(self.dataset, **changes)
        monkeypatch.setitem(sources.DATASETS, self.dataset.name, self.dataset)
        return self.dataset


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user cache; $MNIST_LAB_DATA unset. Returns the cache root."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    return tmp_path / "xdg" / "mnist-lab"


@pytest.fixture
def tiny(tmp_path, isolated_cache, monkeypatch) -> Tiny:
    """The tiny MNIST stand-in, installed as sources.DATASETS["mnist"] with no remote sources."""
    contents = {name: idx_bytes(name, n) for name, n in TINY_COUNTS.items()}
    specs = tuple(
        IdxSpec(name, TINY_COUNTS[name], hashlib.sha256(data).hexdigest())
        for name, data in contents.items()
    )
    dataset = sources.Dataset(name="mnist", folder="MNIST", files=specs)
    monkeypatch.setitem(sources.DATASETS, "mnist", dataset)
    tiny = Tiny(dataset, contents, tmp_path / "files", isolated_cache)
    tiny.write(tiny.folder)
    return tiny
