"""The main job (`make run`): execute every lesson headless, print the results, build the site."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mnist_lab.course.paths import REPO

# Kernels log only errors: ipykernel warns on every start that its local TCP link is unencrypted.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


@dataclass(frozen=True)
class LessonRun:
    """How one notebook ran."""

    name: str
    seconds: float
    error: str | None = None


def execute_lessons(lessons: Path = REPO / "lessons", out: Path = REPO / "build" / "lessons",
                    timeout: int = 600) -> list[LessonRun]:
    """Execute each lessons/NN_*.ipynb into `out` in course order; one failure stops nothing."""
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MNIST_LAB_PROGRESS", "0")  # progress bars would only clutter the files
    # Widgets need a live kernel; the executed files (and the course site) get static figures.
    env = {**os.environ, "MNIST_LAB_WIDGETS": "static", "MNIST_LAB_CLAIMS": "strict"}
    runs = []
    for path in sorted(lessons.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start, error = time.perf_counter(), None
        try:
            NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=KERNEL_ARGS,
                           resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1][:200]
        runs.append(LessonRun(path.stem, time.perf_counter() - start, error))
        nbformat.write(nb, out / path.name)
        status = "ok" if error is None else f"FAILED: {error}"
        print(f"  {path.stem:<32} {runs[-1].seconds:6.1f} s  {status}", flush=True)
    return runs


def main() -> int:
    """Run the course; return a process exit code (non-zero if any lesson failed)."""
    from mnist_lab.book import format_table, reproduce_book_table

    # Training starts at once: the book's table first, then every lesson headless.
    print("The book's table, reproduced with the book's protocol:", flush=True)
    print(format_table(reproduce_book_table()) + "\n", flush=True)
    lessons = sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
    print(f"Executing {len(lessons)} lessons into build/lessons/ ...", flush=True)
    runs = execute_lessons()
    failed = sum(r.error is not None for r in runs)
    total = sum(r.seconds for r in runs)
    print(f"  {'total':<32} {total:6.1f} s  ({len(runs) - failed} ok, {failed} failed)")
    # The course site from the notebooks just executed, so it shows what this code produces.
    from mnist_lab.course.site import SITE, build_site

    start = time.perf_counter()
    pages = build_site(REPO / "build" / "lessons", SITE)
    print(f"Course site: {len(pages) - 1} lessons in {time.perf_counter() - start:.1f} s, "
          f"open {pages[0].relative_to(REPO)}", flush=True)
    return 1 if failed else 0
