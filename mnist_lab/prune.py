"""Looking inside a model, and making it smaller by removing whole hidden neurons (lesson 19).

Structured pruning takes neurons out for real. Hidden neuron j of layer k is row j of that
layer's Linear (its incoming weights and bias) and column j of the next Linear (its outgoing
weights). Removing it deletes both, so the pruned model is a genuinely smaller `MLP`: fewer
parameters, a smaller state_dict, and less work per input. A mask would only zero the weights.

    scores = neuron_scores(model, layer=0, norm="l1")      # (H,) one score per hidden neuron
    keep = keep_indices(scores, m=32)                      # drop the 32 weakest
    small = prune_neurons(model, layer=0, keep_idx=keep)   # a new, smaller MLP

The pruned model computes exactly what the original computes with the removed neurons'
outgoing weights set to zero.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

import torch
from torch import nn

NORMS = ("l1", "l2")


# ---- looking inside -------------------------------------------------------------------------


def _shape(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return f"{module.in_features} → {module.out_features}"
    weight = getattr(module, "weight", None)
    return " × ".join(map(str, weight.shape)) if isinstance(weight, torch.Tensor) else ""


def layer_table(model: nn.Module) -> list[tuple[str, str, str, int]]:
    """(name, type, shape, parameters) for each leaf module except Identity (lesson 19)."""
    rows = []
    for name, module in model.named_modules():
        if list(module.children()) or isinstance(module, nn.Identity):
            continue  # containers are summed up by their leaves; Identity does nothing
        params = sum(p.numel() for p in module.parameters())
        rows.append((name, type(module).__name__, _shape(module), params))
    return rows


def summary(model: nn.Module) -> str:
    """A small table of the model's layers: name, type, shape and parameter count (lesson 19).

    Ends with the total number of parameters and the size of the state_dict in bytes.
    """
    rows = [("layer", "type", "shape", "params")]
    rows += [(n, t, s, f"{p:,}") for n, t, s, p in layer_table(model)]
    total = sum(p.numel() for p in model.parameters())
    rows.append(("total", "", "", f"{total:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        f"{n:<{widths[0]}}  {t:<{widths[1]}}  {s:<{widths[2]}}  {p:>{widths[3]}}"
        for n, t, s, p in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(-1, "-" * len(lines[0]))
    lines.append(f"state_dict: {state_dict_bytes(model):,} bytes")
    return "\n".join(lines)


def state_dict_bytes(model: nn.Module) -> int:
    """Bytes of all tensors in the model's state_dict (weights, biases, buffers) (lesson 19)."""
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


# ---- ranking neurons ------------------------------------------------------------------------


def neuron_norms(weight: torch.Tensor, norm: str = "l1") -> torch.Tensor:
    """The norm of each row of a (H, n_in) weight matrix: one number per neuron (lesson 19).

    Row j holds neuron j's incoming weights. "l1" sums their absolute values, "l2" is the square
    root of the sum of squares. A neuron with small incoming weights responds weakly to every
    input, so it is the first candidate for removal.
    """
    if weight.ndim != 2:
        raise ValueError(f"weight must be a (neurons, inputs) matrix, got {tuple(weight.shape)}")
    if norm == "l1":
        return weight.abs().sum(dim=1)
    if norm == "l2":
        return weight.pow(2).sum(dim=1).sqrt()
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")


def _hidden_blocks(model: nn.Module) -> nn.ModuleList:
    blocks = getattr(model, "hidden", None)
    if not isinstance(blocks, nn.ModuleList) or not isinstance(getattr(model, "out", None),
                                                               nn.Linear):
        raise TypeError(
            f"pruning works on mnist_lab.models.MLP (hidden blocks and an `out` layer), "
            f"got {type(model).__name__}"
        )
    return blocks


def _check_layer(model: nn.Module, layer: int) -> int:
    n = len(_hidden_blocks(model))
    if not isinstance(layer, int) or not 0 <= layer < n:
        raise ValueError(f"layer must be the index of a hidden layer, 0..{n - 1}, got {layer!r}")
    return layer


def neuron_scores(model: nn.Module, layer: int = 0, norm: str = "l1") -> torch.Tensor:
    """(H,) the norm of each neuron's incoming weights in hidden layer `layer` (lesson 19)."""
    block = _hidden_blocks(model)[_check_layer(model, layer)]
    return neuron_norms(block.linear.weight.detach(), norm)


def keep_indices(scores: torch.Tensor, m: int) -> torch.Tensor:
    """Indices (ascending) of the neurons to keep after removing the m lowest-scored (lesson 19).

    Ties are broken by position: among equal scores the neuron with the lower index goes first.
    m = 0 keeps every neuron; at least one neuron must stay.
    """
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-d, one per neuron, got shape {tuple(scores.shape)}")
    if not 0 <= m < len(scores):
        raise ValueError(f"m must be in 0..{len(scores) - 1} (keep at least one neuron), got {m}")
    order = torch.argsort(scores, stable=True)  # weakest first; ties in index order
    return order[m:].sort().values


