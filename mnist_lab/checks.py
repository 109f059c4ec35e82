"""Instant feedback for exercises: compare a student's function with the reference (all lessons).

Like micrograd's tests, a check runs the same inputs through the student's function and through the
reference, then compares values *and* gradients. When they differ it says where, by how much, and
gives the exercise's hint. Public and hidden exercise tests are built from `check_function`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch


class CheckFailed(AssertionError):
    """The student's answer differs from the reference; the message says how and hints why."""


def _clone(value: Any, requires_grad: bool) -> Any:
    """Deep-copy tensors in `value` (so neither side sees the other's in-place edits)."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        if requires_grad and out.is_floating_point():
            out.requires_grad_(True)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v, requires_grad) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v, requires_grad) for k, v in value.items()}
    return value


def _leaves(value: Any) -> list[torch.Tensor]:
    """The tensors inside `value` that gradients flow back to."""
    if isinstance(value, torch.Tensor):
        return [value] if value.requires_grad else []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _leaves(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    return []


def _as_outputs(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _describe(args: tuple, kwargs: dict) -> str:
    def short(v: Any) -> str:
        if isinstance(v, torch.Tensor):
            return f"tensor{tuple(v.shape)}" if v.numel() > 4 else repr(v.detach().tolist())
        return repr(v)

    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _to_tensor(value: Any, like: torch.Tensor) -> torch.Tensor | None:
    """Accept numpy arrays and Python numbers as answers too; None if it cannot be converted."""
    if isinstance(value, torch.Tensor):
        return value
    try:
        return torch.as_tensor(value, dtype=like.dtype, device=like.device)
    except (TypeError, ValueError, RuntimeError):
        return None


def _compare(mine: Any, ref: torch.Tensor, what: str, atol: float, rtol: float) -> str | None:
    """None when `mine` matches `ref`, else a sentence saying how it differs."""
    if mine is None:
        return f"{what} is None — did you forget a `return` statement?"
    got = _to_tensor(mine, ref)
    if got is None:
        return f"{what} is a {type(mine).__name__}, expected a tensor of shape {tuple(ref.shape)}"
    if got.shape != ref.shape:
        if got.numel() == ref.numel():
            return (f"{what} has shape {tuple(got.shape)}, expected {tuple(ref.shape)} "
                    "(same numbers, different shape: check a reshape or a missing squeeze)")
        return f"{what} has shape {tuple(got.shape)}, expected {tuple(ref.shape)}"
    got = got.detach().to(dtype=ref.dtype, device=ref.device)
    ref = ref.detach()
    if not torch.isfinite(got).all() and torch.isfinite(ref).all():
        return f"{what} contains NaN or inf where the reference is finite (a log(0) or a 0/0?)"
    close = torch.isclose(got, ref, atol=atol, rtol=rtol, equal_nan=True)
    if bool(close.all()):
        return None
    bad = (~close).nonzero()[0].tolist()
    index = tuple(bad) if got.dim() else ()
    diff = (got - ref).abs().max().item()
    return (f"{what} differs at {int((~close).sum())} of {close.numel()} entries "
            f"(largest difference {diff:.3g}); e.g. at index {index}: yours "
            f"{got[index].item():.6g}, expected {ref[index].item():.6g}")


def check_function(
    student: Callable,
    reference: Callable,
    cases: Sequence[tuple | dict],
    *,
    name: str | None = None,
    grad: bool = True,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    hint: str = "",
    quiet: bool = False,
) -> bool:
    """Compare `student` with `reference` on each case: values, and gradients when `grad` is set.

    A case is a tuple of positional arguments, or a dict with "args" and "kwargs". Tensors are
    cloned for each side, so in-place edits by one cannot leak into the other. Raises CheckFailed
    with a message naming the first case that differs; prints a short success line otherwise.
    """
    name = name or getattr(reference, "__name__", "your function")
    for i, case in enumerate(cases, start=1):
        if isinstance(case, dict):
            args, kwargs = tuple(case.get("args", ())), dict(case.get("kwargs", {}))
        else:
            args, kwargs = tuple(case), {}
        problem = _check_case(student, reference, args, kwargs, name, grad, atol, rtol)
        if problem:
            where = f"{name}({_describe(args, kwargs)})"
            message = f"Case {i} of {len(cases)}: {where}: {problem}."
            raise CheckFailed(message + (f"\nHint: {hint}" if hint else ""))
    if not quiet:
        what = "values and gradients" if grad else "values"
        count = f"{len(cases)} case" + ("s" if len(cases) != 1 else "")
        print(f"✓ {name} matches the reference on {count} ({what}).")
    return True


def _check_case(student, reference, args, kwargs, name, grad, atol, rtol) -> str | None:
    ref_args, ref_kwargs = _clone(args, grad), _clone(kwargs, grad)
    ref_out = _as_outputs(reference(*ref_args, **ref_kwargs))

    my_args, my_kwargs = _clone(args, grad), _clone(kwargs, grad)
    originals = _clone((my_args, my_kwargs), False)
    try:
        mine = student(*my_args, **my_kwargs)
    except NotImplementedError:
        return "not attempted yet (it raises NotImplementedError)"
    except Exception as exc:  # any error in student code becomes feedback, never a crash
        return f"raised {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
    if mine is None:
        return "returned None — did you forget a `return` statement?"
    my_out = _as_outputs(mine)
    if len(my_out) != len(ref_out):
        return f"returned {len(my_out)} values, expected {len(ref_out)}"

    for k, (m, r) in enumerate(zip(my_out, ref_out)):
        label = "the result" if len(ref_out) == 1 else f"result #{k + 1}"
        if isinstance(r, torch.Tensor):
            problem = _compare(m, r, label, atol, rtol)
        else:
            same = _same_scalar(m, r, atol, rtol)
            problem = None if same else f"{label} is {m!r}, expected {r!r}"
        if problem:
            return problem

    edited = _compare_inputs(originals, (my_args, my_kwargs))
    if edited:
        return edited
    return _check_gradients(my_out, ref_out, (my_args, my_kwargs), (ref_args, ref_kwargs),
                            atol, rtol) if grad else None


def _same_scalar(mine: Any, ref: Any, atol: float, rtol: float) -> bool:
    try:
        return abs(float(mine) - float(ref)) <= atol + rtol * abs(float(ref))
    except (TypeError, ValueError):
        return mine == ref


def _compare_inputs(before: Any, after: Any) -> str | None:
    """Catch in-place edits of the inputs (a function step must return new tensors)."""
    for b, a in zip(_flat(before), _flat(after)):
        if isinstance(b, torch.Tensor) and not torch.equal(b, a.detach()):
            return ("changed one of its input tensors in place; build and return new tensors "
                    "instead (e.g. `p = p - lr * g`, not `p -= lr * g`)")
    return None


def _flat(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    return [value]


def _check_gradients(my_out, ref_out, my_inputs, ref_inputs, atol, rtol) -> str | None:
    """Backpropagate a fixed random weighting of the outputs through both sides; compare grads."""
    my_leaves, ref_leaves = _leaves(my_inputs), _leaves(ref_inputs)
    if not ref_leaves:
        return None
    gen = torch.Generator().manual_seed(0)
    ref_total, my_total = 0.0, 0.0
    for m, r in zip(my_out, ref_out):
        if not (isinstance(r, torch.Tensor) and r.requires_grad):
            continue
        w = torch.randn(r.shape, generator=gen, dtype=r.dtype).to(r.device)
        if not (isinstance(m, torch.Tensor) and m.requires_grad):
            return ("the result is cut off from autograd, so no gradient flows back through it "
                    "(avoid .item(), .detach(), .numpy(), torch.tensor(...) on intermediate "
                    "values and torch.no_grad())")
        ref_total = ref_total + (r * w).sum()
        my_total = my_total + (m * w.to(m.dtype)).sum()
    if isinstance(ref_total, float):
        return None
    ref_grads = torch.autograd.grad(ref_total, ref_leaves, allow_unused=True)
    my_grads = torch.autograd.grad(my_total, my_leaves, allow_unused=True)
    for k, (mg, rg) in enumerate(zip(my_grads, ref_grads), start=1):
        if rg is None:
            continue
        if mg is None:
            return f"no gradient reaches input #{k} (is it used in the computation?)"
        problem = _compare(mg, rg, f"the gradient with respect to input #{k}", atol, rtol)
        if problem:
            return problem
    return None


def check_close(value: Any, expected: Any, *, name: str = "your answer", atol: float = 1e-4,
                rtol: float = 1e-3, hint: str = "", quiet: bool = False) -> bool:
    """Compare a value (number or tensor) with the expected one; raise CheckFailed with a hint."""
    if isinstance(expected, torch.Tensor):
        problem = _compare(value, expected, name, atol, rtol)
    elif value is None or value is Ellipsis:
        problem = f"{name} is not filled in yet"
    else:
        problem = None if _same_scalar(value, expected, atol, rtol) else (
            f"{name} is {value!r}, expected about {expected!r}")
    if problem:
        raise CheckFailed(problem + "." + (f"\nHint: {hint}" if hint else ""))
    if not quiet:
        print(f"✓ {name} is right.")
    return True
