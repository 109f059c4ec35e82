"""Transfer learning: reuse a network trained on one task for another (lesson 17).

    source = MLP(sizes=(784, 256, 64, 5), hidden_activation="relu", output_activation="none")
    fit(source, (x_digits_0_to_4, y), ...)                # pretrain on the source task
    acc = transfer(source, (train, test), "frozen")      # a linear head on its features

The four strategies, from least to most trainable:
- "frozen": keep every pretrained layer fixed and train only a new output layer (a linear head
  on the penultimate features), solved to its optimum by `fit_head`;
- "last_layers": fine-tune the last `TransferConfig.last_n_layers` Linear layers, head included;
- "all": start from the pretrained weights and fine-tune every layer;
- "scratch": the same network from random weights: the baseline transfer has to beat.

Frozen means `requires_grad=False`: no gradient reaches the parameter, so the optimiser leaves it
alone. A frozen network's head is a logistic regression on fixed features: a convex problem with
one best answer, which `fit_head` finds with full-batch L-BFGS on features computed once. The
strategies that train hidden layers take `TransferConfig.steps` Adam steps whatever the data size.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mnist_lab.device import get_device, seed_everything
from mnist_lab.metrics import accuracy
from mnist_lab.models import MLP
from mnist_lab.optim import OptimConfig
from mnist_lab.train import TrainConfig, fit

STRATEGIES = ("frozen", "last_layers", "all", "scratch")
Pair = tuple[torch.Tensor, torch.Tensor]


def subset_classes(
    x: torch.Tensor, y: torch.Tensor, classes: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The samples of `classes` only, relabelled 0..k-1 in the order given (lesson 17).

    subset_classes(x, y, [5, 6, 7, 8, 9]) keeps the digits 5–9 and calls them 0–4, so a network
    with 5 outputs can learn them. File order is kept.
    """
    classes = [int(c) for c in classes]
    if not classes:
        raise ValueError("classes is empty: name at least one class to keep, e.g. [5, 6, 7]")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes {classes} names a class twice; each class needs one new label")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)} labels; need as many")
    present = set(torch.unique(y).tolist())
    missing = [c for c in classes if c not in present]
    if missing:
        raise ValueError(
            f"classes {missing} do not occur in y (its labels are {sorted(present)}); "
            "check the class list against the data set"
        )
    wanted = torch.tensor(classes, device=y.device)
    keep = torch.isin(y, wanted)  # (N,) bool
    # new label = position of the old label in `classes`: a lookup table indexed by old label
    table = torch.full((int(y.max()) + 1,), -1, dtype=torch.int64, device=y.device)
    table[wanted] = torch.arange(len(classes), device=y.device)
    return x[keep], table[y[keep]]


def freeze(module: nn.Module) -> nn.Module:
    """Switch off gradients for every parameter of `module`, in place; returns it (lesson 17).

    The optimiser then skips these parameters. Batch-norm running statistics are buffers, not
    parameters: they still move in training mode.
    """
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def trainable(model: MLP, last_n_layers: int) -> MLP:
    """Freeze `model` except its last `last_n_layers` Linear layers, in place (lesson 17).

    Counting from the output: 1 trains the head only, len(model.linears()) trains everything.
    A hidden layer's norm trains with its Linear layer.
    """
    blocks = [*model.hidden, model.out]  # each holds one Linear layer, input side first
    if not 0 <= last_n_layers <= len(blocks):
        raise ValueError(
            f"last_n_layers must be between 0 and {len(blocks)} (this model has {len(blocks)} "
            f"Linear layers), got {last_n_layers}"
        )
    freeze(model)
    for block in blocks[len(blocks) - last_n_layers :]:
        for p in block.parameters():
            p.requires_grad_(True)
    return model


def new_head(model: MLP, num_classes: int, seed: int = 0, depth: int | None = None) -> MLP:
    """A copy of `model` with a fresh output layer of `num_classes` outputs (lesson 17).

    The hidden layers keep their (pretrained) weights; the original model is not changed. With
    `depth` only the first `depth` hidden layers stay, so the head reads earlier, more general
    features. The head's initial weights come from `seed`.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    n_hidden = len(model.hidden)
    depth = n_hidden if depth is None else depth
    if not 0 <= depth <= n_hidden:
        raise ValueError(f"depth must be between 0 and {n_hidden} hidden layers, got {depth}")
    model = copy.deepcopy(model)
    model.hidden = model.hidden[:depth]
    width = model.cfg.sizes[depth]  # what the kept layers output
    torch.manual_seed(seed)
    model.out = nn.Linear(width, num_classes, device=model.out.weight.device)
    sizes = (*model.cfg.sizes[: depth + 1], num_classes)
    model.cfg = dataclasses.replace(model.cfg, sizes=sizes)  # cfg describes the new shape
    return model


def features(model: MLP, x: torch.Tensor) -> torch.Tensor:
    """The penultimate layer's outputs (N, H) for x (N, 784): what the head reads (lesson 17)."""
    h = x.flatten(1).to(_device(model))  # the model may live on the GPU, x on the CPU
    with torch.no_grad():
        for block in model.hidden:
            h = block(h)
    return h


