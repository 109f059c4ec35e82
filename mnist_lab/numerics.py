"""Floating-point hazards of training: a loss that diverges to NaN/inf, and slow denormals.

Every training loop of the package (`fit`, `train_stacked`, the per-sample engines of
`mnist_lab.fastpath` and the book's reference loop) reports divergence with the one error here,
`TrainingDiverged`, and looks for it with `check_finite`: one host sync per check, so the loops
call it every few steps, not after every step (lessons 01, 08 and 14).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import torch


class TrainingDiverged(RuntimeError):
    """The loss became NaN or inf; the message says where and what to try (lessons 01, 08, 14).

    `step` is the step (from 1) where it was found, when the loop knows it.
    """

    def __init__(self, message: str, step: int | None = None) -> None:
        super().__init__(message)
        self.step = step


def check_finite(values: torch.Tensor, diagnose: Callable[[], TrainingDiverged]) -> None:
    """Raise `diagnose()` unless every entry of `values` is finite (one host sync).

    `values` is typically a loss summed on the device since the last check: one NaN or inf
    anywhere makes the sum non-finite. `diagnose` builds the error only when one is needed, so
    it may look at more tensors (the inputs, the recorded losses) to say what went wrong.
    """
    if not bool(torch.isfinite(values).all()):
        raise diagnose()


def lr_too_high(step: int, lr: float, exact: bool = True) -> TrainingDiverged:
    """The per-sample engines' divergence error: the step and the usual cure (lesson 01)."""
    where = f"at step {step:,}" if exact else f"by step {step:,} (not checked every step)"
    return TrainingDiverged(
        f"The loss became NaN or infinite {where}: training diverged. The usual cause is a "
        f"learning rate that is too high (lr={lr:g}); try one 3-10x smaller.",
        step,
    )


@contextlib.contextmanager
def flush_denormals(enabled: bool = True) -> Iterator[bool]:
    """Flush denormal floats to zero on this thread inside the block; yields whether supported.

    torch.set_flush_denormal sets the FTZ/DAZ bits of the calling thread's MXCSR register, and
    numba code called from this thread runs under them too (numba's own worker threads would
    not: the kernels are single-threaded). Adam needs it. While a pixel stays dark its gradient is
    0, so its first moment shrinks, m ← m + 0.1·(0 − m), until 0.1·m is too small to change m;
    without flushing that happens deep among the denormals (below 1.2e-38), and from then on
    every Adam step on that row computes with denormals, which x86 CPUs handle on a slow path.
    With FTZ/DAZ the tiny products become 0 and m stops at ~1e-37, a normal number; no float32
    weight can tell the difference. Measured on the course's 2-core AMD EPYC: such a row's update
    takes 2x as long unflushed; a whole Adam row of the book's table trains ~10% faster flushed
    (~25% in its third epoch, as more rows stall); a per-sample Adam step of the combined network
    went from 112 to 80 µs. GPUs are unaffected (the setting is the CPU thread's).
    The previous setting is restored on exit, whatever it was.
    """
    was = denormals_flushed()
    supported = torch.set_flush_denormal(enabled)
    try:
        yield supported
    finally:
        torch.set_flush_denormal(was)


def denormals_flushed() -> bool:
    """Whether this thread flushes denormals to zero right now."""
    tiny = np.array([1e-39], dtype=np.float32)  # a denormal: below the smallest normal, 1.2e-38
    return bool(tiny[0] * np.float32(1.0) == 0.0)  # with FTZ/DAZ on it reads (or rounds) as 0
