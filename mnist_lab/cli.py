"""The `mnist-lab` command: a thin layer over the library."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mnist-lab` console script."""
    parser = argparse.ArgumentParser(prog="mnist-lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print versions, device, data location and threads")
    sub.add_parser("data", help="fetch and verify MNIST; print where each file came from")
    args = parser.parse_args(argv)
    if args.command == "info":
        from mnist_lab import __version__

        print(f"mnist-lab {__version__}")
        return 0
    print(f"'{args.command}' is not implemented yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
