"""Every lesson's solution notebook, graded as a submission, gets full marks; the unanswered
student notebooks get none. This runs the real tests of all exercises through the proxies and
the wire format (tensors, models, generators, configs, callables, returned generators...).
"""

from __future__ import annotations

import csv
import shutil

import pytest

from mnist_lab.course.grading import GradeConfig, grade_class, load_lessons
from mnist_lab.course.paths import REPO
from mnist_lab.course.report import write_outputs
from mnist_lab.course.sandbox import Limits, bwrap_problem

SOLUTIONS = sorted((REPO / "course" / "solutions").glob("[0-9][0-9]_*.ipynb"))
STUDENT = sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(bwrap_problem()), reason=f"no sandbox: {bwrap_problem()}"),
              pytest.mark.skipif(not SOLUTIONS or not STUDENT, reason="notebooks not built")]


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> list[list[str]]:
    root = tmp_path_factory.mktemp("course")
    for student, notebooks in (("solution", SOLUTIONS), ("unanswered", STUDENT)):
        (root / student).mkdir()
        for path in notebooks:
            shutil.copy(path, root / student / path.name)
    graded, notes = grade_class(root, load_lessons(), GradeConfig(Limits(timeout=120.0), 2))
    write_outputs(graded, root / "out", "", notes)
    with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def test_every_solution_gets_full_marks(rows):
    wrong = [r for r in rows if r[0] == "solution" and (r[5] != "passed" or r[3] != r[4])]
    assert wrong == []
    assert len([r for r in rows if r[0] == "solution"]) >= 40


def test_every_unanswered_exercise_gets_zero(rows):
    assert [r for r in rows if r[0] == "unanswered" and r[3] != "0"] == []
    assert {r[5] for r in rows if r[0] == "unanswered"} == {"failed"}
