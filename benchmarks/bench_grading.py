"""Time to grade a class: 30 solved copies of lesson 01 plus a few hostile ones, 2 at a time.

    python benchmarks/bench_grading.py [--students 30]

The instructor's promise: 30 submissions of lesson 01 in under 5 minutes on a 2-core machine.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOLVED = REPO / "course" / "solutions" / "01_baseline.ipynb"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "submissions"
        for i in range(args.students):
            (subs / f"student{i:02d}").mkdir(parents=True)
            shutil.copy(SOLVED, subs / f"student{i:02d}" / SOLVED.name)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mnist_lab.course.cli", "grade", str(subs),
                               "--out", str(Path(tmp) / "out"), "--lesson", "01"],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(done.stdout[-1500:])
        print(f"{args.students} submissions graded in {seconds:.1f} s "
              f"({seconds / args.students:.2f} s each, wall clock, process start included)")
        sys.exit(done.returncode)
