"""The torch engine: the per-sample step written with plain tensor ops and no autograd.

Forward, backward and update for one sample, by hand, in the order of torch's own kernels, so
that it runs on any device (CUDA, MPS, a CPU) and computes what autograd computes. It is
latency-bound: each step is ~30 tiny ops, each a kernel launch on a GPU. It never reads a value
on the host while it runs, except to look for a NaN every 1,000 steps.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from mnist_lab.fastpath.rule import ADAM_BETAS, ADAM_EPS, StepRule, layers
from mnist_lab.models import MLP
from mnist_lab.numerics import check_finite, lr_too_high

CHECK_EVERY = 1_000  # steps between looks for a NaN/inf loss: one host sync each
PROGRESS_EVERY = 10_000  # steps between progress() calls, as the numba engine's chunks


def _act(a: torch.Tensor, kind: str, slope: float) -> torch.Tensor:
    if kind == "none":
        return a
    return torch.sigmoid(a) if kind == "sigmoid" else F.leaky_relu(a, slope)


def _act_backward(a: torch.Tensor, out: torch.Tensor, grad: torch.Tensor, kind: str,
                  slope: float) -> torch.Tensor:
    """grad · activation'(a); the sigmoid's derivative is out · (1 - out)."""
    if kind == "none":
        return grad
    if kind == "sigmoid":
        return grad * (1 - out) * out
    return torch.where(a > 0, grad, grad * slope)


def _loss_value(o: torch.Tensor, t: torch.Tensor, kind: str) -> torch.Tensor:
    """The loss of one sample: output o (C,), one-hot target t (C,)."""
    if kind == "mse":
        return (o - t).square().mean()
    if kind == "ce":
        return F.cross_entropy(o, t)  # o: logits; t: class probabilities (one-hot)
    return F.binary_cross_entropy(o, t)


def _loss_grad(o: torch.Tensor, t: torch.Tensor, kind: str) -> torch.Tensor:
    """d loss / d o: MSE and BCE are means over the C outputs (torch's BCE clamps o(1 - o) at
    1e-12); CE's is softmax(o) - t."""
    if kind == "mse":
        return (2.0 / o.numel()) * (o - t)
    if kind == "ce":
        return torch.softmax(o, dim=0) - t
    return (o - t) / ((1 - o) * o).clamp_min(1e-12) / o.numel()


class _TorchNet:
    """The MLP's parameters with forward, backward and update written out by hand, for one
    sample: x (D,) → a1, h1 (H,) → [LayerNorm] h2 (H,) → a2, o (C,)."""

    def __init__(self, model: MLP, rule: StepRule) -> None:
        lin1, norm, lin2 = layers(model)
        self.rule, self.has_ln = rule, norm is not None
        self.w1, self.b1, self.w2, self.b2 = (
            p.detach() for p in (lin1.weight, lin1.bias, lin2.weight, lin2.bias))
        self.ln_w, self.ln_b = (norm.weight.detach(), norm.bias.detach()) if norm else (None, None)
        self.params = [p for p in (self.w1, self.b1, self.ln_w, self.ln_b, self.w2, self.b2)
                       if p is not None]  # in the order of model.parameters()
        self.adam = _TorchAdam(self.params, rule.lr) if rule.optimizer == "adam" else None

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r = self.rule
        a1 = torch.addmv(self.b1, self.w1, x)  # (H,)
        h1 = _act(a1, r.hidden_activation, r.negative_slope)
        cache = {"x": x, "a1": a1, "h1": h1, "h2": h1}
        if self.has_ln:  # torch's own LayerNorm forward (same rounding), keeping mean and 1/std
            h2, mean, rstd = torch.native_layer_norm(h1, h1.shape, self.ln_w, self.ln_b, r.ln_eps)
            cache |= {"h2": h2, "rstd": rstd, "xhat": (h1 - mean) * rstd}
        a2 = torch.addmv(self.b2, self.w2, cache["h2"])  # (C,)
        return cache | {"a2": a2, "o": _act(a2, r.output_activation, r.negative_slope)}

    def backward(self, c: dict[str, torch.Tensor], t: torch.Tensor) -> list[torch.Tensor]:
        """Gradients of the loss for target t (C,), in the order of self.params."""
        r = self.rule
        da2 = _act_backward(c["a2"], c["o"], _loss_grad(c["o"], t, r.loss),
                            r.output_activation, r.negative_slope)  # (C,)
        dh2 = torch.mv(self.w2.T, da2)  # (H,)
        ln_grads = []
        dh1 = dh2
        if self.has_ln:  # LayerNorm: dh1 = (g - mean(g) - xhat·mean(g·xhat)) / std, g = dh2·w
            g, xhat = dh2 * self.ln_w, c["xhat"]
            dh1 = c["rstd"] * (g - g.mean() - xhat * (g * xhat).mean())
            ln_grads = [dh2 * xhat, dh2]
        da1 = _act_backward(c["a1"], c["h1"], dh1, r.hidden_activation, r.negative_slope)
        return [torch.outer(da1, c["x"]), da1, *ln_grads, torch.outer(da2, c["h2"]), da2]

    def update(self, grads: list[torch.Tensor]) -> None:
        if self.adam is not None:
            self.adam.step(grads)
        else:  # SGD: p -= lr * grad
            torch._foreach_add_(self.params, grads, alpha=-self.rule.lr)


