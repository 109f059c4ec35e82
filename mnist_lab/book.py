"""The book's table, reproduced: six networks, one change at a time (lessons 01-06).

Tariq Rashid's *Make Your First GAN With PyTorch* trains a 784→200→10 classifier on MNIST with
ONE sample per optimiser step, in file order, for 3 epochs (180,000 steps), and reports the test
accuracy after each change. `train_book_row` runs one row with that protocol; `train_autograd` is
the plain loop a student can read (nn.Module + torch loss + torch.optim), and the reference the
fast engines of `mnist_lab.fastpath` are checked against.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from mnist_lab import fastpath
from mnist_lab.data import load_mnist, scale
from mnist_lab.device import get_device, seed_everything
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.numerics import lr_too_high
from mnist_lab.optim import OptimConfig, make_optimizer

ENGINES = (*fastpath.ENGINES, "autograd")
TOLERANCE = 1.5  # accuracy points our run may differ from the reference (seed and summation order)
BOOK_STEPS = 180_000  # 3 epochs of 60,000: the protocol the reference figures were measured with
# Seeding and drawing initial weights use torch's global generator: one thread at a time, so that
# runs trained side by side in threads (rows_over_seeds) start from their own seed's weights.
_INIT = threading.Lock()


@dataclass(frozen=True)
class BookRow:
    """One row of the book's table: the network, its training, and the accuracies to compare."""

    name: str
    title: str
    mlp: MLPConfig
    loss: str  # "mse" | "bce" | "ce" (softmax + cross-entropy on logits; not in the book)
    optimizer: str  # "sgd" | "adam"
    lr: float
    # None for a row the book does not have (e.g. cross_entropy_row): nothing to compare with.
    book_accuracy: float | None = None  # percent, as the book prints it
    reference_accuracy: float | None = None  # percent, the book's code re-run on this machine
    reference_seconds: float | None = None  # the book's code's training time on a 2-core CPU


_SGD, _ADAM = 0.01, 1e-3
_LEAKY = MLPConfig(hidden_activation="leaky_relu", output_activation="leaky_relu")
_COMBINED = MLPConfig(hidden_activation="leaky_relu", norm="layer")

BOOK_ROWS: dict[str, BookRow] = {
    row.name: row
    for row in (
        BookRow("baseline", "sigmoid, MSE, SGD", MLPConfig(), "mse", "sgd", _SGD,
                87.0, 86.75, 139.0),
        BookRow("bce", "MSE → BCE loss", MLPConfig(), "bce", "sgd", _SGD, 91.0, 90.39, 126.0),
        BookRow("leaky_relu", "sigmoids → LeakyReLU(0.02)", _LEAKY, "mse", "sgd", _SGD,
                97.0, 96.91, 99.0),
        BookRow("adam", "SGD → Adam", MLPConfig(), "mse", "adam", _ADAM, 97.0, 97.38, 232.0),
        BookRow("layernorm", "LayerNorm after the hidden layer", MLPConfig(norm="layer"),
                "mse", "sgd", _SGD, 91.0, 91.10, 125.0),
        BookRow("combined", "LeakyReLU + LayerNorm + BCE + Adam", _COMBINED, "bce", "adam",
                _ADAM, 97.0, 97.27, 316.0),
    )
}


