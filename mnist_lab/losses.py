"""Loss functions written out by hand, and `make_loss` for the training loop (lessons 01, 02, 18).

The reference functions (`mse_loss`, `bce_loss`, `bce_grad`, `cross_entropy`, `cross_entropy_grad`)
are what students re-implement; the tests check them against torch, values and gradients.
`make_loss` builds the callable that `mnist_lab.train.fit` uses: it takes integer labels and
one-hot encodes them where the loss needs targets, so the training loop never handles one-hot
vectors itself.

Class weights (lesson 18, class imbalance): a weight per class, and each sample counts with the
weight of its true class. The loss is the weighted mean Σ wᵢ·lossᵢ / Σ wᵢ, as in
`F.cross_entropy(weight=...)`, so weights of all ones give the plain mean and doubling one class's
weight is the same as seeing each of its samples twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

LOSSES = ("mse", "bce", "cross_entropy")
LOG_CLAMP = -100.0  # torch's BCELoss clamps log(p) here, so p = 0 costs 100 instead of inf

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _weighted_mean(per_sample: torch.Tensor, sample_weight: torch.Tensor) -> torch.Tensor:
    """Σ wᵢ·lossᵢ / Σ wᵢ over the batch."""
    return (sample_weight * per_sample).sum() / sample_weight.sum()


def mse_loss(
    outputs: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean squared error over all elements, the book's MSELoss on one-hot targets (lesson 01).

    outputs, targets: (N, C). weight: optional (C,) class weights; a sample's weight is
    targets @ weight, i.e. the weight of its class when targets are one-hot.
    """
    squared = (outputs - targets) ** 2  # (N, C)
    if weight is None:
        return squared.mean()
    return _weighted_mean(squared.mean(dim=1), targets @ weight)


def bce_loss(
    probs: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Binary cross-entropy −[t·log p + (1−t)·log(1−p)], averaged; equals F.binary_cross_entropy.

    Like torch, each log is clamped at −100 so that a confident wrong answer (p exactly 0 or 1)
    costs 100 rather than infinity (lesson 02). weight: optional (C,) class weights, as in
    `mse_loss`.
    """
    log_p = torch.log(probs).clamp(min=LOG_CLAMP)
    log_not_p = torch.log1p(-probs).clamp(min=LOG_CLAMP)  # log(1 − p), accurate for small p
    per_element = -(targets * log_p + (1.0 - targets) * log_not_p)  # (N, C)
    if weight is None:
        return per_element.mean()
    return _weighted_mean(per_element.mean(dim=1), targets @ weight)


def bce_grad(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """d bce_loss / d probs = (p − t) / (p·(1 − p)) / n for the mean over n elements (lesson 02).

    The denominator is kept above 1e-12, as torch does, so p = 0 or 1 gives a large finite slope.
    """
    return (probs - targets) / (probs * (1.0 - probs)).clamp(min=1e-12) / probs.numel()


def cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Softmax then negative log-likelihood of the true class; equals F.cross_entropy (lesson 02).

    logits: (N, C) raw scores; labels: (N,) int64; weight: optional (C,) class weights.
    """
    # log softmax = logits − log Σ exp(logits); logsumexp subtracts the max first, so no overflow
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (N, C)
    nll = -log_probs.gather(1, labels[:, None]).squeeze(1)  # (N,)
    if weight is None:
        return nll.mean()
    return _weighted_mean(nll, weight[labels])


def cross_entropy_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """d cross_entropy / d logits = (softmax(logits) − onehot(labels)) / N, i.e. (p − y) / N.

    The softmax's slope and the log's slope cancel, as the sigmoid's and BCE's do (lesson 02);
    the division by N is because the loss is a mean over the batch.
    """
    probs = torch.softmax(logits, dim=1)  # (N, C), stable: softmax subtracts the row's max
    targets = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return (probs - targets) / len(logits)


def _bce_on_labels(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """bce_loss against one-hot(labels), in fewer operations than the general formula.

    With targets exactly 0 or 1 only one log per element survives: log p for the true class and
    log(1 − p) for the others. Unlike F.binary_cross_entropy this lets a NaN through (torch raises
    on CPU and asserts on CUDA), so the training loop can report divergence with a useful message.
    """
    is_target = F.one_hot(labels, probs.shape[1]).bool()  # (N, C)
    p_right = torch.where(is_target, probs, 1.0 - probs)  # probability given to the right answer
    return -torch.log(p_right).clamp(min=LOG_CLAMP).mean()


def _class_weights(class_weights: Sequence[float] | torch.Tensor, num_classes: int) -> torch.Tensor:
    weight = torch.as_tensor(class_weights, dtype=torch.float32).flatten()
    if weight.numel() != num_classes:
        raise ValueError(
            f"class_weights has {weight.numel()} entries but there are {num_classes} classes; "
            "give one weight per class (e.g. 1 / class frequency)."
        )
    if (weight < 0).any() or weight.sum() <= 0:
        raise ValueError(f"class_weights must be >= 0 and not all zero, got {weight.tolist()}")
    return weight


def make_loss(
    name: str = "bce",
    class_weights: Sequence[float] | torch.Tensor | None = None,
    num_classes: int = 10,
) -> LossFn:
    """The loss `fit` uses: a callable (outputs (N, C), labels int64 (N,)) -> scalar (lesson 02).

    "mse" and "bce" compare the outputs with one-hot(labels); "cross_entropy" takes logits.
    Unweighted losses use torch's fused kernels (faster than the reference functions above, same
    values); with `class_weights` the reference functions do the weighting.
    """
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {LOSSES}")
    weight = None if class_weights is None else _class_weights(class_weights, num_classes)
    moved: dict[torch.device, torch.Tensor] = {}

    def weight_on(device: torch.device) -> torch.Tensor:
        # One copy per device, not one per step: a copy onto a GPU waits for the GPU.
        if device not in moved:
            moved[device] = weight.to(device)
        return moved[device]

    def mse(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        targets = F.one_hot(labels, num_classes).to(outputs.dtype)  # (N, C) of 0.0 and 1.0
        if weight is None:
            return F.mse_loss(outputs, targets)
        return mse_loss(outputs, targets, weight_on(outputs.device))

    def bce(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if weight is None:
            return _bce_on_labels(outputs, labels)
        targets = F.one_hot(labels, num_classes).to(outputs.dtype)
        return bce_loss(outputs, targets, weight_on(outputs.device))

    def xent(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        w = None if weight is None else weight_on(outputs.device)
        return F.cross_entropy(outputs, labels, weight=w)

    return {"mse": mse, "bce": bce, "cross_entropy": xent}[name]
