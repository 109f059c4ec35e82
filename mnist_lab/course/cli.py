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
    (every lesson needs it) and a missing Fashion-MNIST (lesson 16 only) is a warning."""
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


def _reproduce(args: argparse.Namespace, rest: list[str]) -> int:
    # The book's engines (numba) are imported only here: `data`, `info`, `site` and `grade`
    # work without them, even where numba cannot set up its cache (no home folder).
    from mnist_lab.book import add_reproduce_arguments, run_reproduce

    parser = argparse.ArgumentParser(prog="mnist-lab reproduce",
                                     description="the book's table, with the book's protocol")
    add_reproduce_arguments(parser)
    return run_reproduce(parser.parse_args(rest))


def _run(args: argparse.Namespace) -> int:
    from mnist_lab.course.runner import main as run_main

    return run_main()


def _site(args: argparse.Namespace) -> int:
    from mnist_lab.course.site import LESSONS, SITE
    from mnist_lab.course.site import main as site_main

    return site_main([str(args.lessons or LESSONS), str(args.out or SITE)])


def _grade(args: argparse.Namespace) -> int:
    from mnist_lab.course.grading import run_grade

    return run_grade(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `mnist-lab` and its subcommands (`reproduce`'s options are
    parsed by its own parser, so that building this one imports no compiled kernels)."""
    from mnist_lab.course.grading import add_grade_arguments

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
    sub.add_parser("run", help="the main job: execute every lesson, print the results table"
                   ).set_defaults(func=_run)
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
