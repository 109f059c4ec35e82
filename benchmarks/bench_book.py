"""Speed of the book's one-sample-per-step training: fast engines against the plain autograd loop.

For each row it times, in one run and from the same seed:
- the numba engine over a whole epoch (60,000 steps), and for Adam rows once more with denormals
  NOT flushed to zero, to show what the flush is worth;
- the torch engine (hand-written ops, no autograd) over a few thousand steps;
- the book-style reference loop (`train_autograd`: nn.Module + loss + torch.optim) over a few
  thousand steps, extrapolated to 3 epochs;
and prints steps/s and the ratios. `--table` then trains the full six-row table (3 epochs each).

    .venv/bin/python benchmarks/bench_book.py [--rows baseline combined] [--table]

The machine is shared: other jobs slow every number here, so compare ratios from one run.
"""

from __future__ import annotations

import argparse
import time

import torch

from mnist_lab import fastpath
from mnist_lab.book import (
    BOOK_ROWS,
    BOOK_STEPS,
    format_table,
    load_book_data,
    reproduce_book_table,
    train_autograd,
)
from mnist_lab.models import MLP


def steps_per_second(train, row, data, steps: int, **kwargs) -> float:
    """Train a fresh seed-0 model of `row` for `steps` steps with `train`; return steps/s."""
    opts = dict(loss=row.loss, optimizer=row.optimizer, lr=row.lr, **kwargs)
    train(MLP(row.mlp), data.x_train, data.y_train, steps=100, **opts)  # warm-up, not timed
    torch.manual_seed(0)
    model = MLP(row.mlp)
    start = time.perf_counter()
    train(model, data.x_train, data.y_train, steps=steps, **opts)
    return steps / (time.perf_counter() - start)


def bench_row(row, data, fast_steps: int, torch_steps: int, ref_steps: int) -> None:
    numba = steps_per_second(fastpath.train_per_sample, row, data, fast_steps, engine="numba")
    tch = steps_per_second(fastpath.train_per_sample, row, data, torch_steps, engine="torch")
    ref = steps_per_second(train_autograd, row, data, ref_steps)
    print(f"{row.name:<11} numba {numba:>8,.0f} steps/s ({1e6 / numba:5.1f} µs/step, "
          f"3 epochs {BOOK_STEPS / numba:5.1f} s) | torch {tch:>6,.0f} steps/s "
          f"({1e6 / tch:5.0f} µs) | autograd {ref:>5,.0f} steps/s ({1e6 / ref:5.0f} µs, "
          f"3 epochs ~{BOOK_STEPS / ref:4.0f} s) | numba {numba / ref:4.0f}x, "
          f"torch {tch / ref:3.1f}x faster than autograd", flush=True)
    if row.optimizer == "adam":
        slow = steps_per_second(fastpath.train_per_sample, row, data, fast_steps, engine="numba",
                                flush_denormal=False)
        print(f"{'':<11} numba without flushing denormals: {1e6 / slow:5.1f} µs/step "
              f"(flushing makes it {numba / slow:4.2f}x as fast)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", choices=list(BOOK_ROWS), default=list(BOOK_ROWS))
    parser.add_argument("--fast-steps", type=int, default=60_000, help="numba steps per row")
    parser.add_argument("--torch-steps", type=int, default=3_000, help="torch-engine steps")
    parser.add_argument("--ref-steps", type=int, default=2_000, help="autograd steps")
    parser.add_argument("--table", action="store_true", help="also train the full table")
    args = parser.parse_args()

    import numba

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"numba {numba.__version__}")
    start = time.perf_counter()
    fastpath.compile_kernels()
    print(f"numba kernels compiled or loaded from cache in {time.perf_counter() - start:.1f} s")
    data = load_book_data("cpu")
    for name in args.rows:
        bench_row(BOOK_ROWS[name], data, args.fast_steps, args.torch_steps, args.ref_steps)
    if args.table:
        start = time.perf_counter()
        runs = reproduce_book_table(data=data, engine="numba")
        total = time.perf_counter() - start
        print()
        print(format_table(runs))
        print(f"the whole table, 6 rows × {BOOK_STEPS:,} steps, training and scoring: "
              f"{total:.1f} s")


if __name__ == "__main__":
    main()
