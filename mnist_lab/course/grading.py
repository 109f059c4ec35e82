"""Grade a whole class in one command: `mnist-lab grade SUBMISSIONS_DIR --out OUT_DIR` (grading).

SUBMISSIONS_DIR holds one folder per student with that student's notebooks (`NN_name.ipynb`).
Each submission is graded without running the lesson's experiments (they train for tens of
seconds): a separate process (mnist_lab.course.sandbox) executes
1. every import statement of the notebook;
2. the answer cells (tagged `otter_answer_cell` by otter assign) and any code cells the student
   added, each guarded so one failing cell doesn't stop the rest;
3. the definitions (functions, classes, constants) of the lesson's other cells, which answers
   may use;
then runs every test of the lesson, public and hidden, from the solution notebook's
`metadata.otter.tests` (otter's exception format). `otter run` would execute the whole notebook
and `otter grade` needs Docker; otter's own parser still reads the test files here, so names
and points follow otter's rules.

OUT_DIR gets `grades.csv` (one row per student × lesson × exercise), `feedback/<student>.md`
(results and hints; hidden tests are never shown), `logs/<student>/<lesson>.txt` (for the
instructor only: full messages, hidden ones too, and the captured output) and `summary.txt`.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from mnist_lab.course.paths import REPO
from mnist_lab.course.sandbox import Job, Limits, Outcome, Sandbox
from mnist_lab.progress import progress

SOLUTIONS = REPO / "course" / "solutions"
STATUSES = ("passed", "failed", "error", "timeout", "missing")
COLUMNS = ("student", "lesson", "exercise", "points", "max_points", "status", "message")
TAMPERED = "submission tampered with the checking code"
ANSWER_TAGS = ("otter_answer_cell", "otter_assign_solution_cell")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class GradeConfig:
    """How to grade: limits per grading process, and how many submissions run side by side."""

    limits: Limits = field(default_factory=Limits)
    jobs: int = 2

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs}")


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
    hint: str = ""  # the hint of its public tests, shown when a hidden test fails
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


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one lesson."""

    student: str
    lesson: str
    path: Path


@dataclass(frozen=True)
class Grade:
    """One row of grades.csv, plus the longer student-safe text for the feedback file."""

    student: str
    lesson: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str
    feedback: str = ""

    def row(self) -> tuple[str, ...]:
        """The CSV row, in COLUMNS order."""
        return (self.student, self.lesson, self.exercise, f"{self.points:g}",
                f"{self.max_points:g}", self.status, self.message)


