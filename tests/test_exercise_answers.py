"""Every exercise's tests, run through the real checks against answers a student might write.

For each exercise `# name: qX_...` of course/lessons/NN_*.py, tests/answers/NN/qX_....py holds
small functions: correct_1, correct_2, ... (right, written as differently as the prompt allows)
and wrong_1, wrong_2, ... (mistakes students make), at least three of each. Correct answers must
pass every test, public and hidden; wrong ones must fail at least one, and a public one unless
the answer file lists it in HIDDEN_ONLY (a rare mistake that only a hidden test is meant to
catch). The lesson's own solution must pass everything, and its untouched stub must fail every
public test as NotAttempted.
Like the grader, each runs after what the lesson's other cells define: its imports, its literal
constants (`SLOPE = 0.02`) and its exercises' solutions (a later exercise may call an earlier one).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnist_lab.checks import CheckFailed, NotAttempted

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "course" / "lessons"
ANSWERS = Path(__file__).resolve().parent / "answers"
CELL = re.compile(r"^# %%.*$", re.M)


@dataclass(frozen=True)
class Exercise:
    lesson: str  # "02"
    name: str  # "q1_mse_loss"
    solution: str  # the solution cell's source
    tests: tuple[tuple[str, bool, str], ...]  # (test name, hidden, source)


def _cells(block: str, begin: str, end: str) -> list[str]:
    """The code cells of `block` between the raw cells `# # BEGIN x` and `# # END x`."""
    inner = block.split(f"# # {begin}", 1)[1].split(f"# # {end}", 1)[0]
    return [c.strip("\n") for c in CELL.split(inner)[1:] if c.strip() and
            not c.lstrip().startswith("[raw]") and "def " in c]


def exercises() -> list[Exercise]:
    found = []
    for path in sorted(LESSONS.glob("[0-9][0-9]_*.py")):
        text = path.read_text()
        for block in text.split("# # BEGIN QUESTION")[1:]:
            block = block.split("# # END QUESTION")[0]
            name = re.search(r"^# name: (\S+)", block, re.M).group(1)
            solution = _cells(block, "BEGIN SOLUTION", "END SOLUTION")[0]
            tests = []
            for cell in _cells(block, "BEGIN TESTS", "END TESTS"):
                hidden = "hidden: true" in cell.split("def ", 1)[0]
                test_name = re.search(r"^def (test_\w+)", cell, re.M).group(1)
                tests.append((test_name, hidden, cell))
            found.append(Exercise(path.name[:2], name, solution, tuple(tests)))
    return found


EXERCISES = exercises()


@functools.cache
def _test_functions(ex: Exercise) -> list[tuple[str, bool, object]]:
    out = []
    for test_name, hidden, source in ex.tests:
        namespace: dict = {}
        exec(compile(source, f"{ex.lesson}/{ex.name}/{test_name}", "exec"), namespace)
        out.append((test_name, hidden, namespace[test_name]))
    return out


def _run(ex: Exercise, answer) -> dict[str, Exception | None]:
    """Run every test of `ex` on `answer`; the exception each raised (None when it passed)."""
    results = {}
    for test_name, _hidden, test in _test_functions(ex):
        try:
            test(answer)
            results[test_name] = None
        except Exception as exc:  # a wrong answer may break a test in any way
            results[test_name] = exc
    return results


def _public(ex: Exercise) -> set[str]:
    return {name for name, hidden, _ in ex.tests if not hidden}


@functools.cache
def _context(lesson: str) -> dict:
    """The names a lesson's answers may use: imports, literal constants, exercise solutions."""
    import math

    import torch
    from torch import nn

    from mnist_lab.models import MLPConfig
    namespace = {"torch": torch, "math": math, "nn": nn, "MLPConfig": MLPConfig}
    text = next(LESSONS.glob(f"{lesson}_*.py")).read_text()
    outside = re.sub(r"# # BEGIN QUESTION.*?# # END QUESTION", "", text, flags=re.S)
    for node in ast.parse(outside).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            exec(ast.unparse(node), namespace)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:  # not a literal: an experiment's result, left out
                continue
            namespace.update((target.id, value) for target in node.targets)
    for ex in EXERCISES:
        if ex.lesson == lesson:
            exec(ex.solution, namespace)
    return namespace


def _load_answers(ex: Exercise):
    path = ANSWERS / ex.lesson / f"{ex.name}.py"
    spec = importlib.util.spec_from_file_location(f"answers_{ex.lesson}_{ex.name}", path)
    module = importlib.util.module_from_spec(spec)
    vars(module).update(_context(ex.lesson))  # the file's own definitions take precedence
    spec.loader.exec_module(module)
    return module


def _solution(ex: Exercise):
    """The lesson's solution function, and the untouched stub a student starts from."""
    fn_name = re.search(r"^def (\w+)", ex.solution, re.M).group(1)
    stub = re.sub(r"# BEGIN SOLUTION.*?# END SOLUTION", "...", ex.solution, flags=re.S)
    out = []
    for source in (ex.solution, stub):
        namespace = dict(_context(ex.lesson))
        exec(source, namespace)
        out.append(namespace[fn_name])
    return tuple(out)


def _numbered(answers, kind: str) -> list[str]:
    """The names `kind`_1, `kind`_2, ... an answers file defines, in order (at least three)."""
    labels = sorted((n for n in vars(answers) if re.fullmatch(rf"{kind}_\d+", n)),
                    key=lambda n: int(n.rsplit("_", 1)[1]))
    assert len(labels) >= 3, f"{answers.__name__}: fewer than three {kind} answers"
    return labels


def _ids(ex: Exercise) -> str:
    return f"{ex.lesson}-{ex.name}"


def test_every_exercise_is_found_with_public_and_hidden_tests():
    assert len(EXERCISES) >= 45
    for ex in EXERCISES:
        assert any(not h for _, h, _ in ex.tests) and any(h for _, h, _ in ex.tests), ex.name


@pytest.mark.parametrize("ex", EXERCISES, ids=_ids)
def test_the_lesson_solution_passes_every_test(ex):
    solution, _ = _solution(ex)
    failures = {t: str(e) for t, e in _run(ex, solution).items() if e is not None}
    assert not failures


@pytest.mark.parametrize("ex", EXERCISES, ids=_ids)
def test_the_untouched_stub_fails_every_public_test_as_not_attempted(ex):
    _, stub = _solution(ex)
    results = _run(ex, stub)
    for name in _public(ex):
        assert isinstance(results[name], NotAttempted), (name, results[name])


@pytest.mark.parametrize("ex", EXERCISES, ids=_ids)
def test_alternative_correct_answers_pass_every_test(ex):
    answers = _load_answers(ex)
    for label in _numbered(answers, "correct"):
        failures = {t: str(e) for t, e in _run(ex, getattr(answers, label)).items()
                    if e is not None}
        assert not failures, f"{label} rejected: {failures}"


@pytest.mark.parametrize("ex", EXERCISES, ids=_ids)
def test_wrong_answers_fail_a_public_test_or_at_least_a_hidden_one(ex):
    answers = _load_answers(ex)
    hidden_only = getattr(answers, "HIDDEN_ONLY", set())
    for label in _numbered(answers, "wrong"):
        results = _run(ex, getattr(answers, label))
        failed = {t for t, e in results.items() if e is not None}
        assert failed, f"{label} passes every test"
        if label not in hidden_only:
            assert failed & _public(ex), f"{label} passes the public tests"
        for exc in results.values():  # feedback: a sentence and, for CheckFailed, a problem
            if isinstance(exc, CheckFailed):
                assert exc.problem and "\n" not in exc.problem, str(exc)
