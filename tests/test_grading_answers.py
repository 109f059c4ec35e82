"""The alternative answers of tests/answers/, graded the way an instructor grades a class.

tests/test_exercise_answers.py runs every exercise's tests on correct_N and wrong_N in this
process. Here each answer is pasted into the student notebook's answer cell, exactly as a student
would write it, and the whole class is graded by `grade_class`: the notebook's cells run in the
sandbox, the tests run on the trusted side, and every argument and result crosses the wire
format (NumPy arrays, lists, Python numbers, 0-d arrays...). A correct answer must get full
marks there too, and a wrong one must not.

Students are "correct_K" and "wrong_K": in each lesson, every exercise with an answer labelled K
gets it, and the others get the lesson's solution (a later exercise may call an earlier one).
"""

from __future__ import annotations

import csv
import functools
import json
import re

import pytest
from test_exercise_answers import ANSWERS, EXERCISES, Exercise, _load_answers, _numbered

from mnist_lab.course.grading import GradeConfig, grade_class, load_lessons
from mnist_lab.course.paths import REPO
from mnist_lab.course.report import write_outputs
from mnist_lab.course.sandbox import Limits, bwrap_problem

STUDENT = {p.name[:2]: p for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb")}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bool(bwrap_problem()), reason=f"no sandbox: {bwrap_problem()}"),
              pytest.mark.skipif(not STUDENT, reason="notebooks not built")]


def _function_name(ex: Exercise) -> str:
    return re.search(r"^def (\w+)", ex.solution, re.M).group(1)


@functools.cache
def _labels(ex: Exercise) -> tuple[str, ...]:
    answers = _load_answers(ex)
    return (*_numbered(answers, "correct"), *_numbered(answers, "wrong"))


def _answer_cell(ex: Exercise, label: str | None) -> str:
    """The answer cell's source: the answers file plus `name = label`, or the solution."""
    if label is None:
        return ex.solution
    answers = (ANSWERS / ex.lesson / f"{ex.name}.py").read_text()
    return f"{answers}\n\n{_function_name(ex)} = {label}\n"


def _submission(lesson: str, label: str) -> dict | None:
    """The student notebook of `lesson` answered with `label` where an answer has it."""
    mine = [ex for ex in EXERCISES if ex.lesson == lesson]
    if not any(label in _labels(ex) for ex in mine):
        return None
    nb = json.loads(STUDENT[lesson].read_text())
    for ex in mine:
        cells = [c for c in nb["cells"] if "otter_answer_cell" in c["metadata"].get("tags", [])
                 and f"def {_function_name(ex)}(" in "".join(c["source"])]
        assert len(cells) == 1, f"{lesson} {ex.name}: {len(cells)} answer cells"
        cells[0]["source"] = _answer_cell(ex, label if label in _labels(ex) else None)
    return nb


@pytest.fixture(scope="module")
def grades(tmp_path_factory) -> dict[tuple[str, str, str], list[str]]:
    """(student, lesson, exercise) -> that grades.csv row, for every answer label."""
    root = tmp_path_factory.mktemp("class")
    labels = sorted({label for ex in EXERCISES for label in _labels(ex)})
    for label in labels:
        for lesson, path in STUDENT.items():
            nb = _submission(lesson, label)
            if nb is not None:
                (root / label).mkdir(exist_ok=True)
                (root / label / path.name).write_text(json.dumps(nb))
    graded, notes = grade_class(root, load_lessons(), GradeConfig(Limits(timeout=120.0), 2))
    write_outputs(graded, root / "out", "", notes)
    with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    return {(r[0], r[1][:2], r[2]): r for r in rows}


def _answered(kind: str) -> list[tuple[Exercise, str]]:
    return [(ex, label) for ex in EXERCISES for label in _labels(ex) if label.startswith(kind)]


def test_every_correct_answer_gets_full_marks_when_graded(grades):
    wrong = [(ex.lesson, ex.name, label, grades[label, ex.lesson, ex.name][5:])
             for ex, label in _answered("correct")
             if (row := grades[label, ex.lesson, ex.name])[5] != "passed" or row[3] != row[4]]
    assert not wrong


def test_no_wrong_answer_gets_full_marks_when_graded(grades):
    full = [(ex.lesson, ex.name, label) for ex, label in _answered("wrong")
            if (row := grades[label, ex.lesson, ex.name])[3] == row[4]]
    assert not full
