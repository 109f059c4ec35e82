"""Pick the compute device, and make runs reproducible (lesson 00)."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV = "MNIST_LAB_DEVICE"
NO_FLOAT64 = {"mps"}  # device types without float64 (Apple's MPS)


def get_device(preferred: str | torch.device | None = None) -> torch.device:
    """Return `preferred`, else $MNIST_LAB_DEVICE, else cuda, then mps, then cpu."""
    choice = preferred if preferred is not None else os.environ.get(DEVICE_ENV) or None
    if choice is not None:
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"Device {str(device)!r} was asked for (argument or ${DEVICE_ENV}), but PyTorch "
                "sees no CUDA GPU. Unset the variable or choose 'cpu'."
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(
                f"Device 'mps' was asked for (argument or ${DEVICE_ENV}), but MPS is not "
                "available on this machine. Unset the variable or choose 'cpu'."
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def widest_float(device: str | torch.device) -> torch.dtype:
    """float64 for exact sums and ratios, or float32 on MPS, which has no float64."""
    return torch.float32 if torch.device(device).type in NO_FLOAT64 else torch.float64


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch.Generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
