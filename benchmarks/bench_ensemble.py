"""Ensemble training speed: K networks as one stacked, vmapped computation against K `fit` runs.

The setting of lesson 16: 784→100→10 ReLU networks, cross-entropy, SGD with momentum 0.9,
batch 128, 3 epochs over 10,000 training images. For each K it prints, from one run:
  - the seconds of K separate `mnist_lab.train.fit` runs, one after the other (seeds 0..K-1);
  - the seconds of one `mnist_lab.ensemble.train_stacked` run over the same K networks;
  - their ratio (the speed-up of stacking), and the time per network of each;
  - the largest difference between the stacked and the separate weights (float rounding only).

    python benchmarks/bench_ensemble.py [--device cuda] [--k 1 2 5 10 20] [--epochs 3]
                                        [--batch-size 128] [--hidden 100] [--n-train 10000]
                                        [--optim sgd|adam] [--threads 1]

`fit` also evaluates nothing here (no validation split), so both sides time training only.
Timings on a shared machine are noisy: run it twice if a number looks off.
"""

from __future__ import annotations

import argparse
import time

import torch

from mnist_lab.data import load_splits, stratified_subset
from mnist_lab.device import get_device, seed_everything
from mnist_lab.ensemble import train_stacked
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.train import TrainConfig, fit

OPTIMS = {
    "sgd": OptimConfig("sgd", lr=0.1, momentum=0.9),
    "adam": OptimConfig("adam", lr=1e-3),
}


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def make_models(k: int, hidden: int, device: torch.device) -> list[MLP]:
    net = MLPConfig(sizes=(784, hidden, 10), hidden_activation="relu", output_activation="none")
    models = []
    for seed in range(k):
        seed_everything(seed)
        models.append(MLP(net).to(device))
    return models


def time_separate(k, data, config, args, device) -> tuple[float, list[MLP]]:
    models = make_models(k, args.hidden, device)
    sync(device)
    start = time.perf_counter()
    for model in models:
        fit(model, data, config)
    sync(device)
    return time.perf_counter() - start, models


def time_stacked(k, data, config, args, device) -> tuple[float, list[MLP]]:
    models = make_models(k, args.hidden, device)
    sync(device)
    start = time.perf_counter()
    train_stacked(models, data, config)
    sync(device)
    return time.perf_counter() - start, models


def max_difference(models_a: list[MLP], models_b: list[MLP]) -> float:
    return max(
        (a - b).abs().max().item()
        for ma, mb in zip(models_a, models_b)
        for a, b in zip(ma.parameters(), mb.parameters())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    parser.add_argument("--k", type=int, nargs="+", default=[1, 2, 5, 10])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--optim", choices=OPTIMS, default="sgd")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device(args.device)
    splits = load_splits(device=device)
    keep = stratified_subset(splits.train[1], args.n_train)
    data = (splits.train[0][keep], splits.train[1][keep])
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        loss="cross_entropy",
        optim=OPTIMS[args.optim],
        progress=False,
        device=str(device),
    )

    # Warm-up: lazy imports at the first optimiser step, vmap's first trace.
    warm = TrainConfig(**{**config.__dict__, "epochs": 1})
    time_separate(1, (data[0][:512], data[1][:512]), warm, args, device)
    time_stacked(2, (data[0][:512], data[1][:512]), warm, args, device)

    threads = f", {torch.get_num_threads()} threads" if device.type == "cpu" else ""
    print(f"device {device}{threads}; torch {torch.__version__}")
    print(
        f"784-{args.hidden}-10 ReLU, {args.optim}, batch {args.batch_size}, {args.epochs} epochs "
        f"over {len(data[0]):,} images"
    )
    header = f"{'K':>4}{'K x fit':>12}{'stacked':>12}{'speed-up':>10}"
    print(header + f"{'per net, fit':>15}{'per net, stacked':>19}{'max |dw|':>11}")
    for k in args.k:
        separate_s, separate = time_separate(k, data, config, args, device)
        stacked_s, stacked = time_stacked(k, data, config, args, device)
        diff = max_difference(separate, stacked)
        print(
            f"{k:>4}{separate_s:>10.2f} s{stacked_s:>10.2f} s{separate_s / stacked_s:>9.2f}x"
            f"{separate_s / k:>13.3f} s{stacked_s / k:>17.3f} s{diff:>11.1e}"
        )


if __name__ == "__main__":
    main()