# ---- removing neurons -----------------------------------------------------------------------


def _as_index(keep_idx: torch.Tensor | Sequence[int], width: int) -> torch.Tensor:
    """keep_idx as a checked 1-d int64 CPU tensor."""
    idx = torch.as_tensor(keep_idx)
    if idx.numel() == 0:
        raise ValueError("keep_idx is empty: keep at least one neuron")
    if idx.ndim != 1 or idx.is_floating_point() or idx.dtype == torch.bool:
        raise ValueError(
            f"keep_idx must be a 1-d list or tensor of neuron indices, got {idx.dtype} "
            f"{tuple(idx.shape)} (a boolean mask m becomes indices with m.nonzero().flatten())"
        )
    idx = idx.long().cpu()
    if int(idx.min()) < 0 or int(idx.max()) >= width:
        raise ValueError(f"keep_idx must be in 0..{width - 1} for a layer of {width} neurons, "
                         f"got values from {int(idx.min())} to {int(idx.max())}")
    if len(idx.unique()) != len(idx):
        raise ValueError("keep_idx contains repeated indices: list each neuron to keep once")
    return idx


def _sliced_linear(linear: nn.Linear, rows: torch.Tensor | None, cols: torch.Tensor | None
                   ) -> nn.Linear:
    """A new Linear holding the chosen rows (outputs) and columns (inputs) of `linear`."""
    weight, bias = linear.weight.detach(), linear.bias
    if rows is not None:
        weight = weight[rows.to(weight.device)]
        bias = None if bias is None else bias.detach()[rows.to(weight.device)]
    if cols is not None:
        weight = weight[:, cols.to(weight.device)]
    out_f, in_f = weight.shape
    # skip_init: no random initialisation (which would also move the global RNG)
    new = nn.utils.skip_init(nn.Linear, in_f, out_f, bias=bias is not None,
                             device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        new.weight.copy_(weight)
        if bias is not None:
            new.bias.copy_(bias.detach())
    return new


def _sliced_batch_norm(norm: nn.BatchNorm1d, idx: torch.Tensor) -> nn.BatchNorm1d:
    """A BatchNorm1d over the kept features only: each feature is normalised on its own."""
    new = copy.deepcopy(norm)
    new.num_features = len(idx)
    for name in ("weight", "bias", "running_mean", "running_var"):
        t = getattr(norm, name)
        if t is None:
            continue
        sliced = t.detach()[idx.to(t.device)].clone()
        # a Parameter stays a Parameter; assigning a tensor to a buffer's name replaces the buffer
        setattr(new, name, nn.Parameter(sliced) if isinstance(t, nn.Parameter) else sliced)
    return new


def prune_neurons(model: nn.Module, layer: int, keep_idx: torch.Tensor | Sequence[int]
                  ) -> nn.Module:
    """A new, smaller model keeping only neurons `keep_idx` of hidden layer `layer` (lesson 19).

    Removes the other neurons' rows from that layer's Linear (and batch norm, if any) and their
    columns from the next Linear. The original model is left unchanged. LayerNorm and residual
    connections mix all neurons of a layer, so pruning them is refused with an error.
    """
    blocks = _hidden_blocks(model)
    layer = _check_layer(model, layer)
    cfg = getattr(model, "cfg", None)
    if getattr(cfg, "residual", False):
        raise ValueError("cannot prune a model with residual connections: the skip adds the "
                         "layer's input to its output neuron by neuron, so widths must match")
    block = blocks[layer]
    if isinstance(block.norm, nn.LayerNorm):
        raise ValueError("cannot prune a layer with LayerNorm exactly: it normalises over all "
                         "of the layer's neurons, so removing one changes every other output")
    idx = _as_index(keep_idx, block.linear.out_features)

    pruned = copy.deepcopy(model)
    new_block = pruned.hidden[layer]
    new_block.linear = _sliced_linear(block.linear, rows=idx, cols=None)
    if isinstance(block.norm, nn.BatchNorm1d):
        new_block.norm = _sliced_batch_norm(block.norm, idx)
    if layer + 1 < len(blocks):
        nxt = pruned.hidden[layer + 1]
        nxt.linear = _sliced_linear(blocks[layer + 1].linear, rows=None, cols=idx)
    else:
        pruned.out = _sliced_linear(model.out, rows=None, cols=idx)
    if cfg is not None and dataclasses.is_dataclass(cfg):
        sizes = list(cfg.sizes)
        sizes[layer + 1] = len(idx)
        pruned.cfg = dataclasses.replace(cfg, sizes=tuple(sizes))
    return pruned


def prune_lowest(model: nn.Module, layer: int, m: int, norm: str = "l1") -> nn.Module:
    """Remove the m hidden neurons of `layer` with the smallest incoming-weight norm (lesson 19)."""
    return prune_neurons(model, layer, keep_indices(neuron_scores(model, layer, norm), m))
