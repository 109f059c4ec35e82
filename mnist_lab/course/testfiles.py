"""A lesson's tests, read from its solution notebook and run in the grader (grading).

The tests are otter exception-format files in the solution notebooks' `metadata.otter.tests`
(otter's parser reads them, so names and points follow otter's rules). They are trusted code:
compiled and run here, in the grader, never sent to a worker; the student's functions reach
them as proxies (mnist_lab.course.proxy).
"""

from __future__ import annotations

import ast
import functools
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mnist_lab.course.feedback import Undefined
from mnist_lab.course.paths import REPO
from mnist_lab.course.submissions import (
    _imports,
    _is_tagged,
    _modules,
    _parse,
    _source,
    _without_magics,
)

SOLUTIONS = REPO / "course" / "solutions"


@dataclass(frozen=True)
class CaseSpec:
    """One test case of an exercise, as otter resolves it."""

    name: str
    points: float
    hidden: bool


@dataclass(frozen=True)
class Exercise:
    """One question of a lesson: its test file (otter exception format) and what it is worth."""

    name: str
    source: str
    tests: tuple[CaseSpec, ...]
    hint: str = ""  # the public tests' hint, when they give exactly one
    all_or_nothing: bool = False
    literals: frozenset[str] = frozenset()  # the tests' string literals: hints a hidden
    # failure may show (a hint made of anything else may quote the student's own text)

    @property
    def max_points(self) -> float:
        return sum(t.points for t in self.tests)


@dataclass(frozen=True)
class Lesson:
    """What grading needs from a lesson's solution notebook."""

    name: str
    exercises: tuple[Exercise, ...]
    cell_ids: frozenset[str]  # the distributed notebook's code cells...
    answer_ids: frozenset[str]  # ...those the student fills in...
    sources: frozenset[str]  # ...and the source of the others
    imports: frozenset[str] = frozenset()  # modules its cells import (imported once, up front)


# ---------------------------------------------------------------------------------------------
# Lessons


def load_lesson(path: Path) -> Lesson:
    """Read a solution notebook (course/solutions/NN_name.ipynb): its tests and its cells."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    meta = nb.get("metadata", {}).get("otter", {})
    tests = meta.get("tests")
    if not tests:
        raise ValueError(f"{path} has no tests in metadata.otter.tests: is it a solution "
                         "notebook? Build it from its source with `make lessons`.")
    if meta.get("OK_FORMAT"):
        raise ValueError(f"{path} uses OK-format tests; set `ok_format: false` in its "
                         "ASSIGNMENT CONFIG (the course uses otter's exception format)")
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    trees = [t for c in code if (t := _parse(_without_magics(_source(c)))) is not None]
    return Lesson(
        name=meta.get("assignment_name") or Path(path).stem,
        exercises=tuple(_exercise(name, source, f"{path}:{name}")
                        for name, source in tests.items()),
        cell_ids=frozenset(c["id"] for c in code if c.get("id")),
        answer_ids=frozenset(c["id"] for c in code if c.get("id") and _is_tagged(c)),
        sources=frozenset(_source(c).strip() for c in code if not _is_tagged(c)),
        imports=frozenset(m for tree in trees for node in _imports(tree) for m in _modules(node)),
    )


def _exercise(name: str, source: str, where: str) -> Exercise:
    with warnings.catch_warnings():  # otter's imports warn about their own dependencies
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.test_files import ExceptionTestFile  # slow to import: only when lessons load

    parsed = ExceptionTestFile.from_string(source, path=where)
    tests = tuple(CaseSpec(tc.name, float(tc.points), bool(tc.hidden))
                  for tc in parsed.test_cases)
    literals = frozenset(node.value.strip() for node in ast.walk(ast.parse(source))
                         if isinstance(node, ast.Constant) and isinstance(node.value, str))
    return Exercise(name, source, tests, _public_hint(source), bool(parsed.all_or_nothing),
                    literals)


def _public_hint(source: str) -> str:
    """The public tests' `hint=` (a literal, or a variable holding one) when there is one only."""
    hints = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and not _decorated_hidden(node):
            strings = {t.id: n.value.value for n in ast.walk(node) if isinstance(n, ast.Assign)
                       and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                       for t in n.targets if isinstance(t, ast.Name)}
            for call in ast.walk(node):
                for kw in call.keywords if isinstance(call, ast.Call) else []:
                    if kw.arg == "hint" and isinstance(kw.value, ast.Constant):
                        hints.append(kw.value.value)
                    elif kw.arg == "hint" and isinstance(kw.value, ast.Name):
                        hints.append(strings.get(kw.value.id))
    distinct = set(hints)
    return hints[0] if len(distinct) == 1 and isinstance(hints[0], str) else ""


def _decorated_hidden(func: ast.FunctionDef) -> bool:
    for deco in func.decorator_list:
        for kw in getattr(deco, "keywords", []):
            if kw.arg == "hidden" and isinstance(kw.value, ast.Constant) and kw.value.value:
                return True
    return False


def load_lessons(solutions: Path = SOLUTIONS, only: Sequence[str] | None = None
                 ) -> dict[str, Lesson]:
    """The course's lessons by name, from its solution notebooks (those starting with `only`)."""
    paths = sorted(Path(solutions).glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.stem.startswith(o) for o in only)]
    if not paths:
        wanted = f" matching {', '.join(only)}" if only else ""
        raise ValueError(f"no solution notebooks{wanted} in {solutions}: run `make lessons`, "
                         "or point --solutions at the folder holding NN_name.ipynb files")
    lessons = [load_lesson(p) for p in paths]
    return {lesson.name: lesson for lesson in lessons}


# ---------------------------------------------------------------------------------------------
# The tests, run here with proxies for the student's functions


class _TestCase:
    """Otter's `@test_case(points=..., hidden=...)` decorator, for our own runner."""

    def __init__(self, name=None, points=None, hidden=False, success_message=None,
                 failure_message=None):
        self.name, self.hidden, self.func = name, hidden, None

    def __call__(self, func):
        self.func = func
        return self

    @property
    def params(self) -> list[str]:
        code = self.func.__code__
        return list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])


@functools.cache
def compile_tests(name: str, source: str) -> tuple[_TestCase, ...]:
    """An exercise's test functions (trusted code: compiled here, never sent to a worker)."""
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if not (
        isinstance(n, ast.ImportFrom) and (n.module or "").startswith("otter"))]
    env: dict[str, Any] = {"test_case": _TestCase, "__name__": f"tests_{name}"}
    exec(compile(tree, f"<tests of {name}>", "exec"), env)
    return tuple(v for v in env.values() if isinstance(v, _TestCase))


def run_case(case: _TestCase, env: Mapping[str, Any]) -> BaseException | None:
    """Run one test; the exception that failed it, or None. WorkerLost propagates."""
    missing = [p for p in case.params if p != "env" and p not in env]
    if missing:
        return Undefined(f"`{missing[0]}` is not defined")
    torch.manual_seed(0)
    try:
        with torch.enable_grad():
            case.func(**{p: dict(env) if p == "env" else env[p] for p in case.params})
    except Exception as exc:  # noqa: BLE001 - any failure of the answer fails the test
        return exc
    return None
