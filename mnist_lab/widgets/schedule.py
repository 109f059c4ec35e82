"""The schedule preview (lesson 10): a learning-rate schedule's curve as its parameters change."""

from __future__ import annotations

import dataclasses

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from mnist_lab.figures import png_bytes, schedule_figure
from mnist_lab.schedules import SCHEDULES, ScheduleConfig, lr_at
from mnist_lab.widgets.base import LABEL, Panel, image

_SCHEDULE_FIELDS = {  # the sliders each schedule uses, besides its name and warm-up
    "constant": (),
    "step": ("milestones", "gamma"),
    "cosine": ("min_lr_factor",),
    "linear": ("min_lr_factor",),
    "onecycle": ("max_lr_factor", "pct_start", "min_lr_factor"),
    "cyclic": ("cycle_steps", "min_lr_factor"),
}


class SchedulePreview(Panel):
    """A learning-rate schedule's curve over a run, redrawn as its parameters change (lesson 10)."""

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
        return schedule_figure(self.curve(), self.epochs, self.steps_per_epoch, self.config.name,
                               self.base_lr)

    def default_milestones(self) -> tuple[int, int]:
        """Where the step schedule's two milestones start: the config's, or at half and three
        quarters of the run (the classic recipe), so each one visibly cuts the rate."""
        given = [m for m in self.config.milestones if 0 < m < self.total_steps]
        half, three_quarters = self.total_steps // 2, 3 * self.total_steps // 4
        if len(given) >= 2:
            return given[0], given[1]
        if len(given) == 1:
            return given[0], max(given[0], three_quarters)
        return half, three_quarters

    # -- widgets --

    def _build(self) -> w.Widget:
        c, total = self.config, self.total_steps
        self.controls = {
            "name": w.Dropdown(options=SCHEDULES, value=c.name, description="schedule"),
            "warmup_steps": w.IntSlider(value=min(c.warmup_steps, total), min=0, max=total,
                                        description="warm-up steps"),
            "milestones": w.IntRangeSlider(value=self.default_milestones(), min=0, max=total,
                                           description="milestones"),
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
            control.style = LABEL
            control.observe(self._on_change, names="value")
        self.status = w.HTML()
        self.image = image(self.figure(), "schedule-image")
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


def schedule_preview(config: ScheduleConfig | None = None, *, base_lr: float = 0.1,
                     epochs: int = 10, steps_per_epoch: int = 100) -> SchedulePreview:
    """Draw a learning-rate schedule and change its kind and parameters live (lesson 10).

    The step schedule's two milestones come from a range slider, starting at half and three
    quarters of the run; a milestone at the last step never fires, so pushing one to the end
    leaves one milestone (or none).
    """
    return SchedulePreview(config or ScheduleConfig(), base_lr, epochs, steps_per_epoch)
