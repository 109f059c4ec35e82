"""Repository-wide pytest setup: notebooks run with progress bars off, so outputs are stable."""

import os

# Set before nbval starts any kernel; kernels inherit the environment.
os.environ.setdefault("MNIST_LAB_PROGRESS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MNIST_LAB_WIDGETS", "static")  # explorers show figures, not widget models
os.environ.setdefault("MNIST_LAB_CLAIMS", "strict")  # a lesson claim that fails is a test failure
