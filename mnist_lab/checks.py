"""Instant feedback for exercises: compare a student's function with the reference (all lessons).

Like micrograd's tests, a check runs the same inputs through the student's function and through the
reference, then compares values *and* gradients. When they differ it says where, by how much, and
gives the exercise's hint. Public and hidden exercise tests are built from `check_function`.
"""

from __future__ import annotations

import dis
from collections.abc import Callable, Sequence
from typing import Any

import torch

from mnist_lab.check_args import (
    article,
    as_outputs,
    clone_args,
    describe_args,
    flatten,
    grad_leaves,
    show,
)

UNTOUCHED = "not attempted yet: replace `...` with your code"
IN_PLACE = ("it changed one of its input tensors in place; build and return new tensors instead "
            "(e.g. `p = p - lr * g`, not `p -= lr * g`)")


class CheckFailed(AssertionError):
    """The student's answer differs from the reference; the message says how and hints why.

    `problem` is one sentence saying what is wrong, `case` names the failing case (its arguments
    summarised, never dumped; "" when there are no cases) and `hint` is the hint of the check that
    failed ("" if it has none). `str(exc)` is the full message: case, problem and hint.
    A message passed alone, as in `CheckFailed("... Hint: ...")`, is split into problem and hint.
    """

    def __init__(self, problem: str, *, case: str = "", hint: str = "") -> None:
        if not hint:
            problem, _, hint = (part.strip() for part in _split_hint(problem))
        self.problem = problem.strip().rstrip(".")
        self.case = case
        self.hint = hint.strip()
        message = f"{case}: {self.problem}." if case else f"{self.problem}."
        super().__init__(message + (f"\nHint: {self.hint}" if self.hint else ""))


class NotAttempted(CheckFailed):
    """The exercise still holds the stub a student starts from: not wrong, just not tried."""

    def __init__(self, name: str = "this exercise") -> None:
        super().__init__(f"{name}: {UNTOUCHED}")


def _split_hint(message: str) -> tuple[str, str, str]:
    for marker in ("\nHint: ", " Hint: ", "Hint: "):
        if marker in message:
            return message.partition(marker)
    return message, "", ""


_NO_OPS = {"RESUME", "NOP", "CACHE", "EXTENDED_ARG"}


def is_untouched(fn: Any) -> bool:
    """True when `fn` is still a stub: its body (after the docstring) is only `...` or `pass`,
    so it does nothing and returns None."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    steps = [(i.opname, i.argval) for i in dis.get_instructions(code) if i.opname not in _NO_OPS]
    return steps in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def require_attempt(fn: Any, name: str | None = None) -> None:
    """Raise NotAttempted when `fn` is the untouched stub, so the notebook shows one calm line."""
    if is_untouched(fn) or fn is Ellipsis or fn is None:
        raise NotAttempted(name or getattr(fn, "__name__", "this exercise"))


def show_unattempted_briefly() -> None:
    """In a notebook: show an untried exercise's check as one neutral line, not a failure report.

    Registers IPython display formatters for otter's test results: when every failing test of a
    question failed with NotAttempted, the result shows as "q1_name: not attempted yet: ...".
    Any other result keeps otter's own display. Does nothing outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython always comes with the notebooks
        return
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters

    def html(result: Any) -> str:
        line = _untouched_line(result)
        return f"<p>{line.replace('`...`', '<code>...</code>')}</p>" if line else \
            result._repr_html_()

    def plain(result: Any, printer: Any, cycle: bool) -> None:
        printer.text(_untouched_line(result) or repr(result))

    where = ("otter.test_files.abstract_test", "TestFile")
    formatters["text/html"].for_type_by_name(*where, html)
    formatters["text/plain"].for_type_by_name(*where, plain)


def _untouched_line(result: Any) -> str | None:
    """The one-line summary of an otter result whose failures are all NotAttempted, else None."""
    failed = [r for r in getattr(result, "test_case_results", []) if not r.passed]
    if failed and all("NotAttempted:" in (r.message or "") for r in failed):
        return f"{result.name}: {UNTOUCHED}."
    return None


def _to_tensor(value: Any, like: torch.Tensor) -> torch.Tensor | None:
    """Accept numpy arrays and Python numbers as answers too; None if it cannot be converted."""
    if isinstance(value, torch.Tensor):
        return value
    try:
        return torch.as_tensor(value, dtype=like.dtype, device=like.device)
    except (TypeError, ValueError, RuntimeError):
        return None


_DTYPE_KINDS = {
    "float": (lambda d: d.is_floating_point, "a floating-point dtype (float32 or float64)"),
    "int": (lambda d: not d.is_floating_point and not d.is_complex and d != torch.bool,
            "an integer dtype (int64 or another int type)"),
}


