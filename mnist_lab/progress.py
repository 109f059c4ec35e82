"""Progress bars that work in notebooks and terminals, and stay quiet in CI (lesson 00).

Bars change from run to run, so notebooks tested with nbval must not print them: set
MNIST_LAB_PROGRESS=0 (or run under CI, which sets CI) and every bar is switched off.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from tqdm.auto import tqdm

PROGRESS_ENV = "MNIST_LAB_PROGRESS"


def progress_enabled(enabled: bool | None = None) -> bool:
    """Whether to draw bars: not if `enabled` is False, $CI is set, or $MNIST_LAB_PROGRESS=0."""
    if enabled is False:
        return False
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return os.environ.get(PROGRESS_ENV, "1").lower() not in ("0", "false", "off", "no")


def progress(
    iterable: Iterable,
    total: int | None = None,
    desc: str | None = None,
    enabled: bool | None = None,
) -> tqdm:
    """Wrap `iterable` in a tqdm bar (a widget in Jupyter, text elsewhere) (lesson 00).

    When disabled, the returned tqdm draws nothing but still iterates and accepts
    `set_postfix`, so calling code needs no `if`.
    """
    return tqdm(iterable, total=total, desc=desc, disable=not progress_enabled(enabled))


def finish_early(bar: tqdm, done: int | None = None) -> None:
    """Close a bar whose loop ended early on purpose (early stopping, a Stop button) as finished.

    tqdm's notebook bar turns red when a loop over it is left with `break` (it cannot tell that
    from an error) or when it is closed short of its total. A run stopped on purpose is
    complete: its total becomes what was done, and the bar ends full and green. done: how many
    items were done, when the item the loop broke out in counts (tqdm does not count it).
    """
    if done is not None:
        bar.n = done
    if bar.total and bar.n < bar.total:
        bar.total = bar.n
    bar.close()  # nothing happens if leaving the loop closed it already
    container = getattr(bar, "container", None)  # the notebook bar: (label, bar, text)
    if container is not None:
        widget = container.children[1]
        widget.max, widget.bar_style = bar.total or widget.max, ""  # "" lets success replace red
        bar.display(bar_style="success")  # redraws the text with the new total too
