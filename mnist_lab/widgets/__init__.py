"""Interactive panels for the lessons: predictions, drawing, experiments, schedules, augmentation.

Each builder returns an object that shows itself in a notebook. With a widget frontend
(JupyterLab, Notebook 7) it is a live ipywidgets panel: sliders, dropdowns, buttons or a canvas
redraw a picture. Without one it degrades to a static matplotlib Figure: the picture of its
state, or of a real example (a drawn "7", a trained run) where the state is still empty. The
environment variable MNIST_LAB_WIDGETS=static picks the static form; the test suite and the
lesson builder set it, so nbval compares stable figures, not widget models whose ids are
random. `interactive()` is the one place that decides.

- `prediction_explorer` (lesson 01): a test image, the network's ten outputs and the true label.
- `draw_digit` (lessons 01, 06): draw a digit, see it made MNIST-style and the networks' answers.
- `experiment_panel` (lesson 06): pick a loss, activation, optimiser, norm, LR and epochs, train
  in a background thread with a live loss curve, compare the runs in a table.
- `schedule_preview` (lesson 10): a learning-rate schedule's curve as its parameters change.
- `augmentation_preview` (lesson 13): originals and augmented digits as the ranges change.

Every object keeps its state (index, strokes, settings, config) apart from the widgets, which
are built on first use of `.widget`; tests set widget values and read that state without a
frontend. The pictures themselves are drawn by mnist_lab.figures.
"""

from mnist_lab.figures import explorer_figure, png_bytes
from mnist_lab.widgets.augmentation import AugmentationPreview, augmentation_preview
from mnist_lab.widgets.base import WIDGETS_ENV, interactive
from mnist_lab.widgets.draw import DigitDrawing, draw_digit
from mnist_lab.widgets.experiment import ExperimentPanel, experiment_panel
from mnist_lab.widgets.explorer import PredictionExplorer, prediction_explorer
from mnist_lab.widgets.runs import PanelRun, PanelSettings
from mnist_lab.widgets.schedule import SchedulePreview, schedule_preview

__all__ = [
    "WIDGETS_ENV", "interactive", "png_bytes", "explorer_figure", "PredictionExplorer",
    "prediction_explorer", "DigitDrawing", "draw_digit", "PanelSettings", "PanelRun",
    "ExperimentPanel", "experiment_panel", "SchedulePreview", "schedule_preview",
    "AugmentationPreview", "augmentation_preview",
]
