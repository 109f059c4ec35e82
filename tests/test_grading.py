"""Class grading (mnist_lab.course.grading, .sandbox, .worker, .proxy) on a tiny fixture lesson.

tests/fixtures/grading/ holds two tiny lessons (90_fixture: two exercises, public and hidden
tests; 91_fixture: one) and synthetic students: correct, partly correct, wrong, crashing, looping,
memory-hungry, chatty, exiting, segfaulting, patching the checks in their own process, forging,
an invalid notebook, a student with two lessons and one with a lesson missing. The class is
graded once (module fixture) in bubblewrap sandboxes and every student's rows are compared.
Hostile submissions of other kinds are in tests/test_grading_attacks.py.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from mnist_lab.course import cli, feedback
from mnist_lab.course.grading import GradeConfig, Lesson, grade_class, load_lessons
from mnist_lab.course.report import (
    COLUMNS,
    Grade,
    Graded,
    feedback_markdown,
    summarize,
    write_outputs,
)
from mnist_lab.course.sandbox import Limits, bwrap_problem
from mnist_lab.course.submissions import cells_to_run, find_submissions, lesson_of

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
LIMITS = Limits(timeout=6.0, memory_gb=2.0)  # short: a looping student costs 6 s
needs_bwrap = pytest.mark.skipif(bool(bwrap_problem()), reason=f"no sandbox: {bwrap_problem()}")

MISSING_90 = [("90_fixture", "q1_double", "0", "2", "missing", "no submission for this lesson"),
              ("90_fixture", "q2_leaky", "0", "1", "missing", "no submission for this lesson")]
MISSING_91 = [("91_fixture", "q1_square", "0", "1", "missing", "no submission for this lesson")]
Q2_PASSED = ("90_fixture", "q2_leaky", "1", "1", "passed", "all 2 tests passed")
WRONG = [("90_fixture", "q1_double", "0", "2", "failed",
          "2 of 2 tests failed: Case 1 of 1: double(tensor[5] float32): "
          "the result differs at 4 of 5 "
          "entries (largest difference 1); e.g. at index (0,): yours -1, expected -2."),
         ("90_fixture", "q2_leaky", "0", "1", "failed",
          "2 of 2 tests failed: Case 1 of 1: leaky(tensor[9] float32): "
          "the result differs at 4 of 9 "
          "entries (largest difference 1.8); e.g. at index (0,): yours -2, expected -0.2."),
         *MISSING_91]


def _both_error(message: str) -> list[tuple]:
    return [("90_fixture", "q1_double", "0", "2", "error", message),
            ("90_fixture", "q2_leaky", "0", "1", "error", message)]


EXPECTED = {
    "alice": [("90_fixture", "q1_double", "2", "2", "passed", "all 2 tests passed"), Q2_PASSED,
              ("91_fixture", "q1_square", "1", "1", "passed", "the test passed")],
    "bob": [("90_fixture", "q1_double", "1", "2", "failed",
             "1 of 2 tests failed: a hidden test failed: its result has the wrong shape."),
            Q2_PASSED, *MISSING_91],
    "carol": [("90_fixture", "q1_double", "0", "2", "failed",
               "2 of 2 tests failed: Case 1 of 1: double(tensor[5] float32): "
          "the result differs at 5 of "
               "5 entries (largest difference 3); e.g. at index (0,): yours 1, expected -2."),
              ("90_fixture", "q2_leaky", "0", "1", "failed",
               "2 of 2 tests failed: Case 1 of 1: leaky(tensor[9] float32): "
          "the result differs at 4 of "
               "9 entries (largest difference 2.2); e.g. at index (0,): yours 2, expected -0.2."),
              *MISSING_91],
    "dave": [("90_fixture", "q1_double", "0", "2", "failed",
              "2 of 2 tests failed: `double` is not defined."), Q2_PASSED, *MISSING_91],
    "erin": [("90_fixture", "q1_double", "0", "2", "timeout",
              "stopped after 6 s (the time limit) while testing this exercise."),
             Q2_PASSED, *MISSING_91],
    "grace": [("90_fixture", "q1_double", "2", "2", "passed", "all 2 tests passed"), Q2_PASSED,
              *MISSING_91],
    "heidi": [("90_fixture", "q1_double", "0", "2", "error", "your code's process ended "
               "unexpectedly (exit code 3) while testing this exercise."), Q2_PASSED, *MISSING_91],
    "ivan": [*_both_error("your code's process was killed by SIGSEGV while running the "
                          "notebook's code."), *MISSING_91],
    # Patching checks, torch.isclose, the runner or Tensor.__bool__ in their own process does
    # nothing: the checks run in the grader. Their wrong answers simply fail.
    "judy": WRONG, "mallory": WRONG, "niaj": WRONG, "victor": WRONG,
    "peggy": [*_both_error("not a valid notebook (invalid JSON: Expecting property name "
                           "enclosed in double quotes: line 2 column 24 (char 35))"), *MISSING_91],
    "trent": [*MISSING_90, ("91_fixture", "q1_square", "1", "1", "passed", "the test passed")],
    "amos": [("90_fixture", "q1_double", "2", "2", "passed", "all 2 tests passed"), Q2_PASSED,
             *MISSING_91],
}


def copy_fixtures(to: Path) -> tuple[Path, Path]:
    """The fixtures as notebooks: (solutions folder, submissions folder) under `to`.

    They are stored as .json so that nbval and ruff leave the broken ones alone.
    """
    for part in ("solutions", "submissions"):
        shutil.copytree(FIXTURES / part, to / part)
        for path in (to / part).rglob("*.json"):
            path.rename(path.with_suffix(".ipynb"))
    return to / "solutions", to / "submissions"


@pytest.fixture(scope="module")
def fixture_dirs(tmp_path_factory) -> tuple[Path, Path]:
    return copy_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="module")
def lessons(fixture_dirs) -> dict[str, Lesson]:
    return load_lessons(fixture_dirs[0])


@pytest.fixture(scope="module")
def graded(fixture_dirs, lessons, tmp_path_factory):
    """The whole fixture class graded once: (OUT_DIR, results)."""
    if bwrap_problem():
        pytest.skip(f"no sandbox: {bwrap_problem()}")
    results, notes = grade_class(fixture_dirs[1], lessons, GradeConfig(LIMITS, jobs=2))
    out = tmp_path_factory.mktemp("out")
    write_outputs(results, out, summarize(results), notes)
    return out, results


def csv_rows(out: Path) -> list[list[str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def rows_of(out: Path, student: str) -> list[tuple]:
    return [tuple(row[1:]) for row in csv_rows(out)[1:] if row[0] == student]


def feedback_of(out: Path, student: str) -> str:
    return (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")


def log_of(out: Path, student: str) -> str:
    return (out / "logs" / student / "90_fixture.txt").read_text(encoding="utf-8")


# --- the whole class, row by row -----------------------------------------------------------

@pytest.mark.slow
def test_grades_csv_has_the_columns_and_one_row_per_student_lesson_exercise(graded):
    rows = csv_rows(graded[0])
    assert tuple(rows[0]) == COLUMNS
    assert sorted({row[0] for row in rows[1:]}) == sorted([*EXPECTED, "frank", "oscar"])


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_students_rows_are_exactly_as_expected(graded, student):
    assert rows_of(graded[0], student) == EXPECTED[student]


@pytest.mark.slow
def test_a_memory_hog_loses_only_its_exercise(graded):
    rows = rows_of(graded[0], "frank")  # 8 GB in a 2 GB sandbox: killed, or swapped to the limit
    assert rows[0][:4] == ("90_fixture", "q1_double", "0", "2")
    assert rows[0][4] in ("error", "timeout", "failed") and rows[1] == Q2_PASSED


@pytest.mark.slow
def test_garbage_written_to_every_descriptor_costs_only_that_submission(graded):
    assert {row[4] for row in rows_of(graded[0], "oscar")[:2]} == {"error"}


@pytest.mark.slow
def test_experiments_are_not_executed_while_grading(graded):
    assert "the experiment ran" not in log_of(graded[0], "alice")


@pytest.mark.slow
def test_huge_output_is_capped_in_the_log(graded):
    log = log_of(graded[0], "grace")
    assert "xxxx" in log
    assert len(log) < LIMITS.output_bytes + 5000  # 20 MB were printed


@pytest.mark.slow
def test_printed_fake_results_are_only_output(graded):
    assert '"event": "done"' in log_of(graded[0], "carol")
    assert rows_of(graded[0], "carol") == EXPECTED["carol"]


@pytest.mark.slow
def test_the_instructor_log_has_every_hidden_message(graded):
    log = log_of(graded[0], "bob")
    assert "(hidden): FAILED: CheckFailed: Case 1 of 1: double(tensor[3, 4] float32)" in log


@pytest.mark.slow
def test_feedback_of_a_hidden_failure_gives_the_kind_and_hint_but_no_test_code(graded):
    text = feedback_of(graded[0], "bob")
    assert "A hidden test failed: its result has the wrong shape.\nHint: multiply every entry " \
        "by two" in text
    assert "arange" not in text and "(3, 4)" not in text and "(12,)" not in text


@pytest.mark.slow
def test_feedback_of_a_hidden_failure_gives_the_hint_of_the_failing_check(graded):
    assert "A hidden test failed: its values are wrong.\nHint: keep the input's dtype" in \
        feedback_of(graded[0], "carol")


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted([*EXPECTED, "frank", "oscar"]))
def test_no_feedback_file_reveals_hidden_test_code_or_values(graded, student):
    hidden_only = ["test_double_on_a_matrix", "arange(12.0)", "tensor(3, 4)", "tensor[3, 4]",
                   "test_leaky_in_float64", "-0.001", "[-3.0", "-0.3", "2.5"]
    text = feedback_of(graded[0], student)
    assert not [s for s in hidden_only if s in text]


@pytest.mark.slow
def test_feedback_lists_the_cells_that_raised(graded):
    text = feedback_of(graded[0], "dave")
    assert "code cell 3 raised SyntaxError" in text
    assert "code cell 5 raised RuntimeError: my cell crashes after the def" in text


@pytest.mark.slow
def test_summary_counts_students_and_statuses(graded):
    summary = (graded[0] / "summary.txt").read_text()
    assert summary.startswith("Graded 17 students: 18 submissions of 2 lessons.")


@pytest.mark.slow
@pytest.mark.skipif(bool(bwrap_problem()), reason=f"no sandbox: {bwrap_problem()}")
def test_cli_grades_one_lesson_and_returns_zero(fixture_dirs, tmp_path, capsys):
    args = ["grade", str(fixture_dirs[1]), "--out", str(tmp_path), "--lesson", "91",
            "--solutions", str(fixture_dirs[0]), "--timeout", "6"]
    assert cli.main(args) == 0
    rows = csv_rows(tmp_path)
    assert [r for r in rows if r[0] in ("alice", "bob")] == [
        ["alice", "91_fixture", "q1_square", "1", "1", "passed", "the test passed"],
        ["bob", "91_fixture", "q1_square", "0", "1", "missing", "no submission for this lesson"]]
    assert "Graded 17 students: 2 submissions of 1 lesson" in capsys.readouterr().out


@pytest.mark.slow
def test_lesson_points_and_hidden_flags_follow_otter(lessons):
    q1, q2 = lessons["90_fixture"].exercises
    assert [(t.points, t.hidden) for t in q1.tests] == [(1.0, False), (1.0, True)]
    assert [(t.points, t.hidden) for t in q2.tests] == [(0.5, False), (0.5, True)]
    assert q1.hint == "multiply every entry by two"


# --- fast unit tests -----------------------------------------------------------------------

def _lesson() -> Lesson:
    """The distributed cells of a small lesson, without loading otter."""
    return Lesson("90_fixture", (), cell_ids=frozenset({"c0", "c1", "c2", "c3"}),
                  answer_ids=frozenset({"c2"}),
                  sources=frozenset({"import time\nimport torch\nSLOPE = 0.1",
                                     "time.sleep(60)", "grader.check('q1')"}))


def _code(cid: str | None, source: str, tags: tuple = ()) -> dict:
    cell = {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)}}
    if cid:
        cell["id"] = cid
    return cell


def test_cells_to_run_skips_experiments_and_keeps_answers_definitions_and_added_cells():
    nb = {"cells": [
        _code("c0", "import time\nimport torch\nSLOPE = 0.1"),
        _code("c1", "%matplotlib inline\ntime.sleep(60)\nrun = train()\ncfg = run.cfg\n"
                    "def helper():\n    pass"),
        _code("c2", "def double(x):\n    return 2 * x", ("otter_answer_cell",)),
        _code("new", "W = torch.ones(3)  # the student's own cell"),
        _code("c3", "import otter\ngrader = otter.Notebook('x.ipynb')"),
    ]}
    assert cells_to_run(nb, _lesson()) == [
        ("an import in code cell 1", "import time"),
        ("an import in code cell 1", "import torch"),
        ("the definitions in code cell 1", "SLOPE = 0.1"),
        ("the definitions in code cell 2", "def helper():\n    pass"),
        ("code cell 3", "def double(x):\n    return 2 * x"),
        ("code cell 4", "W = torch.ones(3)  # the student's own cell"),
    ]


def test_cells_to_run_finds_answer_cells_by_id_when_tags_are_lost():
    nb = {"cells": [_code("c2", "def double(x):\n    return x * 2")]}
    assert cells_to_run(nb, _lesson()) == [("code cell 1", "def double(x):\n    return x * 2")]


def test_a_copied_lesson_cell_without_its_id_is_not_run_as_the_students_own():
    nb = {"cells": [_code(None, "time.sleep(60)")]}
    assert cells_to_run(nb, _lesson()) == []


def test_magics_and_shell_lines_become_pass():
    nb = {"cells": [_code("new", "%%time\n!pip install x\nif True:\n    %timeit f()\ny = 1")]}
    assert cells_to_run(nb, _lesson()) == [
        ("code cell 1", "pass\nif True:\n    pass\ny = 1")]


def _nb_file(path: Path, name: str | None) -> Path:
    meta = {"otter": {"assignment_name": name}} if name else {}
    path.write_text(json.dumps({"cells": [], "metadata": meta}))
    return path


def _meta(name: str | None) -> dict:
    return {"metadata": {"otter": {"assignment_name": name}}} if name else {}


def test_lesson_is_recognised_from_metadata_before_the_file_name():
    lessons = {"01_baseline": _lesson(), "02_loss": _lesson()}
    assert lesson_of("copy of mine.ipynb", _meta("02_loss"), lessons) == "02_loss"
    assert lesson_of("01_renamed.ipynb", _meta(None), lessons) == "01_baseline"
    assert lesson_of("notes.ipynb", _meta(None), lessons) is None
    assert lesson_of("07_other.ipynb", _meta("07_x"), lessons) is None


def test_a_notebook_numbered_before_the_renumbering_finds_its_lesson_by_name():
    lessons = {"07_network_by_hand": _lesson(), "08_training_recipe": _lesson()}
    old = "08_training_recipe"
    assert lesson_of(f"{old}.ipynb", _meta(old), lessons) == "08_training_recipe"
    assert lesson_of(f"{old}.ipynb", None, lessons) == "08_training_recipe"
    assert lesson_of("07_my_copy.ipynb", None, lessons) == "07_network_by_hand"


def test_lesson_is_recognised_from_the_file_name_when_the_json_is_broken():
    assert lesson_of("01_baseline (1).ipynb", None, {"01_baseline": _lesson()}) == "01_baseline"


def test_find_submissions_names_what_is_wrong_with_the_folder(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        find_submissions(tmp_path / "nope", {})
    with pytest.raises(ValueError, match="no student folders"):
        find_submissions(tmp_path, {})


def test_find_submissions_warns_about_files_of_no_lesson(tmp_path):
    (tmp_path / "ann").mkdir()
    _nb_file(tmp_path / "ann" / "01_baseline.ipynb", None)
    _nb_file(tmp_path / "ann" / "scratch.ipynb", None)
    students, subs, warnings = find_submissions(tmp_path, {"01_baseline": _lesson()})
    assert students == ["ann"] and [s.lesson for s in subs] == ["01_baseline"]
    assert len(warnings) == 1 and "scratch.ipynb" in warnings[0]


def test_the_hint_of_a_public_test_may_be_held_in_a_variable():
    from mnist_lab.course.testfiles import _public_hint

    source = ("@test_case(points=None, hidden=False)\ndef test_a(f):\n    hint = 'look here'\n"
              "    checks.check_function(f, g, [], hint=hint)\n\n"
              "@test_case(points=None, hidden=True)\ndef test_b(f):\n"
              "    checks.check_function(f, g, [], hint='secret')\n")
    assert _public_hint(source) == "look here"


def test_no_public_hint_is_guessed_when_the_public_tests_give_several():
    from mnist_lab.course.testfiles import _public_hint

    source = ("@test_case(points=None, hidden=False)\ndef test_a(f):\n"
              "    check(f, hint='one')\n    check(f, hint='two')\n")
    assert _public_hint(source) == ""


def test_a_hidden_failure_shows_its_kind_and_own_hint_never_its_message():
    exc = AssertionError("Case 2 of 3: f(tensor([7.5])): the result differs ... expected 42."
                         "\nHint: mind the sign")
    assert feedback._explain(True, exc, "public hint", {"mind the sign"}) == (
        "a hidden test failed: its values are wrong",
        "A hidden test failed: its values are wrong.\nHint: mind the sign")


def test_a_hidden_failure_shows_only_a_hint_written_in_the_tests():
    # check_function takes the hint from its message when the test gives none, and the
    # message quotes the student's exception: "raised ValueError: Hint: <the hidden input>".
    exc = AssertionError("Case 1 of 1: f(tensor[3, 4]): raised ValueError: x."
                         "\nHint: [[0.0, 1.0, 2.0]]")
    summary, text = feedback._explain(True, exc, "public hint", {"mind the sign"})
    assert "[[0.0" not in summary + text
    assert text == "A hidden test failed: it raised an error.\nHint: public hint"


def test_a_hidden_failure_never_names_an_exception_class_the_student_made():
    from mnist_lab.course.proxy import student_exception

    exc = student_exception({"op": "raised", "type": "x_0_1_2_3", "message": ""})
    assert "x_0_1_2_3" not in "".join(feedback._explain(True, exc, ""))
    assert feedback.hidden_kind(student_exception({"type": "IndexError"})) == (
        "your code raised IndexError")


def test_a_students_own_exception_text_is_not_shown_for_a_hidden_test():
    exc = ValueError("the hidden input was tensor([7.5])")
    assert "7.5" not in "".join(feedback._explain(True, exc, ""))
    assert feedback._explain(True, exc, "")[0] == (
        "a hidden test failed: your code raised ValueError")


def test_check_failed_attributes_are_used_when_present():
    exc = AssertionError("long text")
    exc.problem, exc.case, exc.hint = "the result has shape (2,)", "case 3", "reshape"
    assert feedback._explain(False, exc, "")[0] == "case 3: the result has shape (2,)"
    assert feedback._explain(True, exc, "", {"reshape"})[1] == (
        "A hidden test failed: its result has the wrong shape.\nHint: reshape")


def test_the_csv_message_is_one_sentence():
    assert feedback._sentence("a\nb  c") == "a b c."
    assert len(feedback._sentence("x " * 300)) <= 200


def test_a_hint_already_given_is_not_repeated_for_a_hidden_failure():
    texts = ["Case 1: wrong.\nHint: h", "a hidden test failed\nHint: h",
             "a hidden test failed\nHint: g"]
    assert feedback._once(texts) == ["Case 1: wrong.\nHint: h", "a hidden test failed",
                                     "a hidden test failed\nHint: g"]


def test_public_tests_run_before_any_hidden_test():
    from mnist_lab.course.grading import Exercise, _public_first

    source = ("@test_case(hidden=True)\ndef test_{0}_hidden(f):\n    pass\n\n"
              "@test_case(hidden=False)\ndef test_{0}_public(f):\n    pass\n")
    todo = [Exercise(name, source.format(name), ()) for name in ("q1", "q2")]
    assert [(ex.name, k, case.func.__name__) for ex, k, case in _public_first(todo)] == [
        ("q1", 1, "test_q1_public"), ("q2", 1, "test_q2_public"),
        ("q1", 0, "test_q1_hidden"), ("q2", 0, "test_q2_hidden")]


def test_an_nbformat_3_notebook_is_read_like_a_version_4_one():
    from mnist_lab.course.submissions import parse_notebook

    v3 = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": "# notes"},
        {"cell_type": "code", "input": ["def double(x):\n", "    return 2 * x"],
         "language": "python", "outputs": []}]}]}
    nb = parse_notebook(json.dumps(v3).encode())
    assert cells_to_run(nb, _lesson()) == [("code cell 1", "def double(x):\n    return 2 * x")]


def test_outputs_survive_a_lone_surrogate_and_a_student_name_too_long_for_a_file(tmp_path):
    long = "Ada Lovelace_" * 20  # 260 characters: over the file system's 255
    grades = [Graded(student, "01", (Grade(student, "01", "q1", 0.0, 1.0, "failed",
                                           "raised ValueError: \ud800"),), log="x\udce9")
              for student in (long, "Jos\udce9")]  # a folder name that is not UTF-8
    write_outputs(grades, tmp_path, "summary")
    assert len(csv_rows(tmp_path)) == 3 and "\\ud800" in csv_rows(tmp_path)[1][6]
    names = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    assert len(names) == 2 and all(len(os.fsencode(n)) <= 255 for n in names)
    assert f"# Feedback for {long}" in (tmp_path / "feedback" / names[0]).read_text()


def test_limits_reject_a_memory_limit_torch_cannot_import_under():
    with pytest.raises(ValueError, match="torch needs"):
        Limits(memory_gb=0.5)


def test_feedback_markdown_shows_points_and_failures():
    grade = Grade("ann", "01_baseline", "q1", 1.0, 2.0, "failed", "short",
                  "a hidden test failed\nHint: h")
    text = feedback_markdown("ann", [Graded("ann", "01_baseline", (grade,))])
    assert "## 01_baseline: 1 / 2 points" in text
    assert "| q1 | 1 / 2 | failed |" in text
    assert "a hidden test failed\nHint: h" in text


# --- reading submissions and writing outputs without trusting them (no sandbox needed) -------

def _student(root: Path, name: str) -> Path:
    (root / name).mkdir(parents=True)
    return root / name / "01_baseline.ipynb"


def test_links_fifos_and_huge_or_deep_notebooks_never_stop_the_class(tmp_path):
    import os

    secret = tmp_path / "secret.ipynb"
    secret.write_text(json.dumps({"cells": []}))
    subs = tmp_path / "subs"
    _student(subs, "linker").symlink_to(secret)
    os.mkfifo(_student(subs, "piper"))
    with open(_student(subs, "giant"), "wb") as f:
        f.truncate(100 * 2**20)
    _student(subs, "deep").write_text("[" * 50_000 + "]" * 50_000)
    (subs / "folder_link").symlink_to(tmp_path, target_is_directory=True)
    students, subs_found, warnings = find_submissions(subs, {"01_baseline": _lesson()})
    assert students == ["deep", "giant", "linker", "piper"]
    assert {s.student: s.problem.split(" (")[0] for s in subs_found} == {
        "deep": "not a valid notebook", "giant": "the notebook is 100 MB"}
    assert any("symbolic link" in w for w in warnings)
    assert any("not a regular file" in w for w in warnings)


def test_a_formula_in_any_csv_cell_is_neutralised(tmp_path):
    grade = Grade("=1+1", "01", "q1", 0.0, 1.0, "failed", "-2 is wrong")
    write_outputs([Graded("=1+1", "01", (grade,))], tmp_path, "s")
    assert csv_rows(tmp_path)[1][0] == "'=1+1" and csv_rows(tmp_path)[1][6] == "'-2 is wrong"


def test_links_planted_in_out_dir_are_replaced_not_followed(tmp_path):
    victim, elsewhere, out = tmp_path / "victim", tmp_path / "elsewhere", tmp_path / "out"
    victim.write_text("keep")
    elsewhere.mkdir()
    out.mkdir()
    (out / "grades.csv").symlink_to(victim)
    (out / "feedback").symlink_to(elsewhere, target_is_directory=True)
    grade = Grade("ann", "01", "q1", 1.0, 1.0, "passed", "ok")
    write_outputs([Graded("ann", "01", (grade,), log="x")], out, "summary")
    assert victim.read_text() == "keep" and list(elsewhere.iterdir()) == []
    assert (out / "feedback" / "ann.md").is_file() and not (out / "grades.csv").is_symlink()


def test_out_dir_itself_may_not_be_a_link(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(ValueError, match="symbolic link"):
        write_outputs([], tmp_path / "link", "s")


def test_grading_refuses_to_run_unsandboxed_unless_told(tmp_path, monkeypatch, capsys):
    from mnist_lab.course import grading

    monkeypatch.setattr(grading, "bwrap_problem", lambda: "bwrap is not installed")
    (tmp_path / "ann").mkdir()
    with pytest.raises(grading.SandboxUnavailable, match="--no-sandbox"):
        grade_class(tmp_path, {}, GradeConfig())
    args = ["grade", str(tmp_path), "--out", str(tmp_path / "out"),
            "--solutions", str(FIXTURES / "solutions")]
    assert cli.main(args) == 2
    assert "bwrap is not installed" in capsys.readouterr().err
