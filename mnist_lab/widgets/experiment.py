"""The experiment panel (lesson 06): choose settings, train in the background, compare runs."""

from __future__ import annotations

import dataclasses
import html
import threading
import time
from typing import Any

import ipywidgets as w
import torch
from matplotlib.figure import Figure

from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.figures import experiment_figure, png_bytes, steps_per_epoch
from mnist_lab.losses import LOSSES
from mnist_lab.models import MLP, NORMS, MLPConfig
from mnist_lab.optim import DEFAULT_LR, OPTIMIZERS, OptimConfig
from mnist_lab.train import Callback, TrainConfig, TrainingDiverged, TrainState, fit
from mnist_lab.widgets.base import LABEL, Panel, image
from mnist_lab.widgets.runs import HIDDEN_ACTIVATIONS, PanelRun, PanelSettings

TABLE_CSS = ("<style>.mnist-lab-runs{border-collapse:collapse;font-size:13px}"
             ".mnist-lab-runs th,.mnist-lab-runs td{padding:2px 10px;white-space:nowrap;"
             "border-bottom:1px solid #ddd;text-align:left}.mnist-lab-runs td.num{text-align:right}"
             ".mnist-lab-runs tr.diverged td{color:#b00}</style>")
NUMERIC = {"run", "lr", "epochs", "val acc", "time"}  # right-aligned columns


class _Live(Callback):
    """Records the loss every `every` steps into a PanelRun, asks the panel to redraw, and ends
    training (`state.stop`, checked by fit) when Stop was pressed."""

    def __init__(self, panel: ExperimentPanel, run: PanelRun, every: int) -> None:
        self.panel, self.run, self.every = panel, run, every

    def on_step_end(self, state: TrainState) -> None:
        if self.panel._stop.is_set():
            state.stop, self.run.stopped = True, True  # fit ends the run
            return
        if state.step % self.every == 0:
            self.run.steps.append(state.step)
            self.run.losses.append(float(state.loss))  # one host sync every `every` steps
            self.panel._redraw(throttle=True)

    def on_epoch_end(self, state: TrainState) -> None:
        self.run.val_acc.append(state.history.val_acc[-1])
        self.panel._redraw()


class ExperimentPanel(Panel):
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
        self.status_text = "Ready: choose settings and press Train."
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
        self._set_status(f"Training run {record.number}…", busy=True)
        if wait:
            self._train(record)
        else:
            self._thread = threading.Thread(target=self._train, args=(record,), daemon=True)
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
        except TrainingDiverged:
            record.diverged = True
        except (RuntimeError, ValueError) as err:  # show it in the status, keep the panel going
            record.error = str(err).splitlines()[0]
        finally:
            record.seconds, record.finished = time.perf_counter() - start, True
            self._set_status(record.outcome(), busy=False)
            self._redraw()

    def figure(self) -> Figure:
        """Loss curves (left) and validation accuracy per epoch (right) of every run."""
        latest = self.runs[-1].settings if self.runs else self.settings
        per_epoch = steps_per_epoch(min(self.train_size, self._train_count()), self.batch_size)
        return experiment_figure(self.runs, latest.epochs * per_epoch, latest.epochs)

    def static_figure(self) -> Figure:
        """Without widgets nothing can be pressed: show a real run of the default settings."""
        if not self.runs:
            self.run(wait=True)
        return self.figure()

    def _train_count(self) -> int:
        return self.train_size if self._data is None else len(self._data.train[1])

    def table_html(self) -> str:
        """The comparison table as HTML: one line per run, numbers right-aligned."""
        rows = self.table
        if not rows:
            return "<i>no runs yet</i>"
        head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
        body = "".join(
            f'<tr class="{"diverged" if run.diverged else ""}">'
            + "".join(f'<td class="{"num" if k in NUMERIC else ""}">{html.escape(str(v))}</td>'
                      for k, v in row.items()) + "</tr>" for run, row in zip(self.runs, rows))
        return f'{TABLE_CSS}<table class="mnist-lab-runs"><tr>{head}</tr>{body}</table>'

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
            control.style = LABEL
            control.observe(self._on_setting, names="value")
        self.train_button = w.Button(description="Train", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop",
                                    disabled=not self.running)
        self.train_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self.status = w.HTML(self.status_text)
        self.image = image(self.figure(), "experiment-image")
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

    def _set_status(self, text: str, busy: bool) -> None:
        self.status_text = text
        if self.built:
            self.train_button.disabled, self.stop_button.disabled = busy, not busy
            self.status.value = html.escape(text)

    def _redraw(self, throttle: bool = False) -> None:
        """Redraw the picture and the table (at most twice a second while training)."""
        if not self.built or (throttle and time.perf_counter() - self._last_draw < 0.5):
            return
        self.image.value = png_bytes(self.figure())
        self.results.value = self.table_html()
        self._last_draw = time.perf_counter()  # after drawing: slow draws must not run back to back


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
    record the loss every 5 steps), seed, device. Nothing trains until Train or `run()`; a page
    without widgets shows one run of the default settings instead.
    """
    return ExperimentPanel(data, **options)