@dataclass(frozen=True)
class Graded:
    """Everything grading one submission (or noting its absence) produced."""

    student: str
    lesson: str
    grades: tuple[Grade, ...]
    notes: tuple[str, ...] = ()  # cells that raised while grading (shown to the student)
    log: str = ""  # instructor-only details


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
    answers = {c.get("id") for c in code if _is_tagged(c)}
    trees = [t for c in code if (t := _parse(_without_magics(_source(c)))) is not None]
    return Lesson(
        name=meta.get("assignment_name") or Path(path).stem,
        exercises=tuple(_exercise(name, source, f"{path}:{name}")
                        for name, source in tests.items()),
        cell_ids=frozenset(c["id"] for c in code if c.get("id")),
        answer_ids=frozenset(a for a in answers if a),
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
    """The first `hint=` of a public test: a string literal, or a local variable holding one."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and not _decorated_hidden(node):
            strings = {t.id: n.value.value for n in ast.walk(node) if isinstance(n, ast.Assign)
                       and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                       for t in n.targets if isinstance(t, ast.Name)}
            for call in ast.walk(node):
                for kw in call.keywords if isinstance(call, ast.Call) else []:
                    if kw.arg != "hint":
                        continue
                    if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        return kw.value.value
                    if isinstance(kw.value, ast.Name) and kw.value.id in strings:
                        return strings[kw.value.id]
    return ""


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
# Submissions


def lesson_of(path: Path, lessons: Mapping[str, Lesson]) -> str | None:
    """The lesson a notebook answers: metadata.otter.assignment_name, else its NN_ prefix."""
    try:
        name = json.loads(Path(path).read_bytes())["metadata"]["otter"]["assignment_name"]
        if name in lessons:
            return name
    except (ValueError, KeyError, TypeError, OSError):
        pass
    match = re.match(r"(\d\d)(?!\d)", Path(path).name)
    if match:
        found = [name for name in lessons if name.startswith(match.group(1) + "_")]
        if len(found) == 1:
            return found[0]
    return None


def find_submissions(root: Path, lessons: Mapping[str, Lesson]
                     ) -> tuple[list[str], list[Submission], list[str]]:
    """Students (one folder each), their submissions, and warnings about files skipped."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder: pass SUBMISSIONS_DIR, which holds one folder "
                         "per student with that student's NN_name.ipynb files")
    students = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not students:
        raise ValueError(f"{root} has no student folders: put each student's notebooks in "
                         f"{root}/<student_id>/NN_name.ipynb")
    found: dict[tuple[str, str], Submission] = {}
    warnings = []
    for student in students:
        for path in sorted((root / student).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            lesson = lesson_of(path, lessons)
            if lesson is None:
                warnings.append(f"{path}: not one of the lessons graded here - skipped")
            elif (student, lesson) in found:
                kept = found[(student, lesson)]
                if path.stem == lesson and kept.path.stem != lesson:
                    kept, path = Submission(student, lesson, path), kept.path
                    found[(student, lesson)] = kept
                warnings.append(f"{path}: {student} has another file for {lesson}; "
                                f"graded {kept.path.name}")
            else:
                found[(student, lesson)] = Submission(student, lesson, path)
    return students, sorted(found.values(), key=lambda s: (s.student, s.lesson)), warnings


def read_notebook(path: Path) -> dict:
    """A submitted notebook as JSON; ValueError says what is wrong with it."""
    size = Path(path).stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the notebook is {size / 2**20:.0f} MB; clear its outputs and resubmit")
    try:
        nb = json.loads(Path(path).read_bytes())
    except ValueError as exc:
        raise ValueError(f"not a valid notebook (invalid JSON: {exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise ValueError("not a valid notebook (no list of cells)")
    return nb


# ---------------------------------------------------------------------------------------------
# What to execute from a submission


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _is_tagged(cell: dict) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and any(t in ANSWER_TAGS for t in tags)


def _without_magics(source: str) -> str:
    """Plain Python: IPython magics and shell escapes become `pass`."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]  # %%time, %%capture: the body is Python; others fail and are noted
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in lines)


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _imports(tree: ast.Module) -> list[ast.stmt]:
    """Import statements anywhere outside function and class bodies (not otter's)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            if not any(m.split(".")[0] == "otter" for m in modules):
                found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt))
    return found


def _modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """Modules an import statement may load (`from a import b`: a, and a.b if b is one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or not node.module:
        return []
    return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]


def _is_cheap(value: ast.expr) -> bool:
    """A literal or a lambda: costs nothing and needs no other cell's results."""
    if isinstance(value, ast.Lambda):
        return True
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _definitions(tree: ast.Module) -> list[ast.stmt]:
    """Top-level functions, classes and cheap assignments: what answers may use, no experiments."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    assignments = (ast.Assign, ast.AnnAssign)
    return [node for node in tree.body if isinstance(node, defs) or (
        isinstance(node, assignments) and node.value is not None and _is_cheap(node.value))]


def cells_to_run(nb: dict, lesson: Lesson) -> list[tuple[str, str]]:
    """(label, code) to run from a submission: imports, then its cells in order (module doc)."""
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]
    imports, body = [], []
    for n, cell in enumerate(cells, start=1):
        code = _without_magics(_source(cell))
        tree = _parse(code)
        label = f"code cell {n}"
        if tree is not None:
            imports += [(f"an import in {label}", ast.unparse(node)) for node in _imports(tree)]
        answer = _is_tagged(cell) or cell.get("id") in lesson.answer_ids
        ours = cell.get("id") in lesson.cell_ids or _source(cell).strip() in lesson.sources
        if answer or not ours:  # the student's own code runs whole
            body.append((label, code))
        elif tree is not None and (defs := _definitions(tree)):
            body.append((f"the definitions in {label}",
                         ast.unparse(ast.Module(body=defs, type_ignores=[]))))
    seen: set[str] = set()
    unique = [(label, code) for label, code in imports if not (code in seen or seen.add(code))]
    return unique + body


# ---------------------------------------------------------------------------------------------
# Grading one submission


def grade_submission(sub: Submission, lesson: Lesson, workdir: Path, sandbox: Sandbox) -> Graded:
    """Grade one notebook in isolated processes (a fresh one after a crash or a timeout)."""
    return _run_graded(_prepare(sub, lesson, workdir), lesson, sandbox)


@dataclass(frozen=True)
class _Prepared:
    """A submission read into memory, with the code to run (or why there is none)."""

    sub: Submission
    workdir: Path
    cells: tuple[tuple[str, str], ...] = ()
    problem: str = ""  # set when the notebook cannot be graded


def _prepare(sub: Submission, lesson: Lesson, workdir: Path) -> _Prepared:
    """Copy the notebook into its own folder and read it (before any student's code runs)."""
    workdir.mkdir(mode=0o700, exist_ok=True)
    try:
        shutil.copyfile(sub.path, workdir / sub.path.name)
        cells = tuple(cells_to_run(read_notebook(workdir / sub.path.name), lesson))
    except (ValueError, OSError) as exc:
        return _Prepared(sub, workdir, problem=str(exc))
    return _Prepared(sub, workdir, cells)


def _run_graded(prep: _Prepared, lesson: Lesson, sandbox: Sandbox) -> Graded:
    sub = prep.sub
    if prep.problem:
        return Graded(sub.student, sub.lesson, _all(sub, lesson, "error", prep.problem),
                      log=f"{sub.path}: {prep.problem}\n")
    results: dict[str, Grade] = {}
    notes: tuple[str, ...] | None = None
    log = [f"{sub.path}: {len(prep.cells)} code blocks executed\n"]
    todo = list(lesson.exercises)
    while todo:
        job = Job(prep.cells, tuple((ex.name, ex.source, len(ex.tests)) for ex in todo))
        out = sandbox.run(job, prep.workdir)
        log.append(_log_run(out, lesson))
        if out.forged_lines or any(e["event"] in ("tampered", "crash") for e in out.events):
            return Graded(sub.student, sub.lesson, _spoiled(sub, lesson, out),
                          notes or (), "".join(log))
        for event in out.events:
            if event["event"] == "setup" and notes is None:  # the student's cells only
                notes = tuple(n for n in map(str, event.get("notes", []))
                              if n.startswith("code cell"))[:20]
            elif event["event"] == "exercise":
                ex = _find(todo, event.get("exercise"))
                results[ex.name] = _judge(sub, ex, event.get("cases"))
        results.update(_stopped(sub, out, todo, results, sandbox.limits))
        todo = [ex for ex in todo if ex.name not in results]
    grades = tuple(results[ex.name] for ex in lesson.exercises)
    return Graded(sub.student, sub.lesson, grades, notes or (), "".join(log))


def _find(todo: list[Exercise], name: object) -> Exercise:
    for ex in todo:
        if ex.name == name:
            return ex
    raise RuntimeError(f"the grading process reported an unknown exercise {name!r}")


def _stopped(sub: Submission, out: Outcome, todo: list[Exercise], done: dict,
             limits: Limits) -> dict[str, Grade]:
    """Grades for exercises the process did not report: the one it stopped on, or all left."""
    left = [ex for ex in todo if ex.name not in done]
    if out.finished or not left:
        return {ex.name: _grade(sub, ex, "error", "the grading process reported no result")
                for ex in left}
    current = out.current_exercise
    during = "while testing this exercise" if current else "while running the notebook's code"
    stuck = [ex for ex in left if ex.name == current] or left
    if out.timed_out:
        status = "timeout"
        message = f"stopped after {limits.timeout:g} s (the time limit) {during}"
        advice = ("Look for an endless loop, or for training code in your answer cells or the "
                  "cells you added: grading runs your functions, not the experiments.")
    else:
        status, message = "error", f"{out.ending()} {during}"
        advice = "Your code ended or crashed the Python process (os._exit, a segfault, ...)."
    return {ex.name: _grade(sub, ex, status, message, f"{message}. {advice}") for ex in stuck}


def _judge(sub: Submission, ex: Exercise, cases: object) -> Grade:
    """An exercise's grade from its test results: points for each test that passed."""
    if not (isinstance(cases, list) and len(cases) == len(ex.tests)
            and all(isinstance(c, dict) and isinstance(c.get("passed"), bool) for c in cases)):
        return _grade(sub, ex, "error", "the grading process sent a malformed result")
    passed = [c["passed"] for c in cases]
    points = sum(t.points for t, ok in zip(ex.tests, passed) if ok)
    if ex.all_or_nothing and not all(passed):
        points = 0.0
    if all(passed):
        message = "the test passed" if len(passed) == 1 else f"all {len(passed)} tests passed"
        return _grade(sub, ex, "passed", message, f"{message.capitalize()}.", points)
    failures = [_explain(t, c, ex.hint) for t, c in zip(ex.tests, cases) if not c["passed"]]
    first = failures[0].split("\n")[0]
    count = "the test" if len(passed) == 1 else f"{len(failures)} of {len(passed)} tests"
    feedback = "\n\n".join(_once(failures))
    return _grade(sub, ex, "failed", f"{count} failed: {first}"[:200], feedback, points)


def _once(texts: list[str]) -> list[str]:
    """Each text once, and a hint only the first time it is given."""
    kept: list[str] = []
    for text in dict.fromkeys(texts):
        head, _, hint = text.partition("\nHint: ")
        seen = hint and any(f"Hint: {hint}" in k for k in kept)
        kept.append(head if seen else text)
    return list(dict.fromkeys(kept))


def _explain(test: CaseSpec, case: dict, hint: str) -> str:
    """What a student may read about one failed test: hidden tests show no code or inputs."""
    message = str(case.get("message", ""))
    if case.get("kind") == "undefined":
        return message
    if not test.hidden:
        return message.removeprefix("CheckFailed: ") or "a public test failed"
    own_hint = message.partition("\nHint: ")[2].strip()
    hint = own_hint or hint
    return "a hidden test failed" + (f"\nHint: {hint}" if hint else "")


def _grade(sub: Submission, ex: Exercise, status: str, message: str, feedback: str = "",
           points: float = 0.0) -> Grade:
    return Grade(sub.student, sub.lesson, ex.name, points, ex.max_points, status, message,
                 feedback or message)


def _all(sub: Submission, lesson: Lesson, status: str, message: str) -> tuple[Grade, ...]:
    return tuple(_grade(sub, ex, status, message) for ex in lesson.exercises)


def _spoiled(sub: Submission, lesson: Lesson, out: Outcome) -> tuple[Grade, ...]:
    """Tampering (or a grader crash) voids every exercise of the submission."""
    crash = [e for e in out.events if e["event"] == "crash"]
    if crash and not out.forged_lines and not any(e["event"] == "tampered" for e in out.events):
        return _all(sub, lesson, "error", f"the grader failed: {crash[0].get('message', '')}"[:200])
    return _all(sub, lesson, "error", TAMPERED)


def _log_run(out: Outcome, lesson: Lesson) -> str:
    """Instructor-only account of one grading process, hidden test messages included."""
    lines = [f"--- process: {out.seconds:.1f} s, exit {out.returncode}, "
             f"timed out {out.timed_out}, forged lines {out.forged_lines}"]
    tests = {ex.name: ex.tests for ex in lesson.exercises}
    for event in out.events:
        if event["event"] == "exercise" and isinstance(event.get("cases"), list):
            for spec, case in zip(tests.get(event.get("exercise"), ()), event["cases"]):
                what = "hidden" if spec.hidden else "public"
                verdict = "passed" if case.get("passed") else f"FAILED: {case.get('message')}"
                lines.append(f"{spec.name} ({what}): {verdict}")
        elif event["event"] != "exercise":
            lines.append(json.dumps(event)[:2000])
    lines += ["--- output (first part):", out.output, ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# A whole class


def grade_class(submissions: Path, lessons: Mapping[str, Lesson],
                config: GradeConfig = GradeConfig(), expected: Sequence[str] | None = None
                ) -> tuple[list[Graded], list[str]]:
    """Grade every submission, `config.jobs` at a time; add 'missing' for lessons not handed in.

    Expected lessons are `expected`, else every lesson someone submitted. Returns the results
    sorted by student and lesson, and warnings about files that were skipped.
    """
    students, subs, warnings = find_submissions(submissions, lessons)
    preload = {m for name in {s.lesson for s in subs} for m in lessons[name].imports}
    graded = []
    with tempfile.TemporaryDirectory(prefix="mnist-lab-grade-") as tmp, \
            Sandbox(config.limits, preload) as sandbox, ThreadPoolExecutor(config.jobs) as pool:
        # Every notebook is read before any code runs: no submission can change another.
        prepared = [_prepare(sub, lessons[sub.lesson], Path(tmp) / f"{i:05d}")
                    for i, sub in enumerate(subs)]
        futures = [pool.submit(_run_graded, prep, lessons[prep.sub.lesson], sandbox)
                   for prep in prepared]
        for future in progress(as_completed(futures), total=len(futures), desc="grading"):
            graded.append(future.result())
    wanted = sorted(expected) if expected is not None else sorted({s.lesson for s in subs})
    handed_in = {(s.student, s.lesson) for s in subs}
    for student in students:
        for name in wanted:
            if (student, name) not in handed_in:
                sub = Submission(student, name, Path())
                grades = _all(sub, lessons[name], "missing", "no submission for this lesson")
                graded.append(Graded(student, name, grades))
    return sorted(graded, key=lambda g: (g.student, g.lesson)), warnings


# ---------------------------------------------------------------------------------------------
# Output


def write_csv(graded: Sequence[Graded], path: Path) -> None:
    """grades.csv: one row per student × lesson × exercise (COLUMNS)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(g.row() for item in graded for g in item.grades)


def feedback_markdown(student: str, graded: Sequence[Graded]) -> str:
    """One student's feedback: per lesson, each exercise's points, result and hint."""
    out = [f"# Feedback for {student}", ""]
    for item in graded:
        got = sum(g.points for g in item.grades)
        total = sum(g.max_points for g in item.grades)
        out += [f"## {item.lesson}: {got:g} / {total:g} points", "",
                "| exercise | points | result |", "|---|---|---|"]
        out += [f"| {g.exercise} | {g.points:g} / {g.max_points:g} | {g.status} |"
                for g in item.grades]
        out.append("")
        for g in item.grades:
            if g.status != "passed":
                out += [f"### {g.exercise}: {g.status}", "", "```", g.feedback, "```", ""]
        if item.notes:
            out += ["Code cells that raised an error while grading:", "", "```", *item.notes,
                    "```", ""]
    return "\n".join(out)


def summarize(graded: Sequence[Graded], seconds: float | None = None) -> str:
    """Students, mean score per exercise, and how many results have each status."""
    rows = [g for item in graded for g in item.grades]
    handed = [item for item in graded if any(g.status != "missing" for g in item.grades)]
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    out = [f"Graded {_count(len({g.student for g in graded}), 'student')}: "
           f"{_count(len(handed), 'submission')} of "
           f"{_count(len({g.lesson for g in graded}), 'lesson')}{took}.",
           "Mean points per exercise (over submissions), and statuses:"]
    by_exercise: dict[tuple[str, str], list[Grade]] = {}
    for g in rows:
        by_exercise.setdefault((g.lesson, g.exercise), []).append(g)
    for (lesson, exercise), grades in by_exercise.items():
        scored = [g.points for g in grades if g.status != "missing"]
        mean = f"{sum(scored) / len(scored):.2f}" if scored else "-"
        counts = Counter(g.status for g in grades)
        statuses = ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])
        out.append(f"  {lesson} {exercise}: {mean} / {grades[0].max_points:g}  ({statuses})")
    counts = Counter(g.status for g in rows)
    out.append("All results: " + ", ".join(f"{s} {counts[s]}" for s in STATUSES))
    return "\n".join(out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def write_outputs(graded: Sequence[Graded], out_dir: Path, summary: str) -> None:
    """grades.csv, feedback/<student>.md, logs/<student>/<lesson>.txt and summary.txt."""
    out_dir = Path(out_dir)
    (out_dir / "feedback").mkdir(parents=True, exist_ok=True)
    write_csv(graded, out_dir / "grades.csv")
    for student in sorted({g.student for g in graded}):
        mine = [g for g in graded if g.student == student]
        (out_dir / "feedback" / f"{student}.md").write_text(feedback_markdown(student, mine),
                                                            encoding="utf-8")
        for item in mine:
            if item.log:
                log = out_dir / "logs" / student / f"{item.lesson}.txt"
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(item.log, encoding="utf-8")
    (out_dir / "summary.txt").write_text(summary + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Command line (wired into `mnist-lab grade` by mnist_lab.course.cli)


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `mnist-lab grade SUBMISSIONS_DIR --out OUT_DIR`."""
    defaults = Limits()
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR",
                        help="one folder per student, holding that student's NN_name.ipynb files")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT_DIR",
                        help="where grades.csv, feedback/, logs/ and summary.txt are written")
    parser.add_argument("--lesson", action="append", metavar="NN",
                        help="grade only lessons starting with NN (repeat for more); "
                             "students without one get 'missing' rows")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, metavar="DIR",
                        help="the solution notebooks with all tests (default: course/solutions)")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, metavar="S",
                        help="seconds per submission for its cells and tests (default %(default)s)")
    parser.add_argument("--memory-gb", type=float, default=defaults.memory_gb, metavar="GB",
                        help="address-space limit per submission (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="submissions graded side by side (default %(default)s)")


def run_grade(args: argparse.Namespace) -> int:
    """Run `mnist-lab grade`; 0 when grading finished (whatever the grades), 2 on bad input."""
    try:
        config = GradeConfig(Limits(timeout=args.timeout, memory_gb=args.memory_gb), args.jobs)
        lessons = load_lessons(args.solutions, args.lesson)
        start = time.perf_counter()
        graded, warnings = grade_class(args.submissions, lessons, config,
                                       expected=list(lessons) if args.lesson else None)
    except (ValueError, RuntimeError) as exc:  # bad input, or the grading server cannot start
        print(f"mnist-lab grade: {exc}")
        return 2
    for warning in warnings:
        print(f"warning: {warning}")
    summary = summarize(graded, time.perf_counter() - start)
    write_outputs(graded, args.out, summary)
    print(summary)
    print(f"Wrote {args.out / 'grades.csv'}, feedback/ and logs/ in {args.out}.")
    return 0
