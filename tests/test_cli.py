"""The `mnist-lab` command line: every subcommand is wired, and errors come out as messages."""

import pytest

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
    assert main(["data"]) == 0
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
