"""Run time of every lesson notebook, executed headless as a student's "Run All" would.

    python benchmarks/bench_lessons.py        # prints one line per lesson and the total

The course promises each lesson runs in about a minute on a laptop CPU; this is the report.
"""

import sys

from mnist_lab.course.runner import execute_lessons

if __name__ == "__main__":
    runs = execute_lessons()
    slowest = max(runs, key=lambda r: r.seconds)
    print(f"{len(runs)} lessons, {sum(r.seconds for r in runs):.1f} s in all; "
          f"slowest {slowest.name} at {slowest.seconds:.1f} s")
    sys.exit(1 if any(r.error for r in runs) else 0)
