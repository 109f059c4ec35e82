"""Progress bars: on by default, off when asked, under CI, or with MNIST_LAB_PROGRESS=0."""

import pytest

from mnist_lab.progress import progress, progress_enabled


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("MNIST_LAB_PROGRESS", raising=False)
    return monkeypatch


def test_progress_is_enabled_by_default(clean_env):
    assert progress_enabled() and progress_enabled(True)


def test_progress_is_disabled_when_asked(clean_env):
    assert not progress_enabled(False)


def test_progress_is_disabled_under_ci(clean_env):
    clean_env.setenv("CI", "true")
    assert not progress_enabled(True)


def test_ci_set_to_false_does_not_disable_progress(clean_env):
    clean_env.setenv("CI", "false")
    assert progress_enabled()


def test_progress_is_disabled_by_the_environment_switch(clean_env):
    clean_env.setenv("MNIST_LAB_PROGRESS", "0")
    assert not progress_enabled(True)


def test_progress_yields_every_item(clean_env):
    assert list(progress(range(5), enabled=False)) == [0, 1, 2, 3, 4]


def test_disabled_progress_prints_nothing_and_accepts_postfix(clean_env, capsys):
    bar = progress(range(3), desc="epochs", enabled=False)
    for _ in bar:
        bar.set_postfix(loss="0.1")
    bar.close()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_enabled_progress_draws_a_bar(clean_env, capsys):
    for _ in progress(range(3), desc="epochs"):
        pass
    assert "epochs" in capsys.readouterr().err


def test_a_bar_finished_early_on_purpose_ends_full_and_green_not_red(clean_env):
    from tqdm.notebook import tqdm as notebook_tqdm

    from mnist_lab.progress import finish_early

    bar = notebook_tqdm(range(10), desc="epochs")
    for epoch in bar:
        if epoch == 6:
            break  # early stopping after 7 of 10 epochs
    widget = bar.container.children[1]  # the notebook's progress bar
    finish_early(bar, done=7)
    assert widget.bar_style == "success" and widget.value == widget.max == bar.total == 7
