"""Interactive explorers for the lessons: predictions, experiments, schedules, augmentation.

Each builder returns an object that shows itself in a notebook. With a widget frontend
(JupyterLab, Notebook 7) it is a live ipywidgets panel: sliders, dropdowns and buttons redraw a
picture. Without one it degrades to a static matplotlib Figure, the picture the widget shows in
its initial state. The environment variable MNIST_LAB_WIDGETS=static picks the static form; the
test suite and the lesson builder set it, so nbval compares stable figures, not widget models
whose ids are random. `interactive()` is the one place that decides.

- `prediction_explorer` (lesson 01): a test image, the network's ten outputs and the true label.
- `experiment_panel` (lesson 06): pick a loss, activation, optimiser, norm, LR and epochs, train
  in a background thread with a live loss curve, compare the runs in a table.
- `schedule_preview` (lesson 09): a learning-rate schedule's curve as its parameters change.
- `augmentation_preview` (lesson 12): originals and augmented digits as the ranges change.

Every object keeps its state (index, settings, config) apart from the widgets, which are built
on first use of `.widget`; tests set widget values and read that state without a frontend.
"""

from __future__ import annotations

import dataclasses
import html
import io
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from mnist_lab import metrics
from mnist_lab.augment import AugmentConfig, augment
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.losses import LOSSES
from mnist_lab.models import ACTIVATIONS, MLP, NORMS, MLPConfig
from mnist_lab.optim import DEFAULT_LR, OPTIMIZERS, OptimConfig
from mnist_lab.schedules import SCHEDULES, ScheduleConfig, lr_at
from mnist_lab.train import Callback, TrainConfig, TrainState, fit

WIDGETS_ENV = "MNIST_LAB_WIDGETS"  # "static": show figures, never widgets
STATIC = "static"
CSS_PREFIX = "mnist-lab-"  # every panel's outer box has the class mnist-lab-<kind>


def interactive() -> bool:
    """Whether to show live widgets: False under MNIST_LAB_WIDGETS=static (lesson 01)."""
    return os.environ.get(WIDGETS_ENV, "").strip().lower() != STATIC


def png_bytes(fig: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes, for an ipywidgets.Image (lesson 01)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class _Panel:
    """Shared machinery: the widget is built on first use; static mode shows `figure()` only."""

    kind = ""  # CSS class suffix: mnist-lab-<kind>

    _widget: w.Widget | None = None

    def figure(self) -> Figure:
        """The picture of the current state."""
        raise NotImplementedError

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
        """The live widget, or in static mode the Figure of the current state."""
        return self.widget if interactive() else self.figure()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.show())


def _image(fig: Figure, css: str) -> w.Image:
    image = w.Image(value=png_bytes(fig), format="png")
    image.add_class(CSS_PREFIX + css)
    return image


# ---- prediction explorer (lesson 01) ----


def _scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The ten scores to draw as bars, in [0, 1]: sigmoid outputs as they are, logits softmaxed."""
    return metrics.predict_proba(model, x).detach().float().cpu()


def explorer_figure(image: Any, outputs: Any, label: int, index: int | None = None) -> Figure:
    """One digit beside its ten outputs as bars, the true label's bar in orange (lesson 01)."""
    values = np.asarray(outputs, dtype=float).ravel()
    fig = Figure(figsize=(8, 2.8), layout="constrained")
    digit_ax, bars_ax = fig.subplots(1, 2, width_ratios=(1, 2.6))
    digit_ax.imshow(np.asarray(image, dtype=float).reshape(28, 28), cmap="gray_r")
    digit_ax.axis("off")
    digit_ax.set_title(f"test image {index}" if index is not None else "image")
    colours = ["C1" if k == label else "C0" for k in range(len(values))]
    bars_ax.bar(range(len(values)), values, color=colours)
    bars_ax.set_xticks(range(len(values)))
    bars_ax.set_ylim(0, 1)
    bars_ax.set_xlabel("class")
    bars_ax.set_ylabel("output")
    pred = int(values.argmax())
    verdict = "right" if pred == label else "WRONG"
    bars_ax.set_title(f"true label {label}, predicted {pred} ({verdict})",
                      color="black" if pred == label else "red")
    return fig


