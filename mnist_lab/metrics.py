"""Predictions, accuracy, the confusion matrix and per-class precision/recall (lessons 01, 18).

Every function runs the model in eval mode under torch.no_grad(), in batches of `batch_size`
rows, on the model's device, and puts the model back in the mode it was in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from mnist_lab.device import widest_float

EVAL_BATCH_SIZE = 4096


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[torch.device]:
    """Eval mode and no autograd inside; the model's previous mode afterwards."""
    was_training = model.training
    model.eval()  # dropout off, batch norm uses its running statistics
    try:
        with torch.no_grad():
            yield next(model.parameters()).device
    finally:
        model.train(was_training)


def _outputs_are_logits(model: nn.Module) -> bool:
    """True unless the model says it squashes its outputs (MLPConfig.output_activation)."""
    cfg = getattr(model, "cfg", None)
    return getattr(cfg, "output_activation", "none") == "none"


def model_outputs(
    model: nn.Module, x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE
) -> torch.Tensor:
    """The raw outputs (N, C) of `model` for inputs x (N, 784), in eval mode (lesson 01)."""
    with _evaluating(model) as device:
        return torch.cat(
            [model(x[i : i + batch_size].to(device)) for i in range(0, len(x), batch_size)]
        )


def predict_proba(
    model: nn.Module,
    x: torch.Tensor,
    batch_size: int = EVAL_BATCH_SIZE,
    logits: bool | None = None,
) -> torch.Tensor:
    """Per-class scores (N, C): softmax of logits, or the model's own squashed outputs (lesson 02).

    A model whose `cfg.output_activation` is "none" outputs logits, which softmax turns into
    probabilities that sum to 1. The book's models end in a sigmoid: their 10 outputs are
    returned as they are, each in [0, 1], and they need not sum to 1. A model without `cfg` is
    taken to output logits. `logits=True/False` overrides the guess.
    """
    out = model_outputs(model, x, batch_size)
    is_logits = _outputs_are_logits(model) if logits is None else logits
    return out.softmax(dim=1) if is_logits else out


def predict(model: nn.Module, x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
    """The predicted class (N,) int64: the argmax over the outputs (lesson 01)."""
    return model_outputs(model, x, batch_size).argmax(dim=1)


def accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE
) -> float:
    """Fraction of x whose predicted class equals y (lesson 01)."""
    return evaluate(model, x, y, batch_size=batch_size)["acc"]


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = EVAL_BATCH_SIZE,
) -> dict[str, float]:
    """{"acc": accuracy, "loss": mean loss} of the model on (x, y); "loss" only with a loss_fn.

    loss_fn takes (outputs, int64 labels) like `mnist_lab.losses.make_loss`'s; the loss is the
    mean over samples (each batch's mean weighted by its size). One host sync, at the end.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)} labels")
    if len(x) == 0:
        raise ValueError("cannot evaluate on an empty set")
    with _evaluating(model) as device:
        correct = torch.zeros((), dtype=torch.long, device=device)
        loss_sum = torch.zeros((), device=device)
        for i in range(0, len(x), batch_size):
            xb, yb = x[i : i + batch_size].to(device), y[i : i + batch_size].to(device)
            out = model(xb)  # (B, C)
            correct += (out.argmax(dim=1) == yb).sum()
            if loss_fn is not None:
                loss_sum += loss_fn(out, yb) * len(yb)
    result = {"acc": correct.item() / len(y)}
    if loss_fn is not None:
        result["loss"] = loss_sum.item() / len(y)
    return result


def confusion_matrix(
    preds: torch.Tensor, labels: torch.Tensor, num_classes: int = 10
) -> torch.Tensor:
    """Counts (C, C) int64: row = true class, column = predicted class (lesson 18).

    One bincount over label·C + pred, no loop over samples.
    """
    preds, labels = preds.flatten().long(), labels.flatten().long()
    if preds.shape != labels.shape:
        raise ValueError(f"{len(preds)} predictions but {len(labels)} labels")
    both = torch.cat([preds, labels])
    if len(both) and (both.min() < 0 or both.max() >= num_classes):
        raise ValueError(f"classes must be in 0..{num_classes - 1}; pass num_classes= to change it")
    flat = labels * num_classes + preds
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def precision_recall(cm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-class (precision, recall), each (C,) float, from a confusion matrix (lesson 18).

    precision = right / predicted as the class (column sum); recall = right / truly the class
    (row sum). A class never predicted (or never present) gets 0.
    """
    right = cm.diagonal().to(widest_float(cm.device))
    precision = right / cm.sum(dim=0).clamp(min=1)
    recall = right / cm.sum(dim=1).clamp(min=1)
    return precision, recall
