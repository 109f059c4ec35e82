"""Run time of every lesson notebook, executed headless as a student's "Run All" would.

    python benchmarks/bench_lessons.py            # every lesson, then the table
    python benchmarks/bench_lessons.py 09 11      # only the lessons whose names start so

Prints one line per lesson while it runs, then the table in course order: each lesson's
seconds, its share of the total, and whether it ran; then the total and the slowest lesson.
The course aims at about a minute per lesson on a 2-core laptop CPU; measure on a quiet machine
(other work slows every figure). Lessons run one at a time here, each kernel on one thread as in
the course's headless runs (`make run` runs them side by side; it prints its own total).
"""

import os
import platform
import sys

import torch

from mnist_lab.course.runner import LessonRun, execute_lessons


def format_table(runs: list[LessonRun]) -> str:
    """The lessons in course order: seconds, share of the total, status; then total and slowest."""
    total = sum(r.seconds for r in runs) or 1.0
    lines = [f"{'lesson':<34} {'seconds':>8} {'share':>6}  status", "-" * 60]
    for r in runs:
        lines.append(f"{r.name:<34} {r.seconds:8.1f} {r.seconds / total:6.1%}  {r.status[:60]}")
    lines += ["-" * 60, f"{'total (' + str(len(runs)) + ' lessons)':<34} {total:8.1f}"]
    if runs:
        slowest = max(runs, key=lambda r: r.seconds)
        lines.append(f"{'slowest: ' + slowest.name:<34} {slowest.seconds:8.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}; kernels on 1 thread, one lesson at a time", flush=True)
    runs = execute_lessons(only=sys.argv[1:] or None, jobs=1)
    print()
    print(format_table(runs))
    sys.exit(1 if any(r.error and not r.data_missing for r in runs) else 0)
