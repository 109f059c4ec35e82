"""What a check passes around (checks): copies of the arguments for each side, the tensors that
gradients flow back to, and short descriptions of arguments and values for its messages."""

from __future__ import annotations

import numbers
from typing import Any

import torch


def clone_args(value: Any, requires_grad: bool) -> Any:
    """Deep-copy tensors in `value` (so neither side sees the other's in-place edits)."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        if requires_grad and out.is_floating_point():
            out.requires_grad_(True)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(clone_args(v, requires_grad) for v in value)
    if isinstance(value, dict):
        return {k: clone_args(v, requires_grad) for k, v in value.items()}
    return value


def grad_leaves(value: Any) -> list[torch.Tensor]:
    """The tensors inside `value` that gradients flow back to."""
    if isinstance(value, torch.Tensor):
        return [value] if value.requires_grad else []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in grad_leaves(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in grad_leaves(v)]
    return []


def as_outputs(value: Any) -> tuple:
    """A function's result as a tuple of outputs."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def summarise(value: Any) -> str:
    """A short description of an argument: a tensor's shape and dtype, a model's class, a list's
    length; short numbers and strings as they are. Never a dump."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        if value.numel() <= 4 and value.dim() <= 1:
            entries = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v)
                                for v in value.detach().reshape(-1).tolist())
            return f"tensor([{entries}], {dtype})" if value.dim() else f"tensor({entries}, {dtype})"
        return f"tensor[{', '.join(map(str, value.shape))}] {dtype}"
    if isinstance(value, torch.nn.Module):
        return f"{article(type(value).__name__)} {type(value).__name__} model"
    if isinstance(value, torch.Generator):
        return "a generator"
    if isinstance(value, (list, tuple)):
        kind = type(value).__name__
        if len(value) <= 4 and all(isinstance(v, (numbers.Number, str)) for v in value):
            return repr(value)
        inner = {type(v).__name__ for v in value}
        what = "tensor" if inner == {"Tensor"} else "item"
        return f"a {kind} of {len(value)} {what}" + ("" if len(value) == 1 else "s")
    if isinstance(value, (numbers.Number, str, type(None))):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if callable(value):
        return getattr(value, "__name__", "a function")
    return f"{article(type(value).__name__)} {type(value).__name__}"


def article(word: str) -> str:
    """"a" or "an" before `word`, acronyms such as MLP ("an em-el-pee") included."""
    spoken_vowel = word[:1].lower() in "aeiou" or (word[:2].isupper() and word[0] in "FHLMNRSX")
    return "an" if spoken_vowel else "a"


def describe_args(args: tuple, kwargs: dict) -> str:
    """A call's arguments, each summarised: `tensor[4, 784] float32, lr=0.1`."""
    parts = [summarise(a) for a in args] + [f"{k}={summarise(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def show(value: Any) -> str:
    """A value in a message: numbers in full, anything bigger summarised."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (bool, int, str, type(None))):
        return repr(value)
    return summarise(value)


def flatten(value: Any) -> list:
    """Every item inside nested lists, tuples and dicts."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flatten(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in flatten(v)]
    return [value]