class PredictionExplorer(_Panel):
    """Walk through test images: the digit, the network's ten outputs and the label (lesson 01).

    `index` is the shown test image. The slider walks all images, or with `mistakes_only` only
    the misclassified ones (its value is then a position in `mistakes`).
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

    @property
    def walk(self) -> list[int]:
        """The image indices the slider steps through."""
        return self.mistakes if self.mistakes_only else list(range(len(self.images)))

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
            self.slider.value = self.walk.index(index)  # redraws through the observer

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
                                  description="test image", continuous_update=False)
        self.slider.add_class(CSS_PREFIX + "explorer-slider")
        self.toggle = w.ToggleButton(value=False, description="show mistakes only",
                                     icon="filter", disabled=not self.mistakes)
        self.caption = w.HTML()
        self.image = _image(self.figure(), "explorer-image")
        self._set_caption()
        self.slider.observe(self._on_slider, names="value")
        self.toggle.observe(self._on_toggle, names="value")
        controls = w.HBox([self.slider, self.toggle])
        return w.VBox([controls, self.caption, self.image])

    def _on_slider(self, change: dict) -> None:
        self.index = self.walk[change["new"]]
        self._redraw()

    def _on_toggle(self, change: dict) -> None:
        self.show_mistakes_only(bool(change["new"]))

    def _sync_widgets(self) -> None:
        """Put the slider's range and position in line with the state, then redraw."""
        walk = self.walk
        with self.slider.hold_trait_notifications():
            self.slider.unobserve(self._on_slider, names="value")
            self.slider.max = len(walk) - 1
            self.slider.value = walk.index(self.index)
            self.slider.description = "mistake" if self.mistakes_only else "test image"
            self.slider.observe(self._on_slider, names="value")
        self.toggle.value = self.mistakes_only
        self._redraw()

    def _redraw(self) -> None:
        self.image.value = png_bytes(self.figure())
        self._set_caption()

    def _set_caption(self) -> None:
        where = (f"mistake {self.mistakes.index(self.index) + 1} of {len(self.mistakes)}, "
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
    return PredictionExplorer(images, labels, _scores(model, x), index)


# ---- experiment panel (lesson 06) ----

HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "none")


