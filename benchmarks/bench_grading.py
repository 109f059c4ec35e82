"""Time to grade a class in bubblewrap sandboxes, 2 submissions at a time.

    python benchmarks/bench_grading.py [--large 300] [--small 30]

Prints
1. the sandbox's own cost: starting one (bwrap + importing torch, once per job slot) and, per
   submission, a fresh worker forked in it (open the job, run an empty cell, end it);
2. the time to grade 30 solved copies of lesson 01 (all its tests, public and hidden);
3. the time to grade 300 small notebooks (the grading fixture lesson 90, two exercises).
The load average is printed too: on a shared machine the figures are not representative.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from mnist_lab.course.grading import GradeConfig, grade_class, load_lessons
from mnist_lab.course.proxy import Connection
from mnist_lab.course.sandbox import Limits, Slot, bwrap_problem

REPO = Path(__file__).resolve().parents[1]
LESSON_01 = REPO / "course" / "solutions" / "01_baseline.ipynb"
FIXTURES = REPO / "tests" / "fixtures" / "grading"


def sandbox_cost(jobs: int = 50) -> None:
    start = time.perf_counter()
    slot = Slot(Limits(), ["mnist_lab.checks"])
    slot.start()
    print(f"sandbox start (bwrap + torch import, once per slot): "
          f"{time.perf_counter() - start:.2f} s; limits: {slot.enforced}")
    times = []
    for _ in range(jobs):
        t = time.perf_counter()
        sock, output = slot.open_job()
        Connection(sock, time.monotonic() + 30).request({"op": "run", "cells": [], "names": []})
        slot.close_job(sock)
        output.text()
        times.append(time.perf_counter() - t)
    slot.close()
    print(f"per submission (fork a worker, run, end it, clean up): median "
          f"{1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms "
          f"over {jobs}")


def grade_copies(notebook: Path, count: int, solutions: Path, lesson: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "submissions"
        for i in range(count):
            (subs / f"student{i:03d}").mkdir(parents=True)
            shutil.copy(notebook, subs / f"student{i:03d}" / f"{lesson}.ipynb")
        lessons = load_lessons(solutions, [lesson[:2]])
        start = time.perf_counter()
        graded, _ = grade_class(subs, lessons, GradeConfig(Limits(timeout=120.0), jobs=2))
        took = time.perf_counter() - start
        passed = sum(g.status == "passed" for item in graded for g in item.grades)
        total = sum(len(item.grades) for item in graded)
        print(f"{count} submissions of {lesson}: {took:.1f} s ({took / count:.2f} s each, "
              f"2 at a time); {passed}/{total} exercises passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=30, help="copies of lesson 01")
    parser.add_argument("--large", type=int, default=300, help="copies of the fixture lesson")
    args = parser.parse_args()
    if problem := bwrap_problem():
        raise SystemExit(f"no sandbox here: {problem}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    sandbox_cost()
    grade_copies(LESSON_01, args.small, LESSON_01.parent, "01_baseline")
    with tempfile.TemporaryDirectory() as tmp:
        solutions = Path(tmp)
        (solutions / "90_fixture.ipynb").write_text(
            (FIXTURES / "solutions" / "90_fixture.json").read_text())
        small = solutions / "small.ipynb"
        small.write_text(json.dumps(json.loads(
            (FIXTURES / "submissions" / "alice" / "90_fixture.json").read_text())))
        grade_copies(small, args.large, solutions, "90_fixture")
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
