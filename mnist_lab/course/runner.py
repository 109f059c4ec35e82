"""The main job (`make run`): execute every lesson headless, print the results, build the site.

Exit status (documented in the README):

  0  every lesson ran; or some could not run only because a data set other than MNIST could be
     had from no source (those lessons are listed as skipped, with what is missing and the steps
     that get it);
  1  a real failure: MNIST itself cannot be had (every lesson needs it), a lesson raised any other
     error (a bug, a failed claim, a diverged training, a time-out), or the book's table failed.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mnist_lab.course.paths import REPO

# Kernels log only errors: ipykernel warns on every start that its local TCP link is unencrypted.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
# How every headless kernel runs (the main job, the authoring build, nbval in conftest.py):
# no progress bars, static figures instead of widgets, a failed claim is an error, and ONE CPU
# thread. Torch splits a reduction across its threads, so the last bits of a result depend on
# how many there are; with one thread a lesson's numbers are the same on any machine's core
# count (the committed outputs reproduce), and several lessons can run side by side at full speed.
HEADLESS_ENV = {"MNIST_LAB_PROGRESS": "0", "PYTHONHASHSEED": "0", "MNIST_LAB_WIDGETS": "static",
                "MNIST_LAB_CLAIMS": "strict", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# A lesson stopped by one of these lacks data that no source could provide: not a code failure.
DATA_ERRORS = {"DataUnavailable", "CacheNotWritable", "DiskFull"}


@dataclass(frozen=True)
class LessonRun:
    """How one notebook ran: error is None if it ran through; data_missing if it lacked data."""

    name: str
    seconds: float
    error: str | None = None
    data_missing: bool = False
    detail: str = ""  # for missing data: the full message (sources tried, steps that fix it)

    @property
    def status(self) -> str:
        if self.error is None:
            return "ok"
        return f"{'SKIPPED, data missing' if self.data_missing else 'FAILED'}: {self.error}"


def default_jobs() -> int:
    """Lessons run side by side: one per CPU core this process may use, at most 4 (memory)."""
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    return max(1, min(4, cores))


def execute_headless(nb: nbformat.NotebookNode, folder: Path, timeout: int,
                     record_timing: bool = True) -> None:
    """Execute `nb` in place in a fresh kernel, with `folder` as its working directory and
    HEADLESS_ENV on top of this process's environment; raises what nbclient raises."""
    NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=KERNEL_ARGS,
                   record_timing=record_timing, resources={"metadata": {"path": str(folder)}}
                   ).execute(env={**os.environ, **HEADLESS_ENV})


def execute_lesson(path: Path, out: Path, timeout: int = 600) -> LessonRun:
    """Execute one lesson headless into `out`; a failure is recorded, not raised."""
    nb = nbformat.read(path, as_version=4)
    start, error, data_missing, detail = time.perf_counter(), None, False, ""
    try:
        execute_headless(nb, path.parent, timeout)
    except CellExecutionError as exc:
        data_missing = getattr(exc, "ename", None) in DATA_ERRORS
        detail = exc.evalue.strip() if data_missing else ""
        lines = (detail or str(exc).strip()).splitlines()
        error = (lines[0] if data_missing else lines[-1])[:200]
    except (TimeoutError, RuntimeError) as exc:  # a cell's time-out, or the kernel died
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
    nbformat.write(nb, out / path.name)
    return LessonRun(path.stem, time.perf_counter() - start, error, data_missing, detail)