def _dtype_problem(mine: Any, ref: torch.Tensor, what: str, dtype: str | torch.dtype | None
                   ) -> str | None:
    """None when `mine` has the dtype the prompt asks for, else a sentence saying so."""
    if dtype is None:
        return None
    got = mine.dtype if isinstance(mine, torch.Tensor) else _array_dtype(mine)
    if got is None:
        kind = type(mine).__name__
        return f"{what} is {article(kind)} {kind}, expected a tensor"
    if dtype in _DTYPE_KINDS:
        ok, wanted = _DTYPE_KINDS[dtype]
        return None if ok(got) else f"{what} has dtype {got}, expected {wanted}"
    wanted = ref.dtype if dtype == "same" else dtype
    return None if got == wanted else f"{what} has dtype {got}, expected {wanted}"


def _array_dtype(value: Any) -> torch.dtype | None:
    """The torch dtype matching a NumPy array's, else None: a NumPy array of the asked dtype is
    the same answer as a tensor (the values are compared as a tensor anyway)."""
    if type(value).__module__ != "numpy" or not hasattr(value, "dtype"):
        return None
    try:
        return torch.as_tensor(value).dtype
    except (TypeError, ValueError, RuntimeError):  # e.g. an array of Python objects
        return None


def _compare(mine: Any, ref: torch.Tensor, what: str, atol: float, rtol: float) -> str | None:
    """None when `mine` matches `ref`, else a sentence saying how it differs."""
    if mine is None:
        return f"{what} is None: did you forget a `return` statement?"
    got = _to_tensor(mine, ref)
    if got is None:
        kind = type(mine).__name__
        return f"{what} is {article(kind)} {kind}, expected a tensor of shape {tuple(ref.shape)}"
    if got.shape != ref.shape:
        if got.numel() == ref.numel():
            return (f"{what} has shape {tuple(got.shape)}, expected {tuple(ref.shape)} "
                    "(same number of entries: check a reshape or a missing squeeze)")
        return f"{what} has shape {tuple(got.shape)}, expected {tuple(ref.shape)}"
    got = got.detach().to(dtype=ref.dtype, device=ref.device)
    ref = ref.detach()
    if not torch.isfinite(got).all() and torch.isfinite(ref).all():
        return (f"{what} contains NaN or inf where the reference is finite (an inf / inf, a 0 / 0 "
                "or a log(0)?)")
    close = torch.isclose(got, ref, atol=atol, rtol=rtol, equal_nan=True)
    if bool(close.all()):
        return None
    if got.dim() == 0:
        yours, expected = _two_numbers(got.item(), ref.item())
        return f"{what} is {yours}, expected {expected}"
    index = tuple((~close).nonzero()[0].tolist())
    diff = (got.cpu().double() - ref.cpu().double()).abs().max().item()  # MPS has no float64
    yours, expected = _two_numbers(got[index].item(), ref[index].item())
    return (f"{what} differs at {int((~close).sum())} of {close.numel()} entries (largest "
            f"difference {diff:.3g}); e.g. at index {index}: yours {yours}, expected {expected}")


def _two_numbers(mine: Any, ref: Any) -> tuple[str, str]:
    """Both values as a message shows them: six digits, or twelve when six look the same (a
    difference in the 7th digit would otherwise read "0.123333, expected 0.123333")."""
    yours, expected = show(mine), show(ref)
    if yours == expected and isinstance(mine, float) and isinstance(ref, float):
        yours, expected = f"{mine:.12g}", f"{ref:.12g}"
    return yours, expected


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
    dtype: str | torch.dtype | None = None,
) -> bool:
    """Compare `student` with `reference` on each case: values, and gradients when `grad` is set.

    A case is a tuple of positional arguments, or a dict with "args" and "kwargs". Tensors are
    cloned for each side, so in-place edits by one cannot leak into the other. `dtype` checks the
    tensors returned: "same" (the reference's dtype), "float", "int" or a torch.dtype; None
    accepts anything convertible (lists, arrays, numbers). Raises CheckFailed naming the first
    case that differs (its `case`, `problem` and `hint`); prints a short success line otherwise.
    """
    name = name or getattr(reference, "__name__", "your function")
    require_attempt(student, name)
    for i, case in enumerate(cases, start=1):
        if isinstance(case, dict):
            args, kwargs = tuple(case.get("args", ())), dict(case.get("kwargs", {}))
        else:
            args, kwargs = tuple(case), {}
        problem = _check_case(student, reference, args, kwargs, grad, atol, rtol, dtype)
        if problem:
            where = f"Case {i} of {len(cases)}: {name}({describe_args(args, kwargs)})"
            raise CheckFailed(problem, case=where, hint=hint)
    if not quiet:
        what = "values and gradients" if grad else "values"
        count = f"{len(cases)} case" + ("s" if len(cases) != 1 else "")
        print(f"✓ {name} matches the reference on {count} ({what}).")
    return True


