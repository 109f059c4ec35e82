"""Claims the lesson text makes about a result, checked right where they are made (all lessons).

The text says "Adam's loss falls faster here"; `expect(...)` under the figure checks it. Under the
course's own runs (nbval, building the notebooks, `make run`: MNIST_LAB_CLAIMS=strict) a claim
that does not hold is an error, so the text can never drift from the numbers. A student who has
changed a setting, as the lessons invite, gets a note instead of a crash: what the text expected,
what this run gave, and why that can happen.
"""

from __future__ import annotations

import os


class ClaimFailed(AssertionError):
    """A claim of the lesson text does not hold for this run (strict mode only)."""


def strict() -> bool:
    """True where a failed claim must stop the run (CI, notebook builds, the main job)."""
    return os.environ.get("MNIST_LAB_CLAIMS", "").lower() == "strict"


def expect(holds: bool, claim: str, observed: str = "", why: str = "") -> bool:
    """Check one claim of the text: return `holds`; if it is False, raise (strict) or explain.

    `claim` is what the text says ("momentum reaches a lower loss than plain SGD"), `observed` what
    this run gave ("0.31 vs 0.28"), `why` the usual reason a changed setting breaks it.
    """
    if holds:
        return True
    message = f"The text expected: {claim}."
    if observed:
        message += f" With your settings: {observed}."
    if why:
        message += f" Why this can happen: {why}"
    if strict():
        raise ClaimFailed(message)
    print(f"Note: {message}")
    return False


def expect_between(value: float, low: float, high: float, claim: str, why: str = "") -> bool:
    """Check that `value` lies in [low, high], the range the text states."""
    return expect(low <= value <= high, claim, f"{value:.4g} (the text's range: {low:.4g} to "
                  f"{high:.4g})", why)
