"""Draw a digit and watch the network answer (lessons 01, 06).

The canvas is an anywidget: about 80 lines of JavaScript (draw.js) on the standard browser
canvas, with pointer events for mouse, touch and pen. anywidget rather than ipycanvas because
the stroke is drawn in the browser as the pointer moves, with no round trip to the kernel per
mouse event (ipycanvas sends every event to Python and draws from there, which lags while the
kernel is busy), and because anywidget needs no build step: the front end is one plain ES module
in the package, synced with Python through one traitlet (`strokes`).

The strokes become an input with mnist_lab.preprocess, exactly as MNIST's digits were made; the
panel shows each stage and every network's ten outputs, updated while drawing and on release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import anywidget
import ipywidgets as w
import torch
import traitlets
from matplotlib.figure import Figure
from torch import nn

from mnist_lab import metrics
from mnist_lab.figures import drawing_figure, png_bytes
from mnist_lab.preprocess import MnistSteps, mnist_steps, strokes_to_image
from mnist_lab.widgets.base import Panel, image

SIZE = 280  # canvas pixels: ten per MNIST pixel
# A "7" drawn with a mouse: what pages without widgets show (a fixed example, not a blank).
EXAMPLE_SEVEN = [[(70, 62), (128, 58), (205, 60), (178, 118), (150, 178), (128, 236)],
                 [(118, 148), (190, 146)]]


class Canvas(anywidget.AnyWidget):
    """The drawing surface: `strokes` is a list of strokes, each a list of [x, y] points."""

    _esm = Path(__file__).with_name("draw.js")
    strokes = traitlets.List().tag(sync=True)
    size = traitlets.Int(SIZE).tag(sync=True)


class DigitDrawing(Panel):
    """A drawing, its MNIST-style input and the outputs of one or two networks (lessons 01, 06)."""

    kind = "draw-digit"

    def __init__(self, models: Mapping[str, nn.Module], strokes: Sequence = (),
                 size: int = SIZE) -> None:
        if not 1 <= len(models) <= 2:
            raise ValueError(f"draw_digit shows one or two networks side by side, got "
                             f"{len(models)}: pass a model or {{'name': model, 'other': model}}")
        self.models, self.size = dict(models), size
        self.strokes: list[list[list[float]]] = []
        self.set_strokes(strokes)

    @property
    def steps(self) -> MnistSteps | None:
        """Each stage of the preprocessing, or None while nothing is drawn."""
        if not any(self.strokes):
            return None
        return mnist_steps(strokes_to_image(self.strokes, self.size))

    def outputs(self) -> dict[str, torch.Tensor | None]:
        """Each network's ten outputs for the drawing (None while nothing is drawn)."""
        steps = self.steps
        if steps is None:
            return dict.fromkeys(self.models)
        x = steps.final.reshape(1, 784)
        return {name: metrics.predict_proba(model, x)[0].detach().float().cpu()
                for name, model in self.models.items()}

    def predictions(self) -> dict[str, int | None]:
        """Each network's answer: the digit with the largest output (None if nothing drawn)."""
        return {name: None if out is None else int(out.argmax())
                for name, out in self.outputs().items()}

    def set_strokes(self, strokes: Sequence) -> None:
        """Replace the drawing: a list of strokes, each a list of (x, y) canvas points."""
        self.strokes = [[[float(x), float(y)] for x, y in stroke] for stroke in strokes]
        if self.built:
            if self.canvas.strokes != self.strokes:
                self.canvas.strokes = self.strokes
            self._redraw()

    def undo(self) -> None:
        """Remove the last stroke."""
        self.set_strokes(self.strokes[:-1])

    def clear(self) -> None:
        """Remove every stroke."""
        self.set_strokes([])

    def figure(self) -> Figure:
        """The drawing, its 20×20 box, the 28×28 input and each network's outputs."""
        steps, outputs = self.steps, self.outputs()
        if steps is None:
            return drawing_figure(None, None, None, outputs)
        return drawing_figure(steps.raw, steps.box, steps.final, outputs)

    def static_figure(self) -> Figure:
        """Without a canvas to draw on, show a worked example: a "7" from a fixed stroke."""
        if not any(self.strokes):
            self.set_strokes(EXAMPLE_SEVEN)
        return self.figure()

    def answer_html(self) -> str:
        """The networks' answers in words, e.g. "baseline says 7 (output 0.91)"."""
        outputs = self.outputs()
        if all(out is None for out in outputs.values()):
            return "Draw a digit in the box: hold the mouse button (or a finger) down and move."
        return " · ".join(f"<b>{name}</b> says <b>{int(out.argmax())}</b> "
                          f"(output {float(out.max()):.2f})" for name, out in outputs.items())

    # -- widgets --

    def _build(self) -> w.Widget:
        self.canvas = Canvas(strokes=self.strokes, size=self.size)
        self.canvas.observe(self._on_canvas, names="strokes")
        self.undo_button = w.Button(description="Undo", icon="undo")
        self.clear_button = w.Button(description="Clear", icon="trash")
        self.undo_button.on_click(lambda _: self.undo())
        self.clear_button.on_click(lambda _: self.clear())
        self.answer = w.HTML(self.answer_html())
        self.answer.add_class("mnist-lab-draw-answer")
        self.image = image(self.figure(), "draw-image")
        left = w.VBox([self.canvas, w.HBox([self.undo_button, self.clear_button])])
        return w.VBox([w.HBox([left, self.image]), self.answer])

    def _on_canvas(self, change: dict) -> None:
        if change["new"] != self.strokes:  # not the echo of set_strokes' own change
            self.set_strokes(change["new"])

    def _redraw(self) -> None:
        self.image.value = png_bytes(self.figure())
        self.answer.value = self.answer_html()


def draw_digit(models: nn.Module | Mapping[str, nn.Module], *,
               strokes: Sequence = ()) -> DigitDrawing:
    """Draw a digit with the mouse or a finger and see what the network(s) make of it.

    models: one trained network, or up to two as {"name": model} to compare them on the same
    drawing (lesson 06). strokes: a starting drawing, lists of (x, y) points on a 280×280
    canvas. Pages without widgets show an example "7".
    """
    named = {"network": models} if isinstance(models, nn.Module) else models
    return DigitDrawing(named, strokes)