def _check_case(student, reference, args, kwargs, grad, atol, rtol, dtype) -> str | None:
    ref_args, ref_kwargs = clone_args(args, grad), clone_args(kwargs, grad)
    ref_value = reference(*ref_args, **ref_kwargs)
    ref_out = as_outputs(ref_value)

    my_args, my_kwargs = clone_args(args, grad), clone_args(kwargs, grad)
    originals = clone_args((my_args, my_kwargs), False)
    try:
        mine = student(*my_args, **my_kwargs)
    except NotImplementedError:
        return UNTOUCHED
    except RuntimeError as exc:
        # autograd refuses an in-place edit of an input that requires grad: say it plainly
        if "leaf Variable that requires grad" in str(exc):
            return IN_PLACE
        return f"raised RuntimeError: {exc}"
    except Exception as exc:  # any error in student code becomes feedback, never a crash
        return f"raised {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
    if mine is None:
        return "it returned None: did you forget a `return` statement?"
    if mine is Ellipsis:
        return "it returned `...`: replace it with your result"
    # a list where the reference returns one tensor is that tensor's values, not several results
    my_out = as_outputs(mine) if isinstance(ref_value, (tuple, list)) else (mine,)
    if len(my_out) != len(ref_out):
        if len(my_out) == 1:  # e.g. one stacked tensor where a pair is asked for
            kind = type(mine).__name__
            return (f"it returned one value ({article(kind)} {kind}), expected {len(ref_out)}: "
                    "return them as a tuple, `return a, b`")
        return f"it returned {len(my_out)} values, expected {len(ref_out)}"

    for k, (m, r) in enumerate(zip(my_out, ref_out)):
        label = "the result" if len(ref_out) == 1 else f"result #{k + 1}"
        if isinstance(r, torch.Tensor):
            problem = _dtype_problem(m, r, label, dtype) or _compare(m, r, label, atol, rtol)
        else:
            same = _same_scalar(m, r, atol, rtol)
            yours, expected = _two_numbers(m, r)
            problem = None if same else f"{label} is {yours}, expected {expected}"
        if problem:
            return problem

    edited = _compare_inputs(originals, (my_args, my_kwargs))
    if edited:
        return edited
    return _check_gradients(my_out, ref_out, (my_args, my_kwargs), (ref_args, ref_kwargs),
                            atol, rtol) if grad else None


def _same_scalar(mine: Any, ref: Any, atol: float, rtol: float) -> bool:
    if isinstance(ref, (bool, str)) or isinstance(mine, str):
        return type(mine) is type(ref) and mine == ref if isinstance(ref, str) else \
            _is_bool(mine) and bool(mine) == ref
    try:
        return abs(float(mine) - float(ref)) <= atol + rtol * abs(float(ref))
    except (TypeError, ValueError, RuntimeError):
        return mine == ref


def _is_bool(value: Any) -> bool:
    """A yes/no answer: Python's bool, NumPy's bool or a one-element bool tensor."""
    if isinstance(value, torch.Tensor):
        return value.dtype == torch.bool and value.numel() == 1
    return type(value).__name__ in ("bool", "bool_")


def _compare_inputs(before: Any, after: Any) -> str | None:
    """Catch in-place edits of the inputs (a function step must return new tensors)."""
    for b, a in zip(flatten(before), flatten(after)):
        if isinstance(b, torch.Tensor) and not torch.equal(b, a.detach()):
            return IN_PLACE
    return None


def _check_gradients(my_out, ref_out, my_inputs, ref_inputs, atol, rtol) -> str | None:
    """Backpropagate a fixed random weighting of the outputs through both sides; compare grads."""
    my_leaves, ref_leaves = grad_leaves(my_inputs), grad_leaves(ref_inputs)
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
                    "values, and torch.no_grad())")
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
                rtol: float = 1e-3, hint: str = "", quiet: bool = False,
                dtype: str | torch.dtype | None = None) -> bool:
    """Compare a value (number, bool, string or tensor) with the expected one; raise CheckFailed
    with the hint if they differ. `dtype` as in check_function, for tensors."""
    if value is None or value is Ellipsis:
        problem = f"{name} is not filled in yet" if value is Ellipsis else \
            f"{name} is None: did you forget a `return` statement?"
    elif isinstance(expected, torch.Tensor):
        problem = _dtype_problem(value, expected, name, dtype) or \
            _compare(value, expected, name, atol, rtol)
    elif _same_scalar(value, expected, atol, rtol):
        problem = None
    elif isinstance(expected, bool) and not _is_bool(value):
        kind = type(value).__name__
        problem = (f"{name} is {show(value)}, {article(kind)} {kind}; expected {expected}, a bool "
                   "(True or False)")
    else:
        about = "about " if isinstance(expected, float) and (atol or rtol) else ""
        yours, wanted = _two_numbers(value, expected)
        problem = f"{name} is {yours}, expected {about}{wanted}"
    if problem:
        raise CheckFailed(problem, hint=hint)
    if not quiet:
        print(f"✓ {name} is right.")
    return True


def check_type(value: Any, types: type | tuple[type, ...], *, name: str, wanted: str,
               hint: str = "") -> None:
    """Raise CheckFailed unless `value` is an instance of `types` (the type the prompt states)."""
    if value is None:
        raise CheckFailed(f"{name} is None: did you forget a `return` statement?", hint=hint)
    if not isinstance(value, types):
        kind = type(value).__name__
        raise CheckFailed(f"{name} is {article(kind)} {kind}, expected {wanted}", hint=hint)
