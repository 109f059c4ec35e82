"""The `mnist-lab` command: a thin layer over the library.

  mnist-lab info                           versions, device, data location, threads
  mnist-lab data [--only NAME] [--root DIR] fetch and verify MNIST and Fashion-MNIST; print
                                           each file's source and sha256
  mnist-lab reproduce [--rows ...]         the book's table with the book's protocol
  mnist-lab run                            the main job: execute every lesson, print the results
  mnist-lab site [LESSONS] [--out DIR]     the course site (static HTML) of the lesson notebooks
  mnist-lab grade SUBMISSIONS --out DIR    grade a class's notebooks (instructors)
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path


def _info(args: argparse.Namespace) -> int:
    import numpy
    import torch

    from mnist_lab import __version__
    from mnist_lab.data import data_location
    from mnist_lab.device import get_device

    device = get_device()
    print(f"mnist-lab  {__version__}")
    print(f"python     {platform.python_version()} ({sys.executable})")
    print(f"torch      {torch.__version__}   numpy {numpy.__version__}")
    print(f"device     {device}" + (f" ({torch.cuda.get_device_name(device)})"
                                    if device.type == "cuda" else ""))
    print(f"threads    {torch.get_num_threads()} (torch intra-op)")
    print(f"data       {data_location()}")
    return 0


def _data(args: argparse.Namespace) -> int:
    """Exit 1 if a data set asked for is missing; without --only, only MNIST is required
    (every lesson needs it) and a missing Fashion-MNIST (lesson 17 only) is a warning."""
    from mnist_lab.data import fetch_mnist
    from mnist_lab.idx import DataError

    status = 0
    for dataset in [args.only] if args.only else ["mnist", "fashion"]:
        try:
            records = fetch_mnist(root=args.root, dataset=dataset)
        except DataError as exc:
            required = bool(args.only) or dataset == "mnist"
            print(f"{'error' if required else 'warning'}: {exc}", file=sys.stderr)
            if not required:
                print("warning: the lessons that need this data set cannot run (make run "
                      "reports them as skipped); the rest of the course works.", file=sys.stderr)
            status = status or int(required)
            continue
        for r in records:
            print(f"{r.name:<28} {r.sha256[:16]}…  {r.source:<24} {r.path}")
    return status


def add_reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `mnist-lab reproduce`'s options to an argparse parser."""
    from mnist_lab.book import BOOK_ROWS, ENGINES

    parser.add_argument("--rows", nargs="+", choices=list(BOOK_ROWS), default=None,
                        metavar="ROW", help=f"rows to train (default all): {', '.join(BOOK_ROWS)}")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="auto (numba on CPU, else torch), numba, torch, or autograd (slow)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per row (the book: 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    parser.add_argument("--json", metavar="FILE", default=None, help="also write results as JSON")


