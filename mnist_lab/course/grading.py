"""Grade a whole class: `mnist-lab grade SUBMISSIONS_DIR --out OUT_DIR` (grading).

Trust is split in two. This process (the grader) holds the lessons' tests, public and hidden,
their reference functions and expected values, and runs every test itself. Each submission's
code runs in a worker inside a bubblewrap sandbox (mnist_lab.course.sandbox, .worker), which
receives only the student's cells. A test gets a proxy (mnist_lab.course.proxy) in place of the
student's function: calling it sends the arguments as plain data to the worker and rebuilds the
plain-data reply here, so every comparison, type check and gradient check happens where the
student's code cannot reach, and a hostile worker can at worst fail its own submission.

The tests are otter exception-format files from the solution notebooks' `metadata.otter.tests`
(otter's parser reads them, so names and points follow otter's rules). Grading does not run a
lesson's experiments: see mnist_lab.course.submissions.cells_to_run. Outputs: see
mnist_lab.course.report.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

import torch

from mnist_lab.course import feedback
from mnist_lab.course.paths import REPO
from mnist_lab.course.proxy import Connection, Proxy, WorkerLost
from mnist_lab.course.report import Grade, Graded, summarize, write_outputs
from mnist_lab.course.sandbox import Limits, SandboxUnavailable, Slot, bwrap_problem
from mnist_lab.course.submissions import (
    MAX_CODE,
    Submission,
    _imports,
    _is_tagged,
    _modules,
    _parse,
    _source,
    _without_magics,
    cells_to_run,
    find_submissions,
    parse_notebook,
)
from mnist_lab.progress import progress

SOLUTIONS = REPO / "course" / "solutions"
NO_SANDBOX = ("WARNING: grading WITHOUT a sandbox (--no-sandbox): student code runs as your user "
              "and can read and change everything you can. Use only on a throw-away machine or "
              "container (see course/README.md).")


@dataclass(frozen=True)
class GradeConfig:
    """How to grade: limits per submission, submissions side by side, whether to sandbox."""

    limits: Limits = field(default_factory=Limits)
    jobs: int = 2
    sandbox: bool = True  # False only with --no-sandbox: no isolation at all

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs}")


@dataclass(frozen=True)
class GradeRun:
    """One `mnist-lab grade` run: what to grade, where to write, how."""

    submissions: Path
    out: Path
    solutions: Path = SOLUTIONS
    lessons: tuple[str, ...] = ()  # lesson prefixes ("01"); empty: every lesson handed in
    config: GradeConfig = field(default_factory=GradeConfig)


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
    return Exercise(name, source, tests, _public_hint(source), bool(parsed.all_or_nothing))


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


def _run_case(case: _TestCase, env: Mapping[str, Any]) -> BaseException | None:
    """Run one test; the exception that failed it, or None. WorkerLost propagates."""
    missing = [p for p in case.params if p != "env" and p not in env]
    if missing:
        return feedback.Undefined(f"`{missing[0]}` is not defined")
    torch.manual_seed(0)
    try:
        with torch.enable_grad():
            case.func(**{p: dict(env) if p == "env" else env[p] for p in case.params})
    except Exception as exc:  # noqa: BLE001 - any failure of the answer fails the test
        return exc
    return None


# ---------------------------------------------------------------------------------------------
# One submission


def prepare(sub: Submission, lesson: Lesson) -> tuple[tuple[tuple[str, str], ...], str]:
    """(cells to run, problem): call from one thread only (CPython 3.11's ast is not
    thread-safe: parsing in two threads at once fails with a recursion-depth SystemError)."""
    if sub.problem:
        return (), sub.problem
    try:
        cells = tuple(cells_to_run(parse_notebook(sub.data), lesson))
        if sum(len(code) for _, code in cells) > MAX_CODE:
            raise ValueError("the notebook holds more than 2 MB of code")
        for ex in lesson.exercises:
            compile_tests(ex.name, ex.source)  # compiled here too, once, for the same reason
    except Exception as exc:  # noqa: BLE001 - a hostile notebook fails only itself
        return (), f"the notebook's cells cannot be read ({exc})"[:300]
    return cells, ""


def grade_submission(sub: Submission, lesson: Lesson, slot: Slot,
                     prepared: tuple[tuple, str] | None = None) -> Graded:
    """Grade one notebook; a fresh worker (the same sandbox) after a timeout or a crash."""
    cells, problem = prepared or prepare(sub, lesson)
    if problem:
        return _all(sub, lesson, "error", problem)
    results: dict[str, Grade] = {}
    notes: tuple[str, ...] = ()
    log = [f"{sub.path}: {len(cells)} code blocks to run\n"]
    todo = list(lesson.exercises)
    while todo:
        done, new_notes, text = _session(sub, cells, todo, slot)
        results.update(done)
        notes = notes or new_notes
        log.append(text)
        todo = [ex for ex in todo if ex.name not in results]
    return Graded(sub.student, sub.lesson, tuple(results[ex.name] for ex in lesson.exercises),
                  notes, "".join(log))


def _session(sub: Submission, cells: tuple, todo: list[Exercise], slot: Slot
             ) -> tuple[dict[str, Grade], tuple[str, ...], str]:
    """One worker: run the cells, then test the exercises in `todo` until done or stopped."""
    limits = slot.limits
    try:
        sock, output = slot.open_job()
    except (OSError, SandboxUnavailable) as exc:
        return ({ex.name: _grade(sub, ex, "error", f"the grading sandbox failed ({exc})"[:200])
                 for ex in todo}, (), f"sandbox failed: {exc}\n")
    start = time.monotonic()
    conn = Connection(sock, start + limits.timeout)
    results: dict[str, Grade] = {}
    notes: tuple[str, ...] = ()
    lines: list[str] = []
    current: Exercise | None = None
    lost: WorkerLost | None = None
    try:
        names = sorted({p for ex in todo for case in compile_tests(ex.name, ex.source)
                        for p in case.params if p != "env"})
        reply, _ = conn.request({"op": "run", "cells": cells, "names": names})
        if reply.get("op") != "ready" or not isinstance(reply.get("names"), dict):
            raise WorkerLost("the worker answered with something else")
        notes = tuple(str(n)[:500] for n in reply.get("notes", [])
                      if str(n).startswith("code cell"))[:20]
        env = _environment(conn, reply["names"], names)
        for current in todo:
            cases = compile_tests(current.name, current.source)
            failures = [_run_case(case, env) for case in cases]
            results[current.name] = feedback.judge(sub, current, failures)
            lines += feedback.log_lines(current, failures)
        current = None
    except WorkerLost as exc:
        lost = exc
    finally:
        status = None
        if lost is not None and lost.timed_out:
            slot.kill()  # the whole sandbox: nothing the submission started survives
        else:
            status = slot.close_job(sock)
    if lost is not None:
        stuck = [current] if current is not None else [ex for ex in todo
                                                       if ex.name not in results]
        results.update({ex.name: feedback.stopped(sub, ex, lost, status, current is not None,
                                                  limits.timeout) for ex in stuck})
    text = (f"--- worker: {time.monotonic() - start:.2f} s, exit status {status}, "
            f"stopped: {lost}\n" + "\n".join(lines) + "\n--- output (first part):\n"
            + output.text() + "\n")
    return results, notes, text


def _environment(conn: Connection, kinds: dict, names: list[str]) -> dict[str, Any]:
    """Name -> proxy (the student's function) or value, for the names the notebook defined."""
    env: dict[str, Any] = {}
    for name in names:
        kind = kinds.get(name)
        if kind == "function":
            env[name] = Proxy(conn, name, name)
        elif kind == "value":
            with contextlib.suppress(Exception):  # a value that cannot be sent: not defined
                env[name] = Proxy(conn, name, name)()
    return env


def _grade(sub: Submission, ex: Exercise, status: str, message: str) -> Grade:
    return Grade(sub.student, sub.lesson, ex.name, 0.0, ex.max_points, status, message, message)


def _all(sub: Submission, lesson: Lesson, status: str, message: str) -> Graded:
    grades = tuple(_grade(sub, ex, status, message) for ex in lesson.exercises)
    return Graded(sub.student, sub.lesson, grades, log=f"{sub.path}: {message}\n")


# ---------------------------------------------------------------------------------------------
# A whole class


def grade_class(submissions: Path, lessons: Mapping[str, Lesson],
                config: GradeConfig = GradeConfig(), expected: Sequence[str] | None = None
                ) -> tuple[list[Graded], list[str]]:
    """Grade every submission, `config.jobs` at a time; add 'missing' for lessons not handed in.

    Raises SandboxUnavailable when bwrap cannot isolate and `config.sandbox` is set.
    """
    if config.sandbox and (problem := bwrap_problem()):
        raise SandboxUnavailable(f"cannot isolate student code: {problem}. Install bubblewrap, "
                                 "grade in a container (course/README.md), or pass --no-sandbox "
                                 "on a throw-away machine.")
    students, subs, notes = find_submissions(submissions, lessons)
    preload = sorted({m for name in {s.lesson for s in subs} for m in lessons[name].imports})
    slots: Queue[Slot] = Queue()
    for _ in range(min(config.jobs, max(1, len(subs)))):
        slots.put(Slot(config.limits, preload, config.sandbox))
    graded = []

    prepared = [prepare(sub, lessons[sub.lesson]) for sub in subs]  # in this thread: see prepare

    def one(sub: Submission, ready: tuple[tuple, str]) -> Graded:
        slot = slots.get()
        try:
            return grade_submission(sub, lessons[sub.lesson], slot, ready)
        except Exception as exc:  # noqa: BLE001 - a grader bug costs one submission, not the class
            return _all(sub, lessons[sub.lesson], "error", f"the grader failed: {exc}"[:200])
        finally:
            slots.put(slot)

    try:
        with ThreadPoolExecutor(config.jobs) as pool, _QuietThreads():
            futures = [pool.submit(one, sub, ready) for sub, ready in zip(subs, prepared)]
            for future in progress(as_completed(futures), total=len(futures), desc="grading"):
                graded.append(future.result())
    finally:
        while not slots.empty():
            slots.get().close()
    wanted = sorted(expected) if expected is not None else sorted({s.lesson for s in subs})
    handed_in = {(s.student, s.lesson) for s in subs}
    for student in students:
        for name in wanted:
            if (student, name) not in handed_in:
                sub = Submission(student, name, Path())
                missing = _all(sub, lessons[name], "missing", "no submission for this lesson")
                graded.append(Graded(student, name, missing.grades))
    return sorted(graded, key=lambda g: (g.student, g.lesson)), notes


class _QuietThreads:
    """Tests print ("✓ ..."); while grading, only the main thread's prints reach the terminal."""

    def __enter__(self):
        import sys

        self._sys, self._stdout = sys, sys.stdout
        main, out = threading.main_thread(), sys.stdout

        class Sink:
            def write(self, text: str) -> int:
                return out.write(text) if threading.current_thread() is main else len(text)

            def flush(self) -> None:
                out.flush()

            def __getattr__(self, name: str) -> Any:
                return getattr(out, name)

        sys.stdout = Sink()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sys.stdout = self._stdout


def grade(run: GradeRun) -> str:
    """Grade a class and write OUT_DIR; the summary. ValueError/SandboxUnavailable on bad input."""
    lessons = load_lessons(run.solutions, list(run.lessons) or None)
    start = time.perf_counter()
    graded, notes = grade_class(run.submissions, lessons, run.config,
                                expected=list(lessons) if run.lessons else None)
    summary = summarize(graded, time.perf_counter() - start)
    if not run.config.sandbox:
        summary = NO_SANDBOX + "\n" + summary
    write_outputs(graded, run.out, summary, notes)
    return summary
