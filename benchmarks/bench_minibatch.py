"""Mini-batch training speed: `fit`'s loop against a DataLoader, and against the FLOP bound.

Batch 128, Adam, 3 epochs over the 60,000 training images (course brief, section 5). From one
run it prints:
  - the median epoch time and µs per step of `mnist_lab.train.fit` (data resident on the device,
    seeded randperm slices, no host sync per step) and of a plain loop over torch's
    DataLoader(TensorDataset) with the same model, the same optimiser and the same number of
    steps, on the device given with --device, and their ratio (target: fit <= DataLoader; on an
    H100/H200 at batch 128, fit at 200 µs per step or less);
  - the time of iterating the batches alone (gathering x[idx], y[idx] / the DataLoader's
    collation, no model), as a share of each epoch (target: < 10% for fit);
  - the epoch time against the FLOP bound: 6 · parameters · samples FLOPs per epoch (forward 2,
    backward 4) at the device's measured float32 matmul rate (and, on a CPU, at the course
    brief's 170 GFLOP/s, since a busy machine measures a lower rate).

    python benchmarks/bench_minibatch.py [--device cuda] [--epochs 3] [--batch-size 128]
                                         [--model baseline|combined] [--no-fused] [--threads 1]

Timings on a shared machine are noisy: run it twice if a number looks off.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from mnist_lab.data import load_splits, minibatches
from mnist_lab.device import get_device
from mnist_lab.losses import make_loss
from mnist_lab.models import MLP, count_parameters
from mnist_lab.numerics import flush_denormals
from mnist_lab.optim import OptimConfig, make_optimizer
from mnist_lab.train import TrainConfig, fit

BRIEF_PEAK_GFLOPS = 170  # float32 matmul on the course's 2-core CPU, both threads, no other load

MODELS = {
    "baseline": dict(),  # the book's 784-200-10 sigmoid network
    "combined": dict(hidden_activation="leaky_relu", norm="layer"),  # the book's best
}


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def make_model(name: str, device: torch.device) -> MLP:
    torch.manual_seed(0)
    return MLP(**MODELS[name]).to(device)


def fit_epochs(x, y, args, device):
    """Yield the seconds of each epoch of fit's training loop (evaluation excluded).

    One `fit` call per epoch on the same model, so that its epochs can alternate with the
    DataLoader's and both see the same load on a shared machine.
    """
    model = make_model(args.model, device)
    for epoch in range(args.epochs):
        config = TrainConfig(
            epochs=1,
            batch_size=args.batch_size,
            optim=OptimConfig("adam", fused=args.fused),
            progress=False,
            device=str(device),
            seed=epoch,
        )
        yield fit(model, (x, y), config).seconds[0]


def dataloader_epochs(x, y, args, device):
    """Yield the seconds of each epoch of the textbook loop over DataLoader(TensorDataset)."""
    model = make_model(args.model, device)
    optimizer = make_optimizer(model.parameters(), OptimConfig("adam", fused=args.fused))
    loss_fn = make_loss("bce")
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=args.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    model.train()
    for _ in range(args.epochs):
        with flush_denormals(device.type == "cpu"):  # as fit does
            start = time.perf_counter()
            for xb, yb in loader:
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            sync(device)
            seconds = time.perf_counter() - start
        yield seconds


def time_iteration(x, y, args, device) -> tuple[float, float]:
    """Median seconds per epoch of only iterating the batches: fit's way, the DataLoader's."""
    generator = torch.Generator().manual_seed(0)
    ours, theirs = [], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        for idx in minibatches(len(x), args.batch_size, generator=generator, device=device):
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)  # as train_one_epoch
        sync(device)
        ours.append(time.perf_counter() - start)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True)
    for _ in range(args.epochs):
        start = time.perf_counter()
        for xb, yb in loader:  # noqa: B007 - iterating is what is timed
            pass
        sync(device)
        theirs.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def matmul_gflops(device: torch.device, n: int = 2048, repeats: int = 10) -> float:
    """The float32 matmul rate of the device, in GFLOP/s (2·n³ FLOPs per n×n product)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b  # warm-up
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync(device)
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--model", choices=MODELS, default="combined")
    parser.add_argument(
        "--fused", action=argparse.BooleanOptionalAction, default=None,
        help="fused Adam (default: where the device has it)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device(args.device)
    splits = load_splits(device=device)
    x, y = splits.train
    n = len(x)
    steps = -(-n // args.batch_size)

    # Warm-up: torch imports much of itself lazily at the first optimiser step (~1.5 s).
    fit(
        make_model(args.model, device),
        (x[:512], y[:512]),
        TrainConfig(1, progress=False, device=str(device)),
    )
    fit_s, loader_s = [], []
    for ours, theirs in zip(fit_epochs(x, y, args, device), dataloader_epochs(x, y, args, device)):
        fit_s.append(ours)  # alternate epochs: both loops see the same machine load
        loader_s.append(theirs)
    iter_ours, iter_loader = time_iteration(x, y, args, device)
    fit_med, loader_med = statistics.median(fit_s), statistics.median(loader_s)
    params = count_parameters(make_model(args.model, device))
    gflop = 6 * params * n / 1e9
    rate = matmul_gflops(device)
    bound = gflop / rate

    threads = f", {torch.get_num_threads()} threads" if device.type == "cpu" else ""
    print(f"device {device}{threads}; torch {torch.__version__}")
    print(
        f"{args.model} MLP ({params:,} parameters), batch {args.batch_size}, Adam "
        f"(fused={args.fused if args.fused is not None else 'auto'}), "
        f"{args.epochs} epochs x {steps} steps over {n:,} images"
    )
    print(f"{'':28}{'median epoch':>14}{'per step':>12}   all epochs (s)")
    for name, times, med in (
        ("fit (data on device)", fit_s, fit_med),
        ("DataLoader(TensorDataset)", loader_s, loader_med),
    ):
        every = " ".join(f"{t:.2f}" for t in times)
        print(f"{name:28}{med:>12.3f} s{med / steps * 1e6:>9.0f} µs   [{every}]")
    print(f"fit / DataLoader epoch time:      {fit_med / loader_med:.2f}   (target <= 1)")
    print(
        f"iterating the batches alone:      fit {iter_ours:.3f} s/epoch = "
        f"{iter_ours / fit_med:.1%} of its epoch (target < 10%); "
        f"DataLoader {iter_loader:.3f} s = {iter_loader / loader_med:.1%} of its epoch"
    )
    print(
        f"FLOP bound: 6 x {params:,} x {n:,} = {gflop:.1f} GFLOP/epoch at {rate:.0f} GFLOP/s "
        f"(float32 2048x2048 matmul) = {bound:.3f} s;  fit epoch / bound = {fit_med / bound:.2f}"
    )
    if device.type == "cpu":  # the course brief's peak for its 2-core machine, unloaded
        brief = gflop / BRIEF_PEAK_GFLOPS
        print(
            f"  at the brief's {BRIEF_PEAK_GFLOPS} GFLOP/s (2 idle cores): bound {brief:.3f} s, "
            f"fit epoch / bound = {fit_med / brief:.2f}"
        )


if __name__ == "__main__":
    main()
