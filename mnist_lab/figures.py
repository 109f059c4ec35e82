"""The pictures the interactive widgets show (mnist_lab.widgets), as plain matplotlib Figures.

Each widget redraws one of these when its state changes and shows it as a PNG; without a widget
frontend (the course pages, nbval) the same Figure is the output. Like mnist_lab.plots, every
function builds a new `Figure` with the object API and never touches pyplot.

- `explorer_figure` (lesson 01): a digit beside its ten outputs.
- `drawing_figure` (lessons 01, 06): a drawing, its MNIST-style preprocessing, the outputs.
- `experiment_figure` (lesson 06): loss curves and validation accuracy of several runs.
- `schedule_figure` (lesson 10): a learning-rate schedule over a run.
- `augmentation_figure` (lesson 13): originals and augmented copies.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

RIGHT, WRONG = "black", "red"


def png_bytes(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes, for an ipywidgets.Image (lesson 01)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def run_colour(number: int) -> str:
    """One colour per run number, the same in every plot of the experiment panel (lesson 06)."""
    return f"C{(number - 1) % 10}"


def _bars(ax: Any, values: np.ndarray, label: int | None) -> None:
    """Ten outputs as bars from 0 to 1; the true label's bar (if known) in orange."""
    colours = ["C1" if k == label else "C0" for k in range(len(values))]
    ax.bar(range(len(values)), values, color=colours)
    ax.set_xticks(range(len(values)))
    ax.set_ylim(0, 1)
    ax.set_xlabel("class")


def explorer_figure(image: Any, outputs: Any, label: int, index: int | None = None) -> Figure:
    """One digit beside its ten outputs as bars, the true label's bar in orange (lesson 01)."""
    values = np.asarray(outputs, dtype=float).ravel()
    fig = Figure(figsize=(8, 2.8), layout="constrained")
    digit_ax, bars_ax = fig.subplots(1, 2, width_ratios=(1, 2.6))
    digit_ax.imshow(np.asarray(image, dtype=float).reshape(28, 28), cmap="gray_r")
    digit_ax.axis("off")
    digit_ax.set_title(f"test image {index}" if index is not None else "image")
    _bars(bars_ax, values, label)
    bars_ax.set_ylabel("output")
    pred = int(values.argmax())
    verdict = "right" if pred == label else "WRONG"
    bars_ax.set_title(f"true label {label}, predicted {pred} ({verdict})",
                      color=RIGHT if pred == label else WRONG)
    return fig


def drawing_figure(raw: Any, box: Any, final: Any, outputs: Mapping[str, Any]) -> Figure:
    """A drawing, its cropped 20×20 box and the 28×28 input, then each network's outputs.

    raw/box/final: images with ink in [0, 1], or None before anything is drawn; outputs: name →
    ten scores (lessons 01 and 06).
    """
    fig = Figure(figsize=(3.3 + 3.2 * max(1, len(outputs)), 2.6), layout="constrained")
    ratios = (1, 1, 1, *([2.6] * max(1, len(outputs))))
    axes = fig.subplots(1, len(ratios), width_ratios=ratios)
    titles = ("your drawing", "cropped, 20×20", "centred, 28×28")
    for ax, image, title in zip(axes[:3], (raw, box, final), titles):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
        if image is not None:
            ax.imshow(np.asarray(image, dtype=float), cmap="gray_r", vmin=0, vmax=1)
    if raw is None:
        axes[0].text(0.5, 0.5, "draw a digit", ha="center", va="center", color="gray",
                     transform=axes[0].transAxes)
    for ax, (name, values) in zip(axes[3:], outputs.items()):
        if values is None:
            ax.set_ylim(0, 1)
            ax.set_title(name, fontsize=9)
            continue
        values = np.asarray(values, dtype=float).ravel()
        _bars(ax, values, None)
        ax.set_title(f"{name}: {int(values.argmax())}", fontsize=10)
    axes[3].set_ylabel("output")
    return fig


def experiment_figure(runs: Sequence[Any], total_steps: int | None = None,
                      epochs: int | None = None) -> Figure:
    """Loss curves (left) and validation accuracy per epoch (right) of the panel's runs.

    runs: PanelRun-like objects (number, steps, losses, val_acc, diverged). Each run keeps its
    colour in both plots. total_steps/epochs fix the x-axes to the whole of the latest run, so
    its first point does not sit alone in the middle of a tiny axis (lesson 06).
    """
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    for run in runs:
        colour, alpha = run_colour(run.number), 1.0 if run is runs[-1] else 0.45
        label = f"run {run.number}" + (" (diverged)" if getattr(run, "diverged", False) else "")
        losses = np.asarray(run.losses, dtype=float)
        finite = np.isfinite(losses)
        if finite.any():
            loss_ax.plot(np.asarray(run.steps)[finite], losses[finite], color=colour,
                         alpha=alpha, marker="." if finite.sum() < 3 else None, label=label)
        if run.val_acc:
            acc_ax.plot(range(1, len(run.val_acc) + 1), run.val_acc, "o-", color=colour,
                        alpha=alpha, label=label)
    loss_ax.set(xlabel="step", ylabel="mini-batch loss", title="training loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
    if total_steps:
        loss_ax.set_xlim(0, total_steps)
    loss_ax.set_ylim(bottom=0)
    if epochs:
        acc_ax.set_xlim(0.5, epochs + 0.5)
        acc_ax.set_xticks(range(1, epochs + 1))
    for ax, corner in ((loss_ax, "upper right"), (acc_ax, "lower right")):
        ax.grid(True, alpha=0.3)
        if ax.lines:  # where the curves are not ("best" would search the data: slow)
            ax.legend(fontsize=8, loc=corner)
    return fig


def schedule_figure(curve: np.ndarray, epochs: int, steps_per_epoch: int, name: str,
                    base_lr: float) -> Figure:
    """A schedule's learning rate per step, epoch boundaries in grey (lesson 10)."""
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(len(curve)), curve, color="C0")
    for epoch in range(1, epochs):
        ax.axvline(epoch * steps_per_epoch, color="gray", linewidth=0.5, alpha=0.5)
    ax.set_xlabel(f"step ({epochs} epochs × {steps_per_epoch} steps)")
    ax.set_ylabel("learning rate")
    ax.set_ylim(bottom=0)
    ax.set_title(f"schedule {name!r}, base lr {base_lr:g}")
    ax.grid(True, alpha=0.3)
    return fig


def augmentation_figure(rows: Sequence[Any]) -> Figure:
    """A grid: originals on top, one row per augmented copy; rows of (n, 28, 28) (lesson 13)."""
    n = len(rows[0])
    fig = Figure(figsize=(1.1 * n, 1.15 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, row in enumerate(rows):
        for k, ax in enumerate(axes[r]):
            ax.imshow(np.asarray(row[k]), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel("original" if r == 0 else f"copy {r}", fontsize=8)
    return fig


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Mini-batches in one pass over `samples` (the last one may be smaller)."""
    return math.ceil(samples / batch_size)


__all__ = ["augmentation_figure", "drawing_figure", "experiment_figure", "explorer_figure",
           "png_bytes", "run_colour", "schedule_figure", "steps_per_epoch"]
