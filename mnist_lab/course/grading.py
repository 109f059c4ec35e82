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

import contextlib
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from mnist_lab.course import feedback
from mnist_lab.course.proxy import Connection, Proxy, WorkerLost
from mnist_lab.course.report import Grade, Graded, summarize, write_outputs
from mnist_lab.course.sandbox import Limits, SandboxUnavailable, Slot, bwrap_problem
from mnist_lab.course.submissions import (
    MAX_CODE,
    Submission,
    cells_to_run,
    find_submissions,
    parse_notebook,
)
from mnist_lab.course.testfiles import (  # noqa: F401 - the lesson types, re-exported
    SOLUTIONS,
    CaseSpec,
    Exercise,
    Lesson,
    compile_tests,
    load_lesson,
    load_lessons,
    run_case,
)
from mnist_lab.progress import progress

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
    """Grade one notebook; a fresh worker after a timeout or a crash (in a fresh sandbox after a
    timeout, or a crash during a hidden test)."""
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
    outcomes: dict[str, list] = {}
    notes: tuple[str, ...] = ()
    lines: list[str] = []
    current: Exercise | None = None
    hidden = False  # whether the test running now is a hidden one
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
        outcomes = {ex.name: [_NOT_RUN] * len(compile_tests(ex.name, ex.source)) for ex in todo}
        for current, k, case in _public_first(todo):
            hidden = bool(case.hidden)
            outcomes[current.name][k] = run_case(case, env)
        current = None
    except WorkerLost as exc:
        lost = exc
    finally:
        status = None
        if lost is not None and lost.timed_out:
            slot.kill()  # the whole sandbox: nothing the submission started survives
        else:
            status = slot.close_job(sock)
        hidden = hidden and lost is not None and current is not None
        if hidden:  # it had hidden inputs and may have kept them (a keyring, a message
            slot.kill()  # queue...) for the next session's public tests: a fresh sandbox
    for ex in todo:  # every exercise whose tests all ran (the others: stopped, or tried again)
        done = outcomes.get(ex.name)
        if done is not None and ex is not current and all(o is not _NOT_RUN for o in done):
            results[ex.name] = feedback.judge(sub, ex, done)
            lines += feedback.log_lines(ex, done)
    if lost is not None:
        stuck = [current] if current is not None else [ex for ex in todo
                                                       if ex.name not in results]
        results.update({ex.name: feedback.stopped(sub, ex, lost, status, current is not None,
                                                  limits.timeout, hidden) for ex in stuck})
    text = (f"--- worker: {time.monotonic() - start:.2f} s, exit status {status}, "
            f"stopped: {lost}\n" + "\n".join(lines) + "\n--- output (first part):\n"
            + output.text() + "\n")
    return results, notes, text


_NOT_RUN = object()  # a test's outcome before it runs


def _public_first(todo: list[Exercise]) -> list[tuple[Exercise, int, Any]]:
    """(exercise, index, test) for every test: all public tests before any hidden one. A public
    failure is shown whole, and the worker keeps state between calls, so a public test run
    after a hidden one could quote the hidden test's inputs back in its message."""
    tests = [(ex, k, case) for ex in todo
             for k, case in enumerate(compile_tests(ex.name, ex.source))]
    return sorted(tests, key=lambda test: bool(test[2].hidden))  # stable: otherwise in order


def _environment(conn: Connection, kinds: dict, names: list[str]) -> dict[str, Any]:
    """Name -> proxy (the student's function) or value, for the names the notebook defined."""
    env: dict[str, Any] = {}
    for name in names:
        kind = kinds.get(name)
        if kind == "stub":  # still `...`: the tests' own checks then say "not attempted"
            env[name] = _stub(name)
        elif kind == "function":
            env[name] = Proxy(conn, name, name)
        elif kind == "value":
            with contextlib.suppress(Exception):  # a value that cannot be sent: not defined
                env[name] = Proxy(conn, name, name)()
    return env


def _stub(name: str) -> Any:
    """A function that, like the student's untouched one, does nothing and returns None; the
    checks recognise it (mnist_lab.checks.is_untouched). The worker's word can only lose points."""
    def stub(*args: Any, **kwargs: Any) -> None:
        ...

    stub.__name__ = stub.__qualname__ = name
    return stub


def _grade(sub: Submission, ex: Exercise, status: str, message: str) -> Grade:
    return Grade(sub.student, sub.lesson, ex.name, 0.0, ex.max_points, status, message, message)


def _all(sub: Submission, lesson: Lesson, status: str, message: str) -> Graded:
    grades = tuple(_grade(sub, ex, status, message) for ex in lesson.exercises)
    return Graded(sub.student, sub.lesson, grades, log=f"{sub.path}: {message}\n")


# ---------------------------------------------------------------------------------------------
# A whole class


def require_sandbox(config: GradeConfig) -> None:
    """SandboxUnavailable, saying why and what to do, where bwrap cannot isolate."""
    if config.sandbox and (problem := bwrap_problem()):
        raise SandboxUnavailable(f"cannot isolate student code: {problem}. Install bubblewrap, "
                                 "grade in a container (course/README.md), or pass --no-sandbox "
                                 "on a throw-away machine.")


def grade_class(submissions: Path, lessons: Mapping[str, Lesson],
                config: GradeConfig = GradeConfig(), expected: Sequence[str] | None = None,
                course: Sequence[str] = ()) -> tuple[list[Graded], list[str]]:
    """Grade every submission, `config.jobs` at a time; add 'missing' for lessons not handed in.

    Raises SandboxUnavailable when bwrap cannot isolate and `config.sandbox` is set.
    """
    require_sandbox(config)
    students, subs, notes = find_submissions(submissions, lessons, course)
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
        limits = set()
        while not slots.empty():
            slot = slots.get()
            limits.add(slot.enforced)
            slot.close()
    notes += [f"limits enforced in the sandbox: {text}" for text in sorted(limits) if text]
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
    require_sandbox(run.config)  # before the slow part: say at once that it cannot run
    lessons = load_lessons(run.solutions, list(run.lessons) or None)
    start = time.perf_counter()
    course = sorted(p.stem for p in Path(run.solutions).glob("[0-9][0-9]_*.ipynb"))
    graded, notes = grade_class(run.submissions, lessons, run.config,
                                expected=list(lessons) if run.lessons else None, course=course)
    summary = summarize(graded, time.perf_counter() - start)
    if not run.config.sandbox:
        summary = NO_SANDBOX + "\n" + summary
    write_outputs(graded, run.out, summary, notes)
    return summary
