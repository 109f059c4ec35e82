"""The `mnist-lab` command line: every subcommand is wired, and errors come out as messages;
`data` fetches both data sets without importing compiled kernels; `run`'s exit status."""

import subprocess
import sys

import nbformat
import pytest

from mnist_lab.course import runner
from mnist_lab.course.cli import build_parser, main


def test_every_documented_subcommand_exists():
    parser = build_parser()
    for argv in (["info"], ["data"], ["reproduce"], ["run"], ["grade", "subs", "--out", "o"]):
        assert parser.parse_args(argv).command == argv[0]


def test_info_prints_versions_device_data_and_threads(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for word in ("mnist-lab", "torch", "device", "threads", "data"):
        assert word in out


@pytest.mark.data
def test_data_prints_each_file_with_its_source_and_checksum(capsys):
    assert main(["data", "--only", "mnist"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("train-images-idx3-ubyte") and "ba891046e6505d7a" in lines[0]


def test_data_with_a_missing_root_fails_with_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["data", "--root", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "nowhere" in err


def test_reproduce_rejects_an_unknown_row():
    with pytest.raises(SystemExit):
        main(["reproduce", "--rows", "no_such_row"])


# ---- `mnist-lab data`: which data sets, and its exit status -----------------------------------


def test_data_imports_no_compiled_kernels(tmp_path):
    """Without a home folder numba cannot set up its cache: `data` must not import it."""
    code = (
        "import sys\nfrom mnist_lab.course.cli import main\n"
        f"main(['data', '--root', {str(tmp_path / 'nowhere')!r}])\n"
        "print(sorted(m for m in ('numba', 'mnist_lab.fastpath', 'mnist_lab.book') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_data_fetches_mnist_and_fashion_mnist(tiny, tiny_fashion, capsys):
    tiny_fashion.write(tiny.folder / "FashionMNIST" / "raw")
    assert main(["data", "--root", str(tiny.folder)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 8


def test_missing_fashion_mnist_is_a_warning_not_a_failure(tiny, tiny_fashion, capsys):
    assert main(["data", "--root", str(tiny.folder)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: Fashion-MNIST file(s)") and "how to fix" in err


def test_fashion_mnist_asked_for_by_name_must_be_there(tiny, tiny_fashion, capsys):
    assert main(["data", "--only", "fashion", "--root", str(tiny.folder)]) == 1
    assert capsys.readouterr().err.startswith("error: Fashion-MNIST file(s)")


def test_reproduce_help_comes_from_the_book(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    assert "--rows" in capsys.readouterr().out


def test_other_commands_reject_unknown_arguments():
    with pytest.raises(SystemExit):
        main(["info", "--rows", "x"])


# ---- `mnist-lab run`: what counts as a failure ----------------------------------------------


def lesson(name, error=None, data_missing=False, detail=""):
    return runner.LessonRun(name, 1.0, error, data_missing, detail)


def test_run_exits_0_when_lessons_lack_only_data_no_source_has():
    runs = [lesson("00_a"), lesson("16_b", "Fashion-MNIST file(s) ...", data_missing=True)]
    assert runner.exit_status(runs) == 0


def test_run_exits_1_for_a_lesson_error_that_is_not_missing_data():
    runs = [lesson("00_a"), lesson("09_b", "ValueError: bug")]
    assert runner.exit_status(runs) == 1


def test_run_stops_at_once_with_exit_1_without_mnist(tiny, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tiny.folder))  # nothing on PATH: no registry client
    assert runner.main() == 1
    assert capsys.readouterr().err.startswith("error: MNIST file(s)")


def test_missing_data_is_reported_once_with_its_fix(capsys):
    detail = "Fashion-MNIST file(s) x could not be fetched.\n  how to fix:\n    1. do this"
    runner.report_missing_data([lesson("16_a", "Fashion...", True, detail),
                                lesson("17_b", "Fashion...", True, detail)])
    err = capsys.readouterr().err
    assert "Skipped for missing data: 16_a, 17_b" in err and err.count("1. do this") == 1


def executed_lesson_with_table(folder, name="06_table", printed="TABLE FROM LESSON 06"):
    """An executed notebook in `folder` whose cell tagged "book-table" printed `printed`."""
    folder.mkdir(exist_ok=True)
    cell = nbformat.v4.new_code_cell("print(table)", metadata={"tags": ["book-table"]})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed + "\n")]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), cell]),
                   folder / f"{name}.ipynb")


def no_training(*args, **kwargs):
    raise AssertionError("the table was trained again")


def test_run_prints_the_table_lesson_06_trained_instead_of_training_it_again(
        tmp_path, monkeypatch, capsys):
    executed_lesson_with_table(tmp_path)
    monkeypatch.setattr("mnist_lab.book.reproduce_book_table", no_training)
    runner.print_book_table([lesson("05_a"), lesson("06_table")], tmp_path)
    assert "TABLE FROM LESSON 06" in capsys.readouterr().out


def test_run_trains_the_table_itself_when_lesson_06_failed(tmp_path, monkeypatch, capsys):
    executed_lesson_with_table(tmp_path)  # a failed lesson keeps its committed outputs
    trained = []
    monkeypatch.setattr("mnist_lab.book.reproduce_book_table", lambda: trained.append(1) or [])
    runner.print_book_table([lesson("06_table", "ValueError: bug")], tmp_path)
    out = capsys.readouterr().out
    assert trained == [1] and "TABLE FROM LESSON 06" not in out and "(no rows)" in out


def test_lessons_stopped_by_missing_data_are_skipped_and_other_errors_fail(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    for name, code in [
        ("15_other", "raise ValueError('a bug')"),
        ("16_fashion", "from mnist_lab.idx import DataUnavailable\n"
                       "raise DataUnavailable('Fashion-MNIST file(s) x could not be fetched.')"),
    ]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nbformat.write(nb, lessons / f"{name}.ipynb")
    runs = runner.execute_lessons(lessons, tmp_path / "out")
    assert [(r.name, r.data_missing) for r in runs] == [("15_other", False), ("16_fashion", True)]
    assert runs[1].status == "SKIPPED, data missing: Fashion-MNIST file(s) x could not be fetched."
    assert runner.exit_status(runs) == 1  # the bug still counts


def test_lessons_run_side_by_side_and_come_back_in_course_order(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    # the first lesson is the slowest, so it finishes last when two run at once
    for name, seconds in [("01_slow", 1.5), ("02_quick", 0), ("03_quick", 0)]:
        code = f"import time\ntime.sleep({seconds})"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]),
                       lessons / f"{name}.ipynb")
    runs = runner.execute_lessons(lessons, tmp_path / "out", jobs=2)
    assert [r.name for r in runs] == ["01_slow", "02_quick", "03_quick"]
    assert all(r.status == "ok" for r in runs)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "01_slow.ipynb", "02_quick.ipynb", "03_quick.ipynb"]


def test_headless_kernels_use_one_thread_and_strict_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # what the caller has is overridden
    monkeypatch.setenv("MNIST_LAB_CLAIMS", "note")
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    code = ("import os, torch\n"
            "print(torch.get_num_threads(), os.environ['MNIST_LAB_CLAIMS'])")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]),
                   lessons / "00_env.ipynb")
    runner.execute_lessons(lessons, tmp_path / "out", jobs=1)
    out = nbformat.read(tmp_path / "out" / "00_env.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["text"].split() == ["1", "strict"]


def test_default_jobs_is_between_one_and_four():
    assert 1 <= runner.default_jobs() <= 4