@dataclass(frozen=True)
class PanelSettings:
    """The experiment panel's choices; the defaults are the book's combined network (lesson 06)."""

    loss: str = "bce"
    activation: str = "leaky_relu"
    optimizer: str = "adam"
    norm: str = "layer"
    lr: float = 1e-3
    epochs: int = 3

    def __post_init__(self) -> None:
        for name, allowed in (("loss", LOSSES), ("activation", HIDDEN_ACTIVATIONS),
                              ("optimizer", OPTIMIZERS), ("norm", NORMS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {allowed}")
        if not self.lr > 0 or self.epochs < 1:
            raise ValueError(f"need lr > 0 and epochs >= 1, got lr={self.lr}, epochs={self.epochs}")


@dataclass
class PanelRun:
    """One training run of the experiment panel: its settings and what it recorded."""

    number: int
    settings: PanelSettings
    steps: list[int] = field(default_factory=list)  # step numbers of `losses`
    losses: list[float] = field(default_factory=list)  # mini-batch loss every `every` steps
    val_acc: list[float] = field(default_factory=list)  # one per finished epoch
    seconds: float = 0.0
    stopped: bool = False  # ended by the Stop button
    error: str | None = None  # what went wrong, e.g. the loss diverged

    def row(self) -> dict[str, Any]:
        """The run as one row of the comparison table."""
        s = self.settings
        return {"run": self.number, "loss": s.loss, "activation": s.activation,
                "optimiser": s.optimizer, "norm": s.norm, "lr": f"{s.lr:.2g}",
                "epochs": f"{len(self.val_acc)}/{s.epochs}",
                "val acc": f"{self.val_acc[-1]:.2%}" if self.val_acc else "–",
                "time": f"{self.seconds:.1f} s",
                "note": self.error or ("stopped" if self.stopped else "")}


class _StopTraining(Exception):
    """Raised inside fit by the panel's callback when Stop was pressed."""


class _Live(Callback):
    """Records the loss every `every` steps into a PanelRun and asks the panel to redraw."""

    def __init__(self, panel: ExperimentPanel, run: PanelRun, every: int) -> None:
        self.panel, self.run, self.every = panel, run, every

    def on_step_end(self, state: TrainState) -> None:
        if self.panel._stop.is_set():
            raise _StopTraining
        if state.step % self.every == 0:
            self.run.steps.append(state.step)
            self.run.losses.append(float(state.loss))  # one host sync every `every` steps
            self.panel._redraw(throttle=True)

    def on_epoch_end(self, state: TrainState) -> None:
        self.run.val_acc.append(state.history.val_acc[-1])
        self.panel._redraw()


class ExperimentPanel(_Panel):
    """Train small networks with chosen settings and compare the runs (lesson 06).

    `run(wait=True)` trains in the calling thread; `run()` in a background thread, one run at a
    time, so the notebook stays responsive; `stop()` ends a run at its next step.
    """

    kind = "experiment-panel"

    def __init__(self, data: Splits | None = None, *, train_size: int = 5_000,
                 val_size: int = 2_000, hidden: int = 100, batch_size: int = 128,
                 every: int = 5, seed: int = 0, device: str | None = None) -> None:
        self._data, self.train_size, self.val_size = data, train_size, val_size
        self.hidden, self.batch_size, self.every = hidden, batch_size, every
        self.seed, self.device = seed, device
        self.settings = PanelSettings()
        self.runs: list[PanelRun] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_draw = 0.0

    @property
    def running(self) -> bool:
        """Whether a background run is under way."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def table(self) -> list[dict[str, Any]]:
        """The comparison table: one row per run."""
        return [run.row() for run in self.runs]

    def configs(self, settings: PanelSettings | None = None) -> tuple[MLPConfig, TrainConfig]:
        """The network and training configs for `settings` (default: the current ones)."""
        s = settings or self.settings
        net = MLPConfig(sizes=(784, self.hidden, 10), hidden_activation=s.activation,
                        norm=s.norm,
                        output_activation="none" if s.loss == "cross_entropy" else "sigmoid")
        train = TrainConfig(epochs=s.epochs, batch_size=self.batch_size, loss=s.loss,
                            optim=OptimConfig(s.optimizer, lr=s.lr), log_every=self.every,
                            seed=self.seed, device=self.device, progress=False)
        return net, train

    def data(self) -> Splits:
        """The training and validation subsets (MNIST is loaded on the first run)."""
        if self._data is None:
            self._data = load_splits(val_size=10_000, device=self.device)
        full = self._data
        if full.train is None or full.val is None:
            raise ValueError("the panel needs Splits with .train and .val: "
                             "use mnist_lab.data.load_splits(val_size=10_000)")
        return Splits(_subset(full.train, self.train_size), _subset(full.val, self.val_size))

    def run(self, wait: bool = False) -> PanelRun:
        """Train one network with the current settings; the run is added to `runs`.

        wait=True trains here and returns when done; otherwise a background thread trains and
        this returns at once (`join()` waits for it).
        """
        if self.running:
            raise RuntimeError("a run is still going: wait for it or press Stop")
        record = PanelRun(len(self.runs) + 1, self.settings)
        self.runs.append(record)
        self._stop.clear()
        if wait:
            self._train(record)
        else:
            self._thread = threading.Thread(target=self._train, args=(record,), daemon=True)
            self._set_busy(True)
            self._thread.start()
        return record

    def stop(self) -> None:
        """Ask the current run to stop at its next step."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a background run to finish."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _train(self, record: PanelRun) -> None:
        start = time.perf_counter()
        try:
            net, config = self.configs(record.settings)
            torch.manual_seed(self.seed)  # the same initial weights for the same settings
            fit(MLP(net), self.data(), config, callbacks=[_Live(self, record, self.every)])
        except _StopTraining:
            record.stopped = True
        except (RuntimeError, ValueError) as err:  # e.g. TrainingDiverged: show it, keep going
            record.error = str(err).splitlines()[0]
        finally:
            record.seconds = time.perf_counter() - start
            self._set_busy(False)
            self._redraw()

    def figure(self) -> Figure:
        """Loss curves (left) and validation accuracy per epoch (right) of every run."""
        fig = Figure(figsize=(10, 3.4), layout="constrained")
        loss_ax, acc_ax = fig.subplots(1, 2)
        for run in self.runs:
            alpha = 1.0 if run is self.runs[-1] else 0.4
            if run.losses:
                loss_ax.plot(run.steps, run.losses, alpha=alpha, label=f"run {run.number}")
            if run.val_acc:
                acc_ax.plot(range(1, len(run.val_acc) + 1), run.val_acc, "o-", alpha=alpha,
                            label=f"run {run.number}")
        loss_ax.set(xlabel="step", ylabel="mini-batch loss", title="training loss")
        acc_ax.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
        if not self.runs:
            loss_ax.text(0.5, 0.5, "press Train to start a run", ha="center", va="center",
                         transform=loss_ax.transAxes, color="gray")
        for ax in (loss_ax, acc_ax):
            ax.grid(True, alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=8)
        return fig

    def table_html(self) -> str:
        """The comparison table as HTML."""
        rows = self.table
        if not rows:
            return "<i>no runs yet</i>"
        head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values())
                       + "</tr>" for row in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    # -- widgets --

    def _build(self) -> w.Widget:
        s = self.settings
        self.controls = {
            "loss": w.Dropdown(options=LOSSES, value=s.loss, description="loss"),
            "activation": w.Dropdown(options=HIDDEN_ACTIVATIONS, value=s.activation,
                                     description="activation"),
            "optimizer": w.Dropdown(options=OPTIMIZERS, value=s.optimizer, description="optimiser"),
            "norm": w.Dropdown(options=NORMS, value=s.norm, description="norm"),
            "lr": w.FloatLogSlider(value=s.lr, base=10, min=-5, max=1, step=0.1,
                                   description="learning rate", readout_format=".1e"),
            "epochs": w.IntSlider(value=s.epochs, min=1, max=10, description="epochs"),
        }
        for control in self.controls.values():
            control.observe(self._on_setting, names="value")
        self.train_button = w.Button(description="Train", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop",
                                    disabled=True)
        self.train_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self.status = w.HTML("ready")
        self.image = _image(self.figure(), "experiment-image")
        self.results = w.HTML(self.table_html())
        c = self.controls
        left = w.VBox([c["loss"], c["activation"], c["optimizer"], c["norm"]])
        right = w.VBox([c["lr"], c["epochs"], w.HBox([self.train_button, self.stop_button]),
                        self.status])
        return w.VBox([w.HBox([left, right]), self.image, self.results])

    def _on_setting(self, change: dict) -> None:
        name = next(k for k, c in self.controls.items() if c is change["owner"])
        self.settings = dataclasses.replace(self.settings, **{name: change["new"]})
        if name == "optimizer":  # each optimiser has its usual learning rate
            self.controls["lr"].value = DEFAULT_LR[change["new"]]

    def _set_busy(self, busy: bool) -> None:
        if self.built:
            self.train_button.disabled, self.stop_button.disabled = busy, not busy
            self.status.value = "training…" if busy else "ready"

    def _redraw(self, throttle: bool = False) -> None:
        """Redraw the picture and the table (at most twice a second while training)."""
        if not self.built or (throttle and time.perf_counter() - self._last_draw < 0.5):
            return
        self._last_draw = time.perf_counter()
        self.image.value = png_bytes(self.figure())
        self.results.value = self.table_html()


def _subset(pair: tuple[torch.Tensor, torch.Tensor], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A class-balanced subset of n samples, or the whole pair when it is not larger."""
    x, y = pair
    if len(y) <= n:
        return x, y
    keep = stratified_subset(y, n)
    return x[keep], y[keep]


def experiment_panel(data: Splits | None = None, **options: Any) -> ExperimentPanel:
    """A panel to train small networks with chosen settings and compare runs (lesson 06).

    data: Splits with .train and .val; None loads MNIST (50,000 / 10,000) on the first run.
    options: train_size (5,000), val_size (2,000), hidden (100), batch_size (128), every (5:
    record the loss every 5 steps), seed, device. Nothing trains until Train or `run()`.
    """
    return ExperimentPanel(data, **options)


# ---- schedule preview (lesson 09) ----


class SchedulePreview(_Panel):
    """A learning-rate schedule's curve over a run, redrawn as its parameters change (lesson 09)."""

    kind = "schedule-preview"

    def __init__(self, config: ScheduleConfig, base_lr: float, epochs: int,
                 steps_per_epoch: int) -> None:
        if epochs < 1 or steps_per_epoch < 1 or not base_lr > 0:
            raise ValueError("need epochs >= 1, steps_per_epoch >= 1 and base_lr > 0")
        self.base_lr, self.epochs, self.steps_per_epoch = base_lr, epochs, steps_per_epoch
        self.total_steps = epochs * steps_per_epoch
        self.config = config
        self.error: str | None = None  # why the last widget change was refused

    def curve(self) -> np.ndarray:
        """The learning rate of every step, (total_steps,)."""
        return np.array([lr_at(self.config, self.base_lr, s, self.total_steps)
                         for s in range(self.total_steps)])

    def figure(self) -> Figure:
        """The schedule: learning rate per step, epoch boundaries in grey."""
        fig = Figure(figsize=(8, 3), layout="constrained")
        ax = fig.subplots()
        ax.plot(np.arange(self.total_steps), self.curve(), color="C0")
        for epoch in range(1, self.epochs):
            ax.axvline(epoch * self.steps_per_epoch, color="gray", linewidth=0.5, alpha=0.5)
        ax.set_xlabel(f"step ({self.epochs} epochs × {self.steps_per_epoch} steps)")
        ax.set_ylabel("learning rate")
        ax.set_ylim(bottom=0)
        ax.set_title(f"schedule {self.config.name!r}, base lr {self.base_lr:g}")
        ax.grid(True, alpha=0.3)
        return fig

    # -- widgets --

    def _build(self) -> w.Widget:
        c, total = self.config, self.total_steps
        first, second = (list(c.milestones) + [total, total])[:2]
        self.controls = {
            "name": w.Dropdown(options=SCHEDULES, value=c.name, description="schedule"),
            "warmup_steps": w.IntSlider(value=min(c.warmup_steps, total), min=0, max=total,
                                        description="warm-up steps"),
            "milestones": w.IntRangeSlider(value=(min(first, total), min(second, total)),
                                           min=0, max=total, description="milestones"),
            "gamma": w.FloatSlider(value=c.gamma, min=0.01, max=1.0, step=0.01,
                                   description="gamma"),
            "min_lr_factor": w.FloatSlider(value=c.min_lr_factor, min=0.0, max=1.0, step=0.01,
                                           description="min lr ×"),
            "cycle_steps": w.IntSlider(value=min(c.cycle_steps or self.steps_per_epoch, total),
                                       min=1, max=total, description="cycle steps"),
            "max_lr_factor": w.FloatSlider(value=c.max_lr_factor, min=1.0, max=25.0, step=0.5,
                                           description="peak lr ×"),
            "pct_start": w.FloatSlider(value=c.pct_start, min=0.05, max=0.95, step=0.05,
                                       description="rising part"),
        }
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.status = w.HTML()
        self.image = _image(self.figure(), "schedule-image")
        self._show_relevant()
        return w.VBox([w.HBox([w.VBox(list(self.controls.values())), self.image]), self.status])

    def _on_change(self, change: dict) -> None:
        c = self.controls
        low, high = c["milestones"].value
        name = c["name"].value
        # only the chosen schedule's own step counts, so an unused one does not linger
        milestones = tuple(m for m in (low, high) if m < self.total_steps and name == "step")
        cycle_steps = c["cycle_steps"].value if name == "cyclic" else None
        try:
            self.config = dataclasses.replace(
                self.config, name=name, warmup_steps=c["warmup_steps"].value,
                milestones=milestones, gamma=c["gamma"].value,
                min_lr_factor=c["min_lr_factor"].value, cycle_steps=cycle_steps,
                max_lr_factor=c["max_lr_factor"].value, pct_start=c["pct_start"].value)
            self.error = None
        except ValueError as err:
            self.error = str(err)
        self.status.value = "" if self.error is None else f"<b>not valid:</b> {self.error}"
        self._show_relevant()
        self.image.value = png_bytes(self.figure())

    def _show_relevant(self) -> None:
        """Show only the sliders the chosen schedule uses."""
        used = {"name", "warmup_steps", *_SCHEDULE_FIELDS[self.controls["name"].value]}
        for name, control in self.controls.items():
            control.layout.display = None if name in used else "none"


_SCHEDULE_FIELDS = {
    "constant": (),
    "step": ("milestones", "gamma"),
    "cosine": ("min_lr_factor",),
    "linear": ("min_lr_factor",),
    "onecycle": ("max_lr_factor", "pct_start", "min_lr_factor"),
    "cyclic": ("cycle_steps", "min_lr_factor"),
}


def schedule_preview(config: ScheduleConfig | None = None, *, base_lr: float = 0.1,
                     epochs: int = 10, steps_per_epoch: int = 100) -> SchedulePreview:
    """Draw a learning-rate schedule and change its kind and parameters live (lesson 09).

    The step schedule's two milestones come from a range slider; a milestone at the last step
    never fires, so pushing one to the end leaves one milestone (or none).
    """
    return SchedulePreview(config or ScheduleConfig(), base_lr, epochs, steps_per_epoch)


# ---- augmentation preview (lesson 12) ----


_AUGMENT_SLIDERS = {  # field → (label, min, max, step)
    "max_rotation": ("rotation °", 0.0, 45.0, 1.0),
    "max_shift": ("shift px", 0.0, 6.0, 0.25),
    "noise_std": ("noise", 0.0, 0.5, 0.01),
    "elastic_alpha": ("elastic α", 0.0, 60.0, 1.0),  # if AugmentConfig has elastic distortion
    "elastic_sigma": ("elastic σ", 1.0, 10.0, 0.5),
}


class AugmentationPreview(_Panel):
    """Originals (top row) and random augmented copies below, for a config (lesson 12)."""

    kind = "augmentation-preview"

    def __init__(self, images: torch.Tensor, config: AugmentConfig, seed: int = 0,
                 copies: int = 3) -> None:
        if len(images) == 0 or copies < 1:
            raise ValueError("need at least one image and copies >= 1")
        self.images = images.detach().float().reshape(len(images), 28, 28)  # (n, 28, 28)
        self.config, self.seed, self.copies = config, seed, copies
        self.error: str | None = None

    def augmented(self) -> torch.Tensor:
        """The augmented copies, (copies, n, 28, 28), from a generator seeded with `seed`."""
        gen = torch.Generator(device=self.images.device).manual_seed(self.seed)
        batch = self.images.repeat(self.copies, 1, 1)  # (copies·n, 28, 28)
        out = augment(batch, self.config, generator=gen)
        return out.reshape(self.copies, *self.images.shape).cpu()

    def figure(self) -> Figure:
        """A grid: originals on top, one row per augmented copy."""
        rows = [self.images.cpu(), *self.augmented()]
        n = len(self.images)
        fig = Figure(figsize=(1.1 * n, 1.15 * len(rows)), layout="constrained")
        axes = fig.subplots(len(rows), n, squeeze=False)
        for r, row in enumerate(rows):
            for k, ax in enumerate(axes[r]):
                ax.imshow(row[k].numpy(), cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
            axes[r, 0].set_ylabel("original" if r == 0 else f"copy {r}", fontsize=8)
        return fig

    # -- widgets --

    def _build(self) -> w.Widget:
        self.controls: dict[str, w.ValueWidget] = {}
        for f in dataclasses.fields(self.config):
            value = getattr(self.config, f.name)
            control = _augment_control(f.name, value)
            if control is not None:
                self.controls[f.name] = control
                control.observe(self._on_change, names="value")
        self.seed_slider = w.IntSlider(value=self.seed, min=0, max=99, description="draw")
        self.seed_slider.observe(self._on_change, names="value")
        self.status = w.HTML()
        self.image = _image(self.figure(), "augmentation-image")
        sliders = w.VBox([*self.controls.values(), self.seed_slider, self.status])
        return w.HBox([sliders, self.image])

    def _on_change(self, change: dict) -> None:
        self.seed = self.seed_slider.value
        values = {name: c.value for name, c in self.controls.items()}
        if "scale" in values:
            values["scale"] = tuple(values["scale"])
        try:
            self.config = dataclasses.replace(self.config, **values)
            self.error = None
        except (ValueError, TypeError) as err:
            self.error = str(err)
        self.status.value = "" if self.error is None else f"<b>not valid:</b> {self.error}"
        self.image.value = png_bytes(self.figure())


def _augment_control(name: str, value: Any) -> w.ValueWidget | None:
    """A slider for one AugmentConfig field; fields added later get a generic one."""
    if name == "seed":
        return None  # the preview's own "draw" slider picks the random numbers
    if name in _AUGMENT_SLIDERS:
        label, low, high, step = _AUGMENT_SLIDERS[name]
        return w.FloatSlider(value=value, min=low, max=max(high, value), step=step,
                             description=label)
    if name == "scale":
        return w.FloatRangeSlider(value=value, min=0.5, max=1.5, step=0.01, description="zoom")
    if isinstance(value, bool):
        return w.Checkbox(value=value, description=name)
    if isinstance(value, int):
        return w.IntSlider(value=value, min=0, max=max(10, 4 * value), description=name)
    if isinstance(value, float):
        high = max(1.0, 4 * value)
        return w.FloatSlider(value=value, min=0.0, max=high, step=high / 100, description=name)
    return None  # tuples, None-able fields: keep the config's value


def augmentation_preview(images: torch.Tensor, config: AugmentConfig | None = None,
                         seed: int = 0, *, n: int = 8, copies: int = 3) -> AugmentationPreview:
    """Show what augmentation does to the first n images, with sliders for its ranges (lesson 12).

    images (N, 784) or (N, 28, 28) in [0, 1]. The sliders cover AugmentConfig's fields (any
    added later get a generic slider); "draw" changes the random seed.
    """
    return AugmentationPreview(images[:n], config or AugmentConfig(), seed, copies)


__all__ = [
    "WIDGETS_ENV", "interactive", "png_bytes", "explorer_figure", "PredictionExplorer",
    "prediction_explorer", "PanelSettings", "PanelRun", "ExperimentPanel", "experiment_panel",
    "SchedulePreview", "schedule_preview", "AugmentationPreview", "augmentation_preview",
]
