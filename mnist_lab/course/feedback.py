"""What a student may read about a test result, and what only the instructor may (grading).

A public test's failure is shown whole: its code is in the student's notebook. A hidden test's
failure shows the kind of failure (wrong values, wrong shape, an error of type X...) and the
hint that belongs to the failing check, never its message: that may quote expected values, the
test's inputs, or whatever the student's own exception text said about them. The exception
attributes `problem`, `case` and `hint` of mnist_lab.checks.CheckFailed are used where present.
"""

from __future__ import annotations

import signal
from collections.abc import Collection
from typing import Any

from mnist_lab.course.proxy import StudentError
from mnist_lab.course.report import Grade

_KINDS = (  # (words in the check's message, what a student may be told)
    ("not attempted", "it is not attempted yet (still `...`, or it raises NotImplementedError)"),
    ("not defined", "the function is not defined"),
    ("None", "it returned None (a missing `return`?)"),
    ("cut off from autograd", "its result is cut off from autograd"),
    ("no gradient reaches", "no gradient reaches one of its inputs"),
    ("gradient", "its gradients are wrong"),
    ("in place", "it changed one of its inputs in place"),
    ("NaN or inf", "its result contains NaN or inf"),
    ("shape", "its result has the wrong shape"),
    ("dtype", "its result has the wrong dtype"),
    ("raised", "it raised an error"),
    ("returned", "it returned the wrong number or kind of values"),
    ("differs", "its values are wrong"),
)


class Undefined(NameError):
    """A name a test needs that the notebook does not define."""


def _attr(exc: BaseException, name: str) -> str:
    value = getattr(exc, name, None)
    return value if isinstance(value, str) else ""


def _hint(exc: BaseException) -> str:
    return _attr(exc, "hint") or str(exc).partition("\nHint: ")[2].strip()


def _is_check(exc: BaseException) -> bool:
    return isinstance(exc, AssertionError)  # CheckFailed and plain asserts of the tests


def public_text(exc: BaseException) -> str:
    """A public test's whole message ('Type: message' for an error that is not a check)."""
    text = str(exc).strip()
    if _is_check(exc) or isinstance(exc, Undefined):
        return text or "a public test failed"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def hidden_kind(exc: BaseException) -> str:
    """The kind of a hidden failure in fixed words: nothing of the message itself."""
    if isinstance(exc, NameError):
        return "the function is not defined"
    if isinstance(exc, StudentError):  # its class name is the student's: it could spell inputs
        return "your code raised an error"
    if not _is_check(exc):
        return f"your code raised {type(exc).__name__}"
    problem = _attr(exc, "problem") or str(exc).partition("\nHint: ")[0]
    for words, kind in _KINDS:
        if words in problem:
            return kind
    return "its result is wrong"


def _explain(hidden: bool, exc: BaseException, fallback_hint: str,
             literals: Collection[str] = ()) -> tuple[str, str]:
    """(one-line summary, longer feedback) for one failed test. A hidden failure's own hint is
    shown only when it is one of `literals` (written in the tests): a check's hint is split
    from its message when not given apart, and that message may hold the student's text."""
    if not hidden:
        text = public_text(exc)
        summary = _attr(exc, "problem") or text.split("\n")[0]
        if _attr(exc, "case") and _attr(exc, "case") not in summary:
            summary = f"{_attr(exc, 'case')}: {summary}"
        return summary, text
    kind = hidden_kind(exc)
    hint = _hint(exc) if _is_check(exc) else ""
    hint = hint if hint and hint in literals else fallback_hint
    return f"a hidden test failed: {kind}", f"A hidden test failed: {kind}." + (
        f"\nHint: {hint}" if hint else "")


def judge(sub: Any, ex: Any, failures: list[BaseException | None]) -> Grade:
    """An exercise's grade from its tests' outcomes (None: passed)."""
    passed = [f is None for f in failures]
    if len(failures) != len(ex.tests):
        return _grade(sub, ex, "error", f"the grader found {len(failures)} tests, expected "
                      f"{len(ex.tests)}")
    points = sum(t.points for t, ok in zip(ex.tests, passed) if ok)
    if ex.all_or_nothing and not all(passed):
        points = 0.0
    if all(passed):
        message = "the test passed" if len(passed) == 1 else f"all {len(passed)} tests passed"
        return Grade(sub.student, sub.lesson, ex.name, points, ex.max_points, "passed", message,
                     f"{message.capitalize()}.")
    explained = [_explain(t.hidden, f, ex.hint, ex.literals) for t, f in zip(ex.tests, failures)
                 if f is not None]
    count = "the test" if len(passed) == 1 else f"{len(explained)} of {len(passed)} tests"
    message = _sentence(f"{count} failed: {explained[0][0]}")
    texts = list(dict.fromkeys(text for _, text in explained))
    return Grade(sub.student, sub.lesson, ex.name, points, ex.max_points, "failed", message,
                 "\n\n".join(_once(texts)))


def _sentence(text: str, cap: int = 200) -> str:
    """One line, at most `cap` characters, ending with a full stop."""
    line = " ".join(text.split())
    if len(line) > cap:
        line = line[: cap - 1].rsplit(" ", 1)[0] + "…"
    return line if line.endswith((".", "…", "?", "!")) else line + "."


def _once(texts: list[str]) -> list[str]:
    """Each text once, and a hint only the first time it is given."""
    kept: list[str] = []
    for text in texts:
        head, _, hint = text.partition("\nHint: ")
        seen = hint and any(f"Hint: {hint}" in k for k in kept)
        kept.append(head if seen else text)
    return list(dict.fromkeys(kept))


def stopped(sub: Any, ex: Any, lost: BaseException, status: int | None, during_tests: bool,
            timeout: float, hidden: bool = False) -> Grade:
    """The grade of an exercise the worker did not finish (time limit, crash, broken reply).
    During a hidden test, how it ended (an exit code, a signal, the protocol error: all chosen
    by the student's code, so able to spell out the test's inputs) goes to the log only."""
    during = "while testing this exercise" if during_tests else "while running the notebook's code"
    if getattr(lost, "timed_out", False):
        message = f"stopped after {timeout:g} s (the time limit) {during}"
        advice = ("Look for an endless loop, or for training code in your answer cells or the "
                  "cells you added: grading runs your functions, not the experiments.")
        return _grade(sub, ex, "timeout", message, f"{message}. {advice}")
    if hidden:
        ending = "your code's process ended, crashed or broke the grading protocol"
        during = "during a hidden test"
    elif status is not None and status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        ending = f"your code's process was killed by {name}"
    elif status not in (None, 0):
        ending = f"your code's process ended unexpectedly (exit code {status})"
    else:
        ending = f"your code's process broke the grading protocol ({str(lost)[:80]})"
    message = f"{ending} {during}"
    return _grade(sub, ex, "error", message, f"{message}. Your code ended or crashed the Python "
                  "process (os._exit, a segfault, the memory limit, ...).")


def _grade(sub: Any, ex: Any, status: str, message: str, text: str = "") -> Grade:
    return Grade(sub.student, sub.lesson, ex.name, 0.0, ex.max_points, status,
                 _sentence(message), text or message)


def log_lines(ex: Any, failures: list[BaseException | None]) -> list[str]:
    """Instructor-only: every test's full outcome, hidden ones too."""
    lines = []
    for spec, failure in zip(ex.tests, failures):
        what = "hidden" if spec.hidden else "public"
        verdict = "passed" if failure is None else \
            f"FAILED: {type(failure).__name__}: {str(failure)[:2000]}"
        lines.append(f"{ex.name} {spec.name} ({what}): {verdict}")
    return lines
