"""Build the student notebooks from the instructor's sources (for instructors; `make lessons`).

One source per lesson lives in `course/lessons/NN_name.py` (jupytext percent format, otter-grader's
assign format inside): explanations, experiments, solutions, public tests, hidden tests and points.
`otter assign` turns it into
- the student version, `lessons/NN_name.ipynb`: solutions replaced by `...`, public tests only;
- the solution version, `course/solutions/NN_name.ipynb`: solutions and every test.
Both are executed here, so the committed outputs are exactly what the code produced.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from mnist_lab.course.paths import REPO
from mnist_lab.course.runner import default_jobs, execute_headless

SOURCES = REPO / "course" / "lessons"
LESSONS = REPO / "lessons"
SOLUTIONS = REPO / "course" / "solutions"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@dataclass(frozen=True)
class Built:
    """One lesson's generated notebooks (unexecuted) and where they belong."""

    name: str
    student: nbformat.NotebookNode
    solution: nbformat.NotebookNode


def lesson_sources(sources: Path = SOURCES) -> list[Path]:
    """The lesson sources, in course order."""
    return sorted(sources.glob("[0-9][0-9]_*.py"))


def assign(source: Path) -> Built:
    """Run `otter assign` on one source; return its student and solution notebooks."""
    master = jupytext.read(source)
    master.metadata["kernelspec"] = KERNELSPEC
    master.metadata["language_info"] = {"name": "python"}
    master.metadata.pop("jupytext", None)
    name = source.stem
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        nbformat.write(master, tmp_path / f"{name}.ipynb")
        _otter_assign(source, tmp_path / f"{name}.ipynb", tmp_path / "dist")
        student = nbformat.read(tmp_path / "dist" / "student" / f"{name}.ipynb", as_version=4)
        solution = nbformat.read(tmp_path / "dist" / "autograder" / f"{name}.ipynb", as_version=4)
    return Built(name, _tidy(student), _tidy(solution))


def _otter_assign(source: Path, master: Path, dist: Path) -> None:
    """`otter assign master dist`, in this process: one import of otter for all lessons, not one
    subprocess (~7 s each) per lesson, which made the freshness test take minutes."""
    from otter.assign import main as otter_assign  # heavy import, only when building

    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            otter_assign(str(master), str(dist), no_run_tests=True)
    except Exception as exc:
        raise RuntimeError(f"otter assign failed on {source}: {exc}\n{log.getvalue()[-3000:]}"
                           ) from exc


CALM_UNATTEMPTED = ("from mnist_lab.checks import show_unattempted_briefly\n"
                    "show_unattempted_briefly()  # an exercise not tried yet shows one line")


def _tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give cells stable ids and no outputs, so regenerating gives identical files; make otter's
    set-up cell show an untried exercise's check as one neutral line, not a failure report."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if cell.source.startswith("# Initialize Otter") and CALM_UNATTEMPTED not in cell.source:
                cell.source = cell.source.rstrip("\n") + "\n" + CALM_UNATTEMPTED
    nb.metadata["kernelspec"] = KERNELSPEC
    return nb


def execute(nb: nbformat.NotebookNode, path: Path, timeout: int = 300) -> float:
    """Execute `nb` as the file `path` (its folder as cwd) and save it there; return seconds.

    The kernel runs headless (runner.HEADLESS_ENV), as nbval and the main job run it, so the
    saved outputs are the ones they reproduce; a built notebook never shows a failed claim.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)  # otter.Notebook reads its own file for the tests
    start = time.perf_counter()
    execute_headless(nb, path.parent, timeout, record_timing=False)
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def sources_only(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """What a lesson *is*, without outputs: (cell type, source) pairs."""
    return [(c.cell_type, c.source) for c in nb.cells]


def stale_lessons(sources: Path = SOURCES, lessons: Path = LESSONS,
                  solutions: Path = SOLUTIONS) -> list[str]:
    """Names of generated notebooks that differ from what their source gives now."""
    stale = []
    names = {p.stem for p in lesson_sources(sources)}
    for source in lesson_sources(sources):
        built = assign(source)
        for nb, folder in ((built.student, lessons), (built.solution, solutions)):
            target = folder / f"{built.name}.ipynb"
            if not target.exists() or sources_only(nbformat.read(target, 4)) != sources_only(nb):
                stale.append(str(target.relative_to(folder.parent.parent)
                                 if folder == solutions else target.relative_to(folder.parent)))
    for folder in (lessons, solutions):
        stale += [str(p) for p in folder.glob("[0-9][0-9]_*.ipynb") if p.stem not in names]
    return stale


def build_lessons(only: list[str] | None = None, execute_notebooks: bool = True,
                  jobs: int | None = None) -> None:
    """Regenerate every lesson's solution notebook (not executed) and student notebook
    (executed, `jobs` kernels side by side)."""
    # otter assign swaps sys.stdout while it runs: assign in this thread, execute in the pool.
    lessons = [_write_solution(assign(source)) for source in lesson_sources()
               if not only or source.stem.startswith(tuple(only))]
    failed = []
    with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
        tasks = {pool.submit(_write_student, b, execute_notebooks): b.name for b in lessons}
        for done in as_completed(tasks):
            try:
                print(done.result(), flush=True)
            except Exception as exc:  # one lesson's error stops no other; all are listed below
                failed.append(tasks[done])
                print(f"lessons/{tasks[done]}.ipynb: FAILED\n{exc}", file=sys.stderr, flush=True)
    for folder in (LESSONS, SOLUTIONS):
        for path in folder.glob("[0-9][0-9]_*.ipynb"):
            if not (SOURCES / f"{path.stem}.py").exists():
                path.unlink()
                print(f"removed {path.relative_to(REPO)} (its source is gone)")
    shutil.rmtree(LESSONS / ".ipynb_checkpoints", ignore_errors=True)
    if failed:
        raise SystemExit(f"{len(failed)} lesson(s) failed to build: {', '.join(sorted(failed))} "
                         "(their errors are printed above)")


def _write_solution(built: Built) -> Built:
    """Save the instructor's copy: answers and hidden tests, no outputs. Its teaching cells are
    the student notebook's (executed by the build and by nbval); its answers are proven by
    tests/test_exercise_answers.py and the grading tests."""
    SOLUTIONS.mkdir(parents=True, exist_ok=True)
    nbformat.write(built.solution, SOLUTIONS / f"{built.name}.ipynb")
    return built


def _write_student(built: Built, execute_notebooks: bool) -> str:
    """Save the student notebook, executed unless told not to; say what was done."""
    path = LESSONS / f"{built.name}.ipynb"
    if not execute_notebooks:
        LESSONS.mkdir(parents=True, exist_ok=True)
        nbformat.write(built.student, path)
        return f"{path.relative_to(REPO)}: written, not executed"
    return f"{path.relative_to(REPO)}: executed in {execute(built.student, path):.1f} s"


if __name__ == "__main__":
    build_lessons(sys.argv[1:] or None)
