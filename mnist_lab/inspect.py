"""Look inside a network: activations and gradients per layer (lessons 03, 05, 14).

Vanishing gradients, saturated sigmoids and signals drifting out of range are all visible once
you measure each layer. These helpers run one forward (and backward) pass and report per layer.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def layer_outputs(model: nn.Module, x: torch.Tensor,
                  types: tuple[type, ...] = (nn.Linear,)) -> dict[str, torch.Tensor]:
    """Outputs of every submodule of the given types for input `x`, keyed by module name."""
    outputs: dict[str, torch.Tensor] = {}
    hooks = [
        module.register_forward_hook(
            lambda _m, _inp, out, name=name: outputs.__setitem__(name, out.detach()))
        for name, module in model.named_modules()
        if isinstance(module, types)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return outputs


def activation_stats(model: nn.Module, x: torch.Tensor,
                     types: tuple[type, ...] = (nn.Linear,)) -> list[dict[str, float | str]]:
    """Mean, std, min, max and saturated fraction of each layer's output for input `x`.

    "saturated" counts values where a sigmoid would be flat: |value| > 4 (sigmoid' < 0.018).
    """
    rows = []
    for name, out in layer_outputs(model, x, types).items():
        out = out.float()
        rows.append({
            "layer": name,
            "mean": out.mean().item(),
            "std": out.std().item(),
            "min": out.min().item(),
            "max": out.max().item(),
            "saturated": (out.abs() > 4).float().mean().item(),
        })
    return rows


LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   loss_fn: LossFn) -> dict[str, float]:
    """The L2 norm of the loss gradient for each Linear layer's weight, input side first."""
    model.zero_grad(set_to_none=True)
    loss_fn(model(x), y).backward()
    norms = {
        name: module.weight.grad.norm().item()
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and module.weight.grad is not None
    }
    model.zero_grad(set_to_none=True)
    return norms