@dataclass(frozen=True)
class BookData:
    """MNIST as the book uses it: pixels/255 as float32 (N, 784), int64 labels, file order."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@dataclass(frozen=True)
class BookRun:
    """The result of one row: the trained model, the recorded losses, accuracy and time."""

    row: BookRow
    model: MLP
    losses: torch.Tensor  # the loss of one sample every 10th step, as the book records it
    accuracy: float  # percent of the 10,000 test images classified right
    seconds: float  # training time (numba's one-off compile excluded)
    engine: str
    steps: int

    def to_dict(self) -> dict:
        """The numbers of the run (no model, no losses), for JSON."""
        return {"name": self.row.name, "title": self.row.title, "engine": self.engine,
                "steps": self.steps, "accuracy": round(self.accuracy, 2),
                "seconds": round(self.seconds, 2), "book_accuracy": self.row.book_accuracy,
                "reference_accuracy": self.row.reference_accuracy,
                "reference_seconds": self.row.reference_seconds,
                "within_tolerance": self.within_tolerance()}

    def within_tolerance(self) -> bool | None:
        """Whether the accuracy is within ±TOLERANCE points of the reference; None unless the
        run followed the book's 180,000 steps, the only length the reference was measured at,
        and for rows the book has."""
        if self.steps != BOOK_STEPS or self.row.reference_accuracy is None:
            return None
        return abs(self.accuracy - self.row.reference_accuracy) <= TOLERANCE


def load_book_data(device: torch.device | str | None = None, root=None) -> BookData:
    """Load MNIST once, scaled as the book does (pixels / 255), on `device` (lesson 01)."""
    device = get_device(device)
    x_train, y_train = load_mnist("train", root=root, device=device)
    x_test, y_test = load_mnist("test", root=root, device=device)
    return BookData(scale(x_train), y_train, scale(x_test), y_test)


def book_loss(name: str) -> nn.Module:
    """The losses as torch modules on one-hot targets: the book's nn.MSELoss and nn.BCELoss, and
    nn.CrossEntropyLoss ("ce"; one-hot targets are class probabilities to it) on logits."""
    losses = {"mse": nn.MSELoss, "bce": nn.BCELoss, "ce": nn.CrossEntropyLoss}
    if name not in losses:
        raise ValueError(f"loss must be one of {tuple(losses)}, got {name!r}")
    return losses[name]()


def train_autograd(
    model: nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor,
    *,
    loss: str = "mse",
    optimizer: str = "sgd",
    lr: float = 0.01,
    steps: int,
    record_every: int = 10,
) -> torch.Tensor:
    """The book's loop, plainly: one sample per step in file order; returns the recorded losses.

    The reference the fast engines are checked against (lesson 01).
    """
    loss_fn = book_loss(loss)
    # Plain SGD or Adam with torch's defaults, no fused kernel: the book's own optimisers.
    opt = make_optimizer(model.parameters(), OptimConfig(optimizer, lr=lr, fused=False))
    targets = F.one_hot(labels, model.cfg.sizes[-1]).to(x.dtype)  # (N, 10), exactly 1.0 and 0.0
    recorded = []
    model.train()
    for step in range(steps):
        i = step % len(x)
        output = model(x[i : i + 1])  # (1, 10): a batch of one
        loss_value = loss_fn(output, targets[i : i + 1])
        if (step + 1) % record_every == 0:  # the book keeps every 10th loss
            recorded.append(loss_value.item())
            if not math.isfinite(recorded[-1]):
                raise lr_too_high(step + 1, lr)
        opt.zero_grad()
        loss_value.backward()
        opt.step()
    return torch.tensor(recorded)


@torch.no_grad()
def evaluate_accuracy(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> float:
    """Percent of `x` whose largest output is the label, as the book scores (lesson 01)."""
    model.eval()
    correct = sum(int((model(xb).argmax(1) == yb).sum())
                  for xb, yb in zip(x.split(10_000), labels.split(10_000)))
    return 100.0 * correct / len(x)


def train_book_row(
    row: BookRow | str,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    engine: str = "auto",
    epochs: int = 3,
    data: BookData | None = None,
) -> BookRun:
    """Train one row of the book's table with the book's protocol and score it (lesson 01)."""
    if data is None:
        data = load_book_data(device)
    return _scored(_trained(row, seed, device, engine, epochs, data), data)


def _trained(row: BookRow | str, seed: int, device: torch.device | str | None, engine: str,
             epochs: int, data: BookData) -> BookRun:
    """The run of train_book_row before scoring (accuracy NaN); the model is still where it
    trained. Safe to call from several threads at once."""
    row = _lookup(row)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if device is not None and torch.device(device).type != data.x_train.device.type:
        raise ValueError(f"data is on {data.x_train.device} but device={device!r} was asked for; "
                         "load the data there (load_book_data(device)) or leave device out")
    device = data.x_train.device  # the one device of this run: the data's
    if engine == "auto":
        # One image per step is latency-bound: on a GPU a step is ~15 tiny kernel launches (the
        # torch engine took 15 s an epoch on an H200), while the compiled CPU kernel takes about
        # 2 s. So the book's protocol trains on the CPU kernel on every machine, and the trained
        # model moves to `device` for scoring. engine="torch" still trains on the device itself.
        engine = "numba"
    elif engine != "autograd":
        engine = fastpath.resolve_engine(engine, device)
    on = torch.device("cpu") if engine == "numba" else device
    x, y = data.x_train.to(on), data.y_train.to(on)  # a no-op unless a GPU run uses the kernel
    with _INIT:  # compile_kernels builds a small MLP: it draws from the global generator too
        if engine == "numba":
            fastpath.compile_kernels()  # compile (or load from cache) outside the timed region
        seed_everything(seed)
        model = MLP(row.mlp).to(on)
    steps = epochs * len(x)
    train = train_autograd if engine == "autograd" else partial(fastpath.train_per_sample,
                                                                engine=engine)
    start = time.perf_counter()
    losses = train(model, x, y, loss=row.loss, optimizer=row.optimizer, lr=row.lr, steps=steps)
    if on.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return BookRun(row, model, losses, math.nan, seconds, engine, steps)


def _scored(run: BookRun, data: BookData) -> BookRun:
    """`run` with its model on the data's device and its test accuracy filled in."""
    run.model.to(data.x_test.device)
    return replace(run, accuracy=evaluate_accuracy(run.model, data.x_test, data.y_test))


