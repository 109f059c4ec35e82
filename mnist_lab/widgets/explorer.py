"""The prediction explorer (lesson 01): a test image, the network's ten outputs, the label."""

from __future__ import annotations

import ipywidgets as w
import torch
from matplotlib.figure import Figure
from torch import nn

from mnist_lab import metrics
from mnist_lab.figures import explorer_figure, png_bytes
from mnist_lab.widgets.base import CSS_PREFIX, LABEL, Panel, image


class PredictionExplorer(Panel):
    """Walk through test images: the digit, the network's ten outputs and the label (lesson 01).

    `index` is the shown test image. The slider walks all images by their index (0-based, as
    in the data set), or with `mistakes_only` only the misclassified ones, numbered from 1 as
    the caption says ("mistake 3 of 1,325").
    """

    kind = "prediction-explorer"

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, outputs: torch.Tensor,
                 index: int = 0) -> None:
        self.images = images.detach().float().cpu().reshape(len(images), -1)  # (N, 784)
        self.labels = labels.detach().cpu().long()  # (N,)
        self.outputs = outputs  # (N, C) scores in [0, 1], on the CPU
        self.preds = outputs.argmax(dim=1)  # (N,)
        self.mistakes = (self.preds != self.labels).nonzero().flatten().tolist()
        self.mistakes_only = False
        self.index = _check_index(index, len(self.images))
        self._syncing = False  # True while the slider is moved to match the state

    @property
    def walk(self) -> list[int]:
        """The image indices the slider steps through."""
        return self.mistakes if self.mistakes_only else list(range(len(self.images)))

    @property
    def position(self) -> int:
        """The slider's value for the shown image: its index, or its mistake number from 1."""
        return self.mistakes.index(self.index) + 1 if self.mistakes_only else self.index

    @property
    def label(self) -> int:
        """The true label of the shown image."""
        return int(self.labels[self.index])

    @property
    def prediction(self) -> int:
        """The network's answer for the shown image: the argmax of its outputs."""
        return int(self.preds[self.index])

    def figure(self) -> Figure:
        """The shown image and its outputs."""
        return explorer_figure(self.images[self.index], self.outputs[self.index], self.label,
                               self.index)

    def select(self, index: int) -> None:
        """Show test image `index` (in mistakes-only mode it must be a mistake)."""
        index = _check_index(index, len(self.images))
        if self.mistakes_only and index not in self.mistakes:
            raise ValueError(f"image {index} is classified correctly; turn off mistakes only")
        self.index = index
        if self.built:
            self._sync_widgets()

    def show_mistakes_only(self, on: bool = True) -> None:
        """Walk only the misclassified images; jumps to the first mistake at or after `index`."""
        if on and not self.mistakes:
            raise ValueError("the network makes no mistakes on these images: nothing to show")
        self.mistakes_only = on
        if on and self.index not in self.mistakes:
            later = [i for i in self.mistakes if i >= self.index]
            self.index = later[0] if later else self.mistakes[0]
        if self.built:
            self._sync_widgets()

    # -- widgets --

    def _build(self) -> w.Widget:
        self.slider = w.IntSlider(value=self.index, min=0, max=len(self.images) - 1,
                                  description="test image", continuous_update=False, style=LABEL)
        self.slider.add_class(CSS_PREFIX + "explorer-slider")
        self.toggle = w.ToggleButton(value=False, description="show mistakes only",
                                     icon="filter", disabled=not self.mistakes,
                                     layout=w.Layout(width="auto"))  # the label fits
        self.caption = w.HTML()
        self.image = image(self.figure(), "explorer-image")
        self._set_caption()
        self.slider.observe(self._on_slider, names="value")
        self.toggle.observe(self._on_toggle, names="value")
        return w.VBox([w.HBox([self.slider, self.toggle]), self.caption, self.image])

    def _on_slider(self, change: dict) -> None:
        if self._syncing:
            return
        self.index = self.walk[change["new"] - self.slider.min]
        self._redraw()

    def _on_toggle(self, change: dict) -> None:
        if not self._syncing:
            self.show_mistakes_only(bool(change["new"]))

    def _sync_widgets(self) -> None:
        """Put the slider's range and position in line with the state, then redraw.

        Changing the range clamps the slider's value; the observer must not take that clamped
        value for a student's move (it used to jump to the last mistake), so it is muted until
        the slider shows the state, notifications included.
        """
        self._syncing = True
        try:
            first = 1 if self.mistakes_only else 0
            last = len(self.walk) - 1 + first
            with self.slider.hold_trait_notifications():
                # checked against each other only when the block ends, so any order works
                self.slider.min, self.slider.max = first, last
                self.slider.value = self.position
                self.slider.description = "mistake" if self.mistakes_only else "test image"
            self.toggle.value = self.mistakes_only
        finally:
            self._syncing = False
        self._redraw()

    def _redraw(self) -> None:
        self.image.value = png_bytes(self.figure())
        self._set_caption()

    def _set_caption(self) -> None:
        where = (f"mistake {self.position} of {len(self.mistakes)}, "
                 if self.mistakes_only else "")
        self.caption.value = (f"{where}test image <b>{self.index}</b>: true label "
                              f"<b>{self.label}</b>, predicted <b>{self.prediction}</b>")


def _check_index(index: int, n: int) -> int:
    if not 0 <= index < n:
        raise ValueError(f"index must be between 0 and {n - 1} (there are {n} images), got {index}")
    return int(index)


def prediction_explorer(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *,
                        index: int = 19) -> PredictionExplorer:
    """Explore a trained model's outputs image by image; 19 is the book's record (lesson 01).

    images (N, 784) or (N, 28, 28) scaled like the training data, labels (N,). Sigmoid outputs
    are drawn as they are; a model with logits (output_activation="none") gets softmax.
    """
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"need as many images as labels, > 0; got {len(images)} and {len(labels)}")
    x = images.reshape(len(images), -1).float()
    scores = metrics.predict_proba(model, x).detach().float().cpu()
    return PredictionExplorer(images, labels, scores, index)
