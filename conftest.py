"""Repository-wide pytest setup: notebooks run with progress bars off, so outputs are stable."""

import os
import tempfile
from pathlib import Path

# Set before nbval starts any kernel; kernels inherit the environment.
os.environ.setdefault("MNIST_LAB_PROGRESS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MNIST_LAB_WIDGETS", "static")  # explorers show figures, not widget models
os.environ.setdefault("MNIST_LAB_CLAIMS", "strict")  # a lesson claim that fails is a test failure

HERE = Path(__file__).resolve().parent


def numbers_masked() -> bool:
    """True when notebooks run on an accelerator (or MNIST_LAB_NBVAL_NUMBERS=masked): the committed
    outputs are the CPU's, so nbval compares text and structure and the claims check the numbers."""
    if os.environ.get("MNIST_LAB_NBVAL_NUMBERS", "").lower() == "masked":
        return True
    from mnist_lab.device import get_device

    return get_device().type != "cpu"


def pytest_configure(config):
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if not sanitize or not numbers_masked():
        return
    rules = Path(sanitize).read_text() + "\n" + (HERE / "nbval-sanitize-gpu.cfg").read_text()
    combined = Path(tempfile.mkdtemp(prefix="mnist-lab-nbval-")) / "sanitize.cfg"
    combined.write_text(rules)
    config.option.nbval_sanitize_with = str(combined)