def rows_over_seeds(rows: Sequence[BookRow | str], seeds: Sequence[int], data: BookData
                    ) -> tuple[dict[str, BookRun], dict[str, torch.Tensor]]:
    """Train each row once per seed (lessons 02–05): (each row's first-seed run, to look at;
    each row's test accuracies, one per seed, paired by seed: the same initial weights).

    The runs are independent, so they train side by side, one per CPU thread torch may use
    (`torch.get_num_threads()`; 1 in the course's headless runs), and are then scored one by
    one: each run's numbers are train_book_row's, only the wall time changes.
    """
    rows = [_lookup(row) for row in rows]
    jobs = [(row, seed) for row in rows for seed in seeds]
    with ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads())) as pool:
        trained = list(pool.map(lambda job: _trained(*job, None, "auto", 3, data), jobs))
    runs = [_scored(run, data) for run in trained]  # torch's own threads, one run at a time
    seeded = {row.name: runs[i * len(seeds):(i + 1) * len(seeds)] for i, row in enumerate(rows)}
    first = {name: row_runs[0] for name, row_runs in seeded.items()}
    accuracies = {name: torch.tensor([run.accuracy for run in row_runs])
                  for name, row_runs in seeded.items()}
    return first, accuracies


def cross_entropy_row(row: BookRow | str) -> BookRow:
    """`row` trained with softmax + cross-entropy on logits instead of its loss (lesson 02).

    The output activation goes: the softmax inside the loss turns the logits into
    probabilities. The book has no such row, so there are no figures to compare with.
    `train_book_row(cross_entropy_row("combined"))` trains it like any row.
    """
    row = _lookup(row)
    return replace(row, name=f"{row.name}_ce", title=f"{row.title} → softmax + CE",
                   mlp=replace(row.mlp, output_activation="none"), loss="ce",
                   book_accuracy=None, reference_accuracy=None, reference_seconds=None)


def _lookup(row: BookRow | str) -> BookRow:
    if isinstance(row, BookRow):
        return row
    if row not in BOOK_ROWS:
        raise ValueError(f"unknown row {row!r}; choose from {', '.join(BOOK_ROWS)}")
    return BOOK_ROWS[row]


def reproduce_book_table(
    rows: Sequence[BookRow | str] | None = None,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    engine: str = "auto",
    epochs: int = 3,
    data: BookData | None = None,
    progress: Callable[[BookRun], None] | None = None,
) -> list[BookRun]:
    """Train the table's rows (all six by default) on data loaded once (lesson 06).

    `progress(run)` is called as each row finishes, e.g. `progress=lambda r: print(r.row.name)`.
    """
    rows = [_lookup(r) for r in (rows if rows is not None else BOOK_ROWS.values())]
    data = data if data is not None else load_book_data(device)
    runs = []
    for row in rows:
        run = train_book_row(row, seed=seed, engine=engine, epochs=epochs, data=data)
        runs.append(run)
        if progress is not None:
            progress(run)
    return runs


def _reference_seconds(run: BookRun) -> float | None:
    """The book code's time for this row, scaled to the run's number of steps."""
    if run.row.reference_seconds is None:
        return None
    return run.row.reference_seconds * run.steps / BOOK_STEPS


def _or_dash(value: float | None, spec: str, unit: str = "") -> str:
    """`value` formatted with its unit, or a dash for a figure the row does not have."""
    return "–" if value is None else format(value, spec) + unit


_COLUMNS = "{:<11} {:<35} {:>5} {:>10} {:>7} {:>6} {:>8} {:>10}"


def format_row(run: BookRun) -> str:
    """One line of `format_table`."""
    r = run.row
    mark = "  <- more than ±1.5 from the book's code" if run.within_tolerance() is False else ""
    diff = None if r.reference_accuracy is None else run.accuracy - r.reference_accuracy
    return _COLUMNS.format(
        r.name, r.title, _or_dash(r.book_accuracy, ".0f", "%"),
        _or_dash(r.reference_accuracy, ".2f", "%"), f"{run.accuracy:.2f}%",
        _or_dash(diff, "+.2f"), f"{run.seconds:.1f} s",
        _or_dash(_reference_seconds(run), ".0f", " s"),
    ) + mark


def format_table(runs: Sequence[BookRun]) -> str:
    """Our accuracy and time per row beside the book's figures and the book's code re-run here."""
    if not runs:
        return "(no rows)"
    head = _COLUMNS.format("row", "change", "book", "book code", "ours", "diff", "time",
                           "book code")
    ours = sum(r.seconds for r in runs)
    theirs = sum(_reference_seconds(r) or 0.0 for r in runs)  # rows the book has
    steps = runs[0].steps
    note = "" if steps == BOOK_STEPS else " (not the book's 180,000: times scaled, no ±1.5 check)"
    total = _COLUMNS.format("total", "", "", "", "", "", f"{ours:.1f} s", f"{theirs:.0f} s")
    return "\n".join([
        f"The book's table: {steps:,} steps{note} of one sample each, in file order; "
        f"engine {runs[0].engine}.",
        "'book code': the book's own code re-run on a 2-core CPU; diff = ours - book code.",
        head,
        "-" * len(head),
        *(format_row(r) for r in runs),
        "-" * len(head),
        f"{total}  ({theirs / max(ours, 1e-9):.0f}× faster)",
    ])
