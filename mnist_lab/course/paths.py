"""Where the course checkout is: its lesson sources, notebooks, solutions and build folder."""

from __future__ import annotations

import os
from pathlib import Path


def course_root() -> Path:
    """The checkout the tooling works on: $MNIST_LAB_COURSE, else the nearest folder at or above
    the working directory that holds `course/lessons`, else the checkout this package sits in."""
    if os.environ.get("MNIST_LAB_COURSE"):
        return Path(os.environ["MNIST_LAB_COURSE"]).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "course" / "lessons").is_dir():
            return folder
    return Path(__file__).resolve().parents[2]


REPO = course_root()
