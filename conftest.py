"""Repository-wide pytest setup: notebooks run with progress bars off, so outputs are stable."""

import os
import tempfile
from pathlib import Path

import torch

from mnist_lab.course.runner import HEADLESS_ENV

# Set before nbval starts any kernel; kernels inherit the environment. Notebooks run as the build
# that wrote their outputs ran them: no progress bars, static figures instead of widget models,
# a failed claim is a test failure, and one CPU thread per process. The thread count is forced:
# torch's results change in the last bits with it, and the committed outputs are one thread's.
for name, value in HEADLESS_ENV.items():
    if name.endswith("_NUM_THREADS"):
        os.environ[name] = value
    else:
        os.environ.setdefault(name, value)
torch.set_num_threads(int(HEADLESS_ENV["OMP_NUM_THREADS"]))  # torch is imported above already

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
