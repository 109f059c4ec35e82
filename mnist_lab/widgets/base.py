"""What every panel shares: live widget or static figure, built on first use (mnist_lab.widgets)."""

from __future__ import annotations

import os

import ipywidgets as w
from matplotlib.figure import Figure

from mnist_lab.figures import png_bytes

WIDGETS_ENV = "MNIST_LAB_WIDGETS"  # "static": show figures, never widgets
STATIC = "static"
CSS_PREFIX = "mnist-lab-"  # every panel's outer box has the class mnist-lab-<kind>
# Labels as wide as their text: ipywidgets' default cuts a description after ~12 characters
# ("learning r…", "warm-up st…").
LABEL = {"description_width": "initial"}


def interactive() -> bool:
    """Whether to show live widgets: False under MNIST_LAB_WIDGETS=static (lesson 01)."""
    return os.environ.get(WIDGETS_ENV, "").strip().lower() != STATIC


class Panel:
    """Shared machinery: the widget is built on first use; static mode shows `figure()` only."""

    kind = ""  # CSS class suffix: mnist-lab-<kind>

    _widget: w.Widget | None = None

    def figure(self) -> Figure:
        """The picture of the current state."""
        raise NotImplementedError

    def static_figure(self) -> Figure:
        """What a page without widgets shows: the current state unless a panel knows better."""
        return self.figure()

    def _build(self) -> w.Widget:
        raise NotImplementedError

    @property
    def widget(self) -> w.Widget:
        """The live panel (built on first access)."""
        if self._widget is None:
            self._widget = self._build()
            self._widget.add_class(CSS_PREFIX + self.kind)
        return self._widget

    @property
    def built(self) -> bool:
        """Whether the widgets exist (they are only built when shown or touched)."""
        return self._widget is not None

    def show(self) -> w.Widget | Figure:
        """The live widget, or in static mode the static Figure."""
        return self.widget if interactive() else self.static_figure()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.show())


def image(fig: Figure, css: str) -> w.Image:
    """An ipywidgets Image showing `fig`, with the CSS class mnist-lab-<css>."""
    picture = w.Image(value=png_bytes(fig), format="png")
    picture.add_class(CSS_PREFIX + css)
    return picture
