"""MNIST as tensors (lesson 00). PROVISIONAL: the full source chain and verification come next."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnist-lab"


def _read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(split: str = "train", root=None, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (uint8 [N,28,28]) and labels (int64 [N]) of one split."""
    raw = Path(root or _cache_root()) / "MNIST" / "raw"
    img_name, lbl_name = FILES[split]
    images = torch.from_numpy(_read_idx(raw / img_name).copy())
    labels = torch.from_numpy(_read_idx(raw / lbl_name).astype(np.int64))
    return images.to(device or "cpu"), labels.to(device or "cpu")
