"""Plots for the lessons: losses, learning curves, confusions, digits, outputs, comparisons.

Each function draws a new `matplotlib.figure.Figure` with the object API and returns it; none
calls pyplot. So nothing global changes, a figure returned as a notebook cell's result is shown
exactly once, and tests can look at the artists. Save one with `fig.savefig(path)`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

RIGHT, WRONG = "black", "red"


def _figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1) -> tuple[Figure, Any]:
    """A figure and its (nrows, ncols) array of axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _numpy(values: Any) -> np.ndarray:
    """Tensors (on any device), arrays and lists as a NumPy array."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def plot_loss(
    losses: Any,
    every: int = 10,
    smooth: int | None = None,
    ylim: tuple[float, float] | None = (0.0, 1.0),
) -> Figure:
    """The recorded losses, raw like the book (faint dots, y from 0 to 1) (lesson 01).

    losses: a History (its step_losses) or a sequence of losses recorded every `every` steps.
    smooth: overlay a moving average over this many points, which shows the trend under the noise.
    """
    if hasattr(losses, "step_losses"):
        x, y = _numpy(losses.steps), _numpy(losses.step_losses)
    else:
        y = _numpy(losses).ravel()
        x = every * np.arange(1, len(y) + 1)
    fig, axes = _figure((10, 4))
    ax = axes[0, 0]
    ax.plot(x, y, marker=".", alpha=0.1, label="loss")
    if smooth and len(y) >= smooth:
        mean = np.convolve(y, np.ones(smooth) / smooth, mode="valid")  # point k: y[k..k+smooth)
        ax.plot(x[smooth - 1 :], mean, color="C1", label=f"mean of {smooth}")
        ax.legend()
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(True)
    return fig


def _curve(ax: Axes, train: Sequence[float], val: Sequence[float], name: str) -> None:
    for values, label in ((train, "train"), (val, "validation")):
        if len(values):
            ax.plot(range(1, len(values) + 1), values, marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    ax.grid(True)
    ax.legend()


def plot_curves(history: Any) -> Figure:
    """Learning curves: train and validation loss (left) and accuracy (right) (lesson 09)."""
    fig, axes = _figure((10, 4), 1, 2)
    _curve(axes[0, 0], history.train_loss, history.val_loss, "loss")
    _curve(axes[0, 1], history.train_acc, history.val_acc, "accuracy")
    return fig


def plot_confusion(cm: Any, class_names: Sequence[str] | None = None) -> Figure:
    """The confusion matrix as a heat map of counts; rows true, columns predicted (lesson 18)."""
    counts = _numpy(cm)
    n = len(counts)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    fig, axes = _figure((6, 6))
    ax = axes[0, 0]
    ax.imshow(counts, cmap="Blues")
    dark = counts.max() / 2
    for i in range(n):
        for j in range(n):
            colour = "white" if counts[i, j] > dark else "black"
            ax.text(j, i, f"{counts[i, j]:g}", ha="center", va="center", color=colour, fontsize=8)
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig


def plot_image_grid(
    images: Any, labels: Any, preds: Any = None, n: int = 16, ncols: int = 8
) -> Figure:
    """The first n digits with their labels; with preds, "pred (true)" in red for mistakes.

    images: (N, 784) or (N, 28, 28), any scale (lesson 00; mistakes in lesson 09).
    """
    if len(images) == 0:
        raise ValueError("no images to show")
    pictures = _numpy(images)[:n].reshape(-1, 28, 28)
    labels = _numpy(labels)[:n]
    preds = None if preds is None else _numpy(preds)[:n]
    n = len(pictures)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = _figure((1.2 * ncols, 1.4 * nrows), nrows, ncols)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(pictures[k], cmap="gray_r")
        if preds is None:
            ax.set_title(str(labels[k]), fontsize=9)
        else:
            wrong = preds[k] != labels[k]
            title = f"{preds[k]} ({labels[k]})" if wrong else str(preds[k])
            ax.set_title(title, fontsize=9, color=WRONG if wrong else RIGHT)
    return fig


def plot_outputs(outputs: Any, label: int | None = None) -> Figure:
    """The network's outputs for one image as bars, y from 0 to 1, like the book (lesson 01).

    The bar of the true `label`, if given, is drawn in another colour.
    """
    values = _numpy(outputs).ravel()
    colours = ["C1" if k == label else "C0" for k in range(len(values))]
    fig, axes = _figure((6, 3))
    ax = axes[0, 0]
    ax.bar(range(len(values)), values, color=colours)
    ax.set_xticks(range(len(values)))
    ax.set_ylim(0, 1)
    ax.set_xlabel("class")
    ax.set_ylabel("output")
    if label is not None:
        ax.set_title(f"true label {label}, predicted {int(values.argmax())}")
    return fig


def plot_comparison(
    results: Mapping[str, Any],
    reference: Mapping[str, float] | float | None = None,
    metric: str = "val_acc",
    ylabel: str = "accuracy",
) -> Figure:
    """Bars of one number per run, e.g. our accuracy against the book's (lessons 05, 10).

    results: name → number, or name → History (its last `metric` value is used).
    reference: name → number, drawn as a second bar beside each run, or one number drawn as a
    horizontal line.
    """
    names = list(results)
    ours = [v if isinstance(v, numbers.Real) else getattr(v, metric)[-1] for v in results.values()]
    fig, axes = _figure((8, 4))
    ax = axes[0, 0]
    positions = np.arange(len(names))
    if isinstance(reference, Mapping):
        width = 0.4
        bars = ax.bar(positions - width / 2, ours, width, label="ours")
        ax.bar_label(bars, fmt="%.3g", fontsize=8)
        shared = [k for k, name in enumerate(names) if name in reference]
        theirs = [reference[names[k]] for k in shared]
        ref_bars = ax.bar(positions[shared] + width / 2, theirs, width, label="reference")
        ax.bar_label(ref_bars, fmt="%.3g", fontsize=8)
        ax.legend()
    else:
        bars = ax.bar(positions, ours)
        ax.bar_label(bars, fmt="%.3g", fontsize=8)
        if reference is not None:
            ax.axhline(reference, color="C3", linestyle="--", label="reference")
            ax.legend()
    ax.set_xticks(positions, names, rotation=20)
    ax.set_ylabel(ylabel)
    return fig


def grouped_bars(ax: Axes, series: Mapping[str, Any], labels: Sequence[Any],
                 value_fmt: str | None = None) -> None:
    """Side-by-side bars on `ax`: one group per label, one coloured bar per series, with a legend
    entry each (lessons 00, 13, 18). series: name → one value per label; value_fmt such as
    "%.3f" writes each bar's value above it."""
    positions = np.arange(len(labels))
    width = 0.8 / len(series)  # the group fills 80% of the space between labels
    for k, (name, values) in enumerate(series.items()):
        values = _numpy(values)
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
        offset = (k - (len(series) - 1) / 2) * width  # centre the group on its label
        bars = ax.bar(positions + offset, values, width, label=name)
        if value_fmt is not None:
            ax.bar_label(bars, fmt=value_fmt, fontsize=7)
    ax.set_xticks(positions, [str(label) for label in labels])
