"""Claims: strict runs stop on a false claim; a student's run gets a note instead."""

import pytest

from mnist_lab import claims


def test_a_claim_that_holds_returns_true_and_prints_nothing(monkeypatch, capsys):
    monkeypatch.delenv("MNIST_LAB_CLAIMS", raising=False)
    assert claims.expect(True, "anything") is True
    assert capsys.readouterr().out == ""


def test_a_false_claim_raises_in_strict_mode(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLAIMS", "strict")
    with pytest.raises(claims.ClaimFailed, match="Adam beats SGD.*0.9 vs 0.8"):
        claims.expect(False, "Adam beats SGD", "0.9 vs 0.8")


def test_a_false_claim_prints_a_note_for_a_student(monkeypatch, capsys):
    monkeypatch.delenv("MNIST_LAB_CLAIMS", raising=False)
    assert claims.expect(False, "Adam beats SGD", "0.9 vs 0.8", "a larger LR can flip it") is False
    out = capsys.readouterr().out
    assert out.startswith("Note: The text expected: Adam beats SGD.")
    assert "With your settings: 0.9 vs 0.8." in out and "a larger LR can flip it" in out


def test_expect_between_reports_the_value_and_the_range(monkeypatch):
    monkeypatch.setenv("MNIST_LAB_CLAIMS", "strict")
    assert claims.expect_between(0.5, 0.4, 0.6, "about a half")
    with pytest.raises(claims.ClaimFailed, match="0.7 .*0.4 to 0.6"):
        claims.expect_between(0.7, 0.4, 0.6, "about a half")
