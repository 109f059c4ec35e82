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


# ---- PROVISIONAL container and helpers (to be hardened) ----
from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class Splits:
    """Train / validation / test tensors: x float32 [N, 784], y int64 [N]."""

    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor] | None = None
    test: tuple[torch.Tensor, torch.Tensor] | None = None


def scale(images: torch.Tensor) -> torch.Tensor:
    """uint8 [N,28,28] → float32 [N,784] in [0,1], the book's pixels/255."""
    return images.reshape(len(images), -1).float() / 255.0


def load_splits(val_size: int = 0, seed: int = 0, device=None) -> Splits:
    """MNIST scaled to [0,1]; the last `val_size` training images become validation."""
    xtr, ytr = load_mnist("train", device=device)
    xte, yte = load_mnist("test", device=device)
    xtr, xte = scale(xtr), scale(xte)
    if val_size:
        perm = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(seed)).to(xtr.device)
        tr, va = perm[:-val_size], perm[-val_size:]
        return Splits((xtr[tr], ytr[tr]), (xtr[va], ytr[va]), (xte, yte))
    return Splits((xtr, ytr), None, (xte, yte))