def execute_lessons(lessons: Path = REPO / "lessons", out: Path = REPO / "build" / "lessons",
                    timeout: int = 600, only: list[str] | None = None,
                    jobs: int | None = None) -> list[LessonRun]:
    """Execute each lessons/NN_*.ipynb into `out`, `jobs` at a time; one failure stops nothing.

    Returns the runs in course order; each is printed as it finishes. `only` restricts the run
    to lessons whose file name starts with one of its prefixes ("09").
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = [p for p in sorted(lessons.glob("[0-9][0-9]_*.ipynb"))
             if not only or p.name.startswith(tuple(only))]
    runs = {}
    # Threads suffice: each lesson runs in its own kernel process; the threads only wait on it.
    with ThreadPoolExecutor(max_workers=jobs or default_jobs()) as pool:
        pending = {pool.submit(execute_lesson, path, out, timeout): path for path in paths}
        for done in as_completed(pending):
            run = runs[pending[done]] = done.result()
            print(f"  {run.name:<32} {run.seconds:6.1f} s  {run.status}", flush=True)
    return [runs[path] for path in paths]


def mnist_missing() -> str:
    """'' if MNIST is here (found or fetched, and verified); else the message saying why not."""
    from mnist_lab.data import fetch_mnist
    from mnist_lab.idx import DataError

    try:
        fetch_mnist()
    except DataError as exc:
        return str(exc)
    return ""


def exit_status(runs: list[LessonRun]) -> int:
    """0 unless a lesson really failed (see the module docstring); 1 otherwise."""
    return 1 if any(r.error is not None and not r.data_missing for r in runs) else 0


def report_missing_data(runs: list[LessonRun]) -> None:
    """Say which lessons were skipped, what is missing, and how to get it (each message once)."""
    skipped = [r for r in runs if r.data_missing]
    if not skipped:
        return
    print(f"\nSkipped for missing data: {', '.join(r.name for r in skipped)}. What is missing "
          "and how to get it (then run `make run` again):", file=sys.stderr)
    for detail in dict.fromkeys(r.detail for r in skipped):
        print(f"\n{detail}", file=sys.stderr)


def tagged_output(notebooks: list[Path], tag: str) -> str | None:
    """What the first cell tagged `tag` in `notebooks` printed; None if no such cell printed."""
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if tag in cell.get("metadata", {}).get("tags", []):
                text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                               if o.get("output_type") == "stream" and o.get("name") == "stdout")
                return text.rstrip() or None
    return None


def print_book_table(runs: list[LessonRun], executed: Path = REPO / "build" / "lessons") -> None:
    """Print the book's table as lesson 06 trained it (its cell tagged "book-table"), or, when
    no lesson printed it, train the table here. Only lessons that ran through count: a failed
    lesson's later cells still hold the outputs it was committed with."""
    ran = [executed / f"{r.name}.ipynb" for r in runs if r.error is None]
    table = tagged_output([path for path in ran if path.exists()], "book-table")
    if table is not None:
        print("\nThe book's table, as lesson 06 trained it (beside other lessons, so its times "
              "are a busy CPU's; `mnist-lab reproduce` alone measures a quiet one):\n" + table
              + "\n", flush=True)
        return
    from mnist_lab.book import format_table, reproduce_book_table

    print("\nNo lesson printed the book's table; training it here ...", flush=True)
    print(format_table(reproduce_book_table()) + "\n", flush=True)


def main(jobs: int | None = None) -> int:
    """Run the course, `jobs` lessons at a time; return the exit status (module docstring)."""
    if missing := mnist_missing():  # every lesson needs MNIST: say so at once
        print(f"error: {missing}", file=sys.stderr)
        return 1
    lessons = sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
    jobs = jobs or default_jobs()
    print(f"Executing {len(lessons)} lessons into build/lessons/, {jobs} at a time ...",
          flush=True)
    start = time.perf_counter()
    runs = execute_lessons(jobs=jobs)
    failed = sum(r.error is not None and not r.data_missing for r in runs)
    skipped = sum(r.data_missing for r in runs)
    ok = len(runs) - failed - skipped
    print(f"  {'all lessons':<32} {time.perf_counter() - start:6.1f} s  ({ok} ok, {failed} "
          f"failed, {skipped} skipped for missing data; one after another they took "
          f"{sum(r.seconds for r in runs):.0f} s)")
    print_book_table(runs)
    # The course site from the notebooks just executed, so it shows what this code produces.
    from mnist_lab.course.site import SITE, build_site

    start = time.perf_counter()
    pages = build_site(REPO / "build" / "lessons", SITE)
    print(f"Course site: {len(pages) - 1} lessons in {time.perf_counter() - start:.1f} s, "
          f"open {pages[0].relative_to(REPO)}", flush=True)
    report_missing_data(runs)
    return exit_status(runs)