def train_torch(model: MLP, x: torch.Tensor, labels: torch.Tensor, rule: StepRule, steps: int,
                record_every: int, progress: Callable[[int], None] | None) -> torch.Tensor:
    """Train `model` in place for `steps` steps on its device; return the recorded losses."""
    net = _TorchNet(model, rule)
    targets = F.one_hot(labels, model.cfg.sizes[-1]).to(x.dtype)  # (N, C)
    losses = torch.zeros(steps // record_every, dtype=x.dtype, device=x.device)
    checked = 0
    with torch.no_grad():
        for step in range(steps):
            i = step % len(x)
            cache = net.forward(x[i])
            if (step + 1) % record_every == 0:  # stays on the device: no sync per step
                losses[(step + 1) // record_every - 1] = _loss_value(cache["o"], targets[i],
                                                                     rule.loss)
            net.update(net.backward(cache, targets[i]))
            if (step + 1) % CHECK_EVERY == 0 or step + 1 == steps:
                checked = _check_finite(losses, checked, step + 1, record_every, cache["o"],
                                        rule.lr)
            if progress is not None and ((step + 1) % PROGRESS_EVERY == 0 or step + 1 == steps):
                progress(step + 1)
    return losses.cpu()


def _check_finite(losses: torch.Tensor, checked: int, step: int, record_every: int,
                  output: torch.Tensor, lr: float) -> int:
    """Raise TrainingDiverged if a loss recorded since `checked` or the last output is not
    finite (one host sync); return how many recorded losses are now checked."""
    recent = losses[checked:step // record_every]

    def diagnose():
        bad = (~torch.isfinite(recent)).nonzero()
        first = (checked + int(bad[0]) + 1) * record_every if len(bad) else step
        return lr_too_high(first, lr, exact=False)

    check_finite(torch.cat([recent, output]), diagnose)
    return step // record_every


class _TorchAdam:
    """torch.optim.Adam (defaults, single-tensor semantics) written with foreach tensor ops."""

    def __init__(self, params: list[torch.Tensor], lr: float) -> None:
        self.params, self.lr, self.t = params, lr, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self, grads: list[torch.Tensor]) -> None:
        beta1, beta2 = ADAM_BETAS
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        bc2_sqrt = (1 - beta2**self.t) ** 0.5
        torch._foreach_lerp_(self.m, grads, 1 - beta1)
        torch._foreach_mul_(self.v, beta2)
        torch._foreach_addcmul_(self.v, grads, grads, 1 - beta2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_div_(denom, bc2_sqrt)
        torch._foreach_add_(denom, ADAM_EPS)
        torch._foreach_addcdiv_(self.params, self.m, denom, -step_size)