@dataclass(frozen=True)
class TransferConfig:
    """How each transfer run trains (lesson 17)."""

    steps: int = 200  # Adam steps when hidden layers train (about; whole epochs of the data)
    batch_size: int = 128  # smaller target sets use one batch of all their samples
    lr: float = 1e-3  # Adam, whenever pretrained layers train (and from scratch)
    head_iters: int = 50  # "frozen": L-BFGS iterations for the head (it converges in tens)
    head_l2: float = 1e-3  # "frozen": weight decay on the head, so 100 labels have one optimum
    last_n_layers: int = 2  # "last_layers": how many Linear layers train, the head included
    seed: int = 0  # the head's (or scratch net's) initial weights and the batch order
    device: str | None = None  # None: mnist_lab.device.get_device()

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "last_n_layers", "head_iters"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if not self.head_l2 >= 0:
            raise ValueError(f"head_l2 must be >= 0 (0 turns weight decay off), got {self.head_l2}")


def fit_head(
    head: nn.Linear, feats: torch.Tensor, y: torch.Tensor, iters: int = 50, l2: float = 1e-3
) -> nn.Linear:
    """Train a linear head on fixed features (N, H) to near its optimum, in place (lesson 17).

    Cross-entropy plus l2/2 · ||W||² is convex in the head's weights, so instead of a step budget
    the head gets full-batch L-BFGS, as scikit-learn's LogisticRegression does. The features are
    standardised first (raw ReLU features of very different scales converge far more slowly);
    the scaling is then folded into the weights, so the head still reads the raw features.
    """
    if len(feats) != len(y):
        raise ValueError(f"feats has {len(feats)} rows but y has {len(y)} labels; need as many")
    mean, std = feats.mean(0), feats.std(0, correction=0) + 1e-3  # (H,); dead features: std 0
    z = (feats - mean) / std  # (N, H)
    opt = torch.optim.LBFGS(head.parameters(), lr=1, max_iter=iters, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(head(z), y) + 0.5 * l2 * head.weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():  # W (f − mean) / std + b  =  (W / std) f + (b − W · mean / std)
        head.bias -= head.weight @ (mean / std)
        head.weight /= std
    return head


def prepare(pretrained: MLP, num_classes: int, strategy: str, config: TransferConfig) -> MLP:
    """The network a strategy starts from, with its frozen layers frozen (lesson 17)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if strategy == "scratch":  # the same architecture, random weights
        seed_everything(config.seed)
        sizes = (*pretrained.cfg.sizes[:-1], num_classes)
        return MLP(dataclasses.replace(pretrained.cfg, sizes=sizes)).to(_device(pretrained))
    model = new_head(pretrained, num_classes, seed=config.seed)
    n_layers = len(model.linears())
    last_n = {"frozen": 1, "last_layers": min(config.last_n_layers, n_layers), "all": n_layers}
    return trainable(model, last_n[strategy])


def train_transfer(
    pretrained: MLP, train: Pair, strategy: str, config: TransferConfig | None = None
) -> MLP:
    """The network `strategy` ends with after training on `train` = (x, y) (lesson 17).

    `pretrained` is not changed: every strategy works on a copy. Labels must be 0..k-1 (see
    `subset_classes`); the new head gets k = (largest label + 1) outputs.
    """
    config = config or TransferConfig()
    x, y = train
    model = prepare(pretrained, int(y.max()) + 1, strategy, config)
    if strategy == "frozen":  # only the head learns: features once, then a convex problem
        device = get_device(config.device)
        model.to(device)
        fit_head(model.out, features(model, x), y.to(device), config.head_iters, config.head_l2)
        return model
    batch = min(config.batch_size, len(x))
    epochs = max(1, round(config.steps / math.ceil(len(x) / batch)))  # a fixed step budget
    train_cfg = TrainConfig(
        epochs=epochs, batch_size=batch, loss="cross_entropy", optim=OptimConfig(lr=config.lr),
        seed=config.seed, device=config.device, progress=False, log_every=10_000,
    )
    fit(model, (x, y), train_cfg)
    return model


def transfer(
    pretrained: MLP, data: tuple[Pair, Pair], strategy: str, config: TransferConfig | None = None
) -> float:
    """Train `strategy` on data's first (x, y) pair; its accuracy on the second (lesson 17).

    The second pair is where you score it: a validation split while choosing, the test set once.
    """
    train, (x_eval, y_eval) = data
    return accuracy(train_transfer(pretrained, train, strategy, config), x_eval, y_eval)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device
