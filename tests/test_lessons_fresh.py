"""The generated notebooks are what their sources give: `make lessons` has been run."""

import nbformat
import pytest

from mnist_lab.course import authoring


def test_lessons_and_solutions_are_up_to_date_with_their_sources():
    stale = authoring.stale_lessons()
    assert not stale, f"run `make lessons`: these notebooks differ from course/lessons/: {stale}"


@pytest.mark.parametrize("source", authoring.lesson_sources(), ids=lambda p: p.stem)
def test_student_version_hides_solutions_and_hidden_tests(source):
    student = nbformat.read(authoring.LESSONS / f"{source.stem}.ipynb", as_version=4)
    solution = nbformat.read(authoring.SOLUTIONS / f"{source.stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text
    public = student.metadata["otter"]["tests"]
    everything = solution.metadata["otter"]["tests"]
    assert public.keys() == everything.keys()
    assert all("hidden=True" not in code for code in public.values())
    assert any("hidden=True" in code for code in everything.values()), "no hidden tests"


def test_every_lesson_has_between_one_and_four_exercises():
    for source in authoring.lesson_sources():
        nb = nbformat.read(authoring.LESSONS / f"{source.stem}.ipynb", as_version=4)
        assert 1 <= len(nb.metadata["otter"]["tests"]) <= 4, source.stem