def _train_book_rows(args: argparse.Namespace) -> int:
    """Train the book's rows, printing each as it finishes, then the table (and JSON)."""
    import json

    from mnist_lab.book import format_row, format_table, reproduce_book_table

    runs = reproduce_book_table(args.rows, seed=args.seed, device=args.device,
                                engine=args.engine, epochs=args.epochs,
                                progress=lambda run: print(format_row(run), flush=True))
    print()
    print(format_table(runs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([run.to_dict() for run in runs], f, indent=2)
        print(f"wrote {args.json}")
    return 0


def _reproduce(args: argparse.Namespace, rest: list[str]) -> int:
    # The book's engines (numba) are imported only here: `data`, `info`, `site` and `grade`
    # work without them, even where numba cannot set up its cache (no home folder).
    parser = argparse.ArgumentParser(prog="mnist-lab reproduce",
                                     description="the book's table, with the book's protocol")
    add_reproduce_arguments(parser)
    return _train_book_rows(parser.parse_args(rest))


def _run(args: argparse.Namespace) -> int:
    from mnist_lab.course.runner import main as run_main

    return run_main(args.jobs)


def _site(args: argparse.Namespace) -> int:
    from mnist_lab.course.site import LESSONS, SITE
    from mnist_lab.course.site import main as site_main

    return site_main([str(args.lessons or LESSONS), str(args.out or SITE)])


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `mnist-lab grade SUBMISSIONS_DIR --out OUT_DIR`."""
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR",
                        help="one folder per student, holding that student's NN_name.ipynb files")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT_DIR",
                        help="where grades.csv, feedback/, logs/ and summary.txt are written")
    parser.add_argument("--lesson", action="append", metavar="NN",
                        help="grade only lessons starting with NN (repeat for more); "
                             "students without one get 'missing' rows")
    parser.add_argument("--solutions", type=Path, default=None, metavar="DIR",
                        help="the solution notebooks with all tests (default: course/solutions)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="wall-clock seconds per submission (default %(default)s)")
    parser.add_argument("--memory-gb", type=float, default=4.0, metavar="GB",
                        help="memory for one submission's sandbox, all its processes together "
                             "(default %(default)s)")
    parser.add_argument("--processes", type=int, default=64, metavar="N",
                        help="processes and threads in one sandbox (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="submissions graded side by side (default %(default)s)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code WITHOUT isolation where bubblewrap cannot run "
                             "(macOS...): only on a throw-away machine or container")


def _grade(args: argparse.Namespace) -> int:
    """Run `mnist-lab grade`; 0 when grading finished (whatever the grades), 2 on bad input."""
    from mnist_lab.course.grading import SOLUTIONS, GradeConfig, GradeRun, grade
    from mnist_lab.course.sandbox import Limits, SandboxUnavailable

    try:
        limits = Limits(timeout=args.timeout, memory_gb=args.memory_gb, processes=args.processes)
        run = GradeRun(args.submissions, args.out, args.solutions or SOLUTIONS,
                       tuple(args.lesson or ()), GradeConfig(limits, args.jobs,
                                                             not args.no_sandbox))
        if args.no_sandbox:
            from mnist_lab.course.grading import NO_SANDBOX

            print(NO_SANDBOX, file=sys.stderr)
        summary = grade(run)
    except (ValueError, SandboxUnavailable) as exc:
        print(f"mnist-lab grade: {exc}", file=sys.stderr)
        return 2
    print(summary)
    print(f"Wrote {args.out / 'grades.csv'}, feedback/ and logs/ in {args.out}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `mnist-lab` and its subcommands (`reproduce`'s options are
    parsed by its own parser, so that building this one imports no compiled kernels)."""
    parser = argparse.ArgumentParser(prog="mnist-lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, device, data location, threads").set_defaults(func=_info)
    data = sub.add_parser("data", help="fetch and verify the data; print where it came from")
    data.add_argument("--only", choices=["mnist", "fashion"], default=None,
                      help="just this data set (default: MNIST, then Fashion-MNIST)")
    data.add_argument("--fashion", action="store_true", help=argparse.SUPPRESS)  # the default now
    data.add_argument("--root", default=None, help="folder to look in first (else $MNIST_LAB_DATA)")
    data.set_defaults(func=_data)
    sub.add_parser("reproduce", help="the book's table, with the book's protocol "
                   "(`mnist-lab reproduce --help` for its options)", add_help=False
                   ).set_defaults(func=_reproduce)
    run = sub.add_parser("run", help="the main job: execute every lesson, print the results table")
    run.add_argument("--jobs", type=int, default=None, metavar="N",
                     help="lessons executed side by side (default: one per CPU core, at most 4)")
    run.set_defaults(func=_run)
    site = sub.add_parser("site", help="build the course site (static HTML) from the notebooks")
    site.add_argument("lessons", nargs="?", default=None,
                      help="folder of NN_*.ipynb notebooks (default: the course's lessons/)")
    site.add_argument("--out", default=None, help="where to write it (default: build/site)")
    site.set_defaults(func=_site)
    grade = sub.add_parser("grade", help="grade a folder of student submissions")
    add_grade_arguments(grade)
    grade.set_defaults(func=_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mnist-lab` console script."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.func is _reproduce:
        return _reproduce(args, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
