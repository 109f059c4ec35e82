"""Plots return a Figure with the expected artists, and never touch pyplot."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mnist_lab.plots import (
    grouped_bars,
    plot_comparison,
    plot_confusion,
    plot_curves,
    plot_image_grid,
    plot_loss,
    plot_outputs,
)
from mnist_lab.train import History


@pytest.fixture
def history():
    return History(
        steps=[10, 20, 30],
        step_losses=[0.3, 0.2, 0.1],
        train_loss=[0.5, 0.3],
        train_acc=[0.8, 0.9],
        val_loss=[0.4, 0.35],
        val_acc=[0.85, 0.88],
    )


def _heights(container):
    return [bar.get_height() for bar in container]


def test_plot_loss_draws_raw_faint_dots_like_the_book():
    fig = plot_loss([0.5, 0.4, 0.3], every=10)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [10, 20, 30]
    assert list(line.get_ydata()) == [0.5, 0.4, 0.3]
    assert (line.get_alpha(), line.get_marker()) == (0.1, ".")
    assert ax.get_ylim() == (0.0, 1.0)


def test_plot_loss_overlays_a_moving_average():
    fig = plot_loss(torch.tensor([1.0, 2.0, 3.0, 4.0]), smooth=2)
    raw, mean = fig.axes[0].get_lines()
    assert list(mean.get_ydata()) == [1.5, 2.5, 3.5]
    assert list(mean.get_xdata()) == [20, 30, 40]


def test_plot_loss_reads_a_history(history):
    (line,) = plot_loss(history).axes[0].get_lines()
    assert list(line.get_xdata()) == [10, 20, 30]


def test_plot_curves_shows_train_and_val_loss_and_accuracy(history):
    fig = plot_curves(history)
    loss_ax, acc_ax = fig.axes
    assert [list(line.get_ydata()) for line in loss_ax.get_lines()] == [[0.5, 0.3], [0.4, 0.35]]
    assert [list(line.get_ydata()) for line in acc_ax.get_lines()] == [[0.8, 0.9], [0.85, 0.88]]


def test_plot_curves_without_validation_draws_one_line_each():
    fig = plot_curves(History(train_loss=[0.5], train_acc=[0.8]))
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]


def test_plot_confusion_shows_the_matrix_and_every_count():
    cm = torch.arange(9).reshape(3, 3)
    (ax,) = plot_confusion(cm).axes
    (image,) = ax.get_images()
    assert np.array_equal(image.get_array(), cm.numpy())
    assert [t.get_text() for t in ax.texts] == [str(i) for i in range(9)]


def test_plot_image_grid_marks_mistakes_in_red():
    images = torch.rand(4, 784)
    fig = plot_image_grid(images, torch.tensor([1, 2, 3, 4]), preds=torch.tensor([1, 7, 3, 4]))
    assert len(fig.axes) == 4
    titles = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes]
    assert titles[0] == ("1", "black")
    assert titles[1] == ("7 (2)", "red")


def test_plot_image_grid_shows_n_images_and_hides_spare_cells():
    fig = plot_image_grid(torch.rand(20, 28, 28), torch.arange(20), n=10, ncols=4)
    assert len(fig.axes) == 12
    assert sum(len(ax.get_images()) for ax in fig.axes) == 10


def test_plot_outputs_draws_ten_bars_from_0_to_1():
    outputs = torch.linspace(0, 0.9, 10)
    (ax,) = plot_outputs(outputs, label=4).axes
    assert _heights(ax.containers[0]) == pytest.approx(outputs.tolist())
    assert ax.get_ylim() == (0.0, 1.0)


def test_plot_comparison_draws_one_bar_per_run():
    (ax,) = plot_comparison({"baseline": 0.87, "bce": 0.91}).axes
    assert _heights(ax.containers[0]) == [0.87, 0.91]


def test_plot_comparison_puts_reference_bars_beside_ours():
    (ax,) = plot_comparison({"a": 0.9, "b": 0.95}, reference={"b": 0.97}).axes
    ours, theirs = ax.containers
    assert _heights(ours) == [0.9, 0.95] and _heights(theirs) == [0.97]


def test_plot_comparison_reads_the_last_val_acc_of_a_history(history):
    (ax,) = plot_comparison({"run": history}, reference=0.9).axes
    assert _heights(ax.containers[0]) == [0.88]
    assert len(ax.get_lines()) == 1  # the reference line


def test_plots_leave_pyplot_alone(history):
    plt.close("all")
    plot_loss([0.1])
    plot_curves(history)
    plot_outputs(torch.zeros(10))
    assert plt.get_fignums() == []


def test_grouped_bars_draws_one_bar_per_series_and_label_centred_on_each_label():
    fig = Figure()
    ax = fig.subplots()
    grouped_bars(ax, {"a": [1.0, 2.0, 3.0], "b": torch.tensor([4.0, 5.0, 6.0])}, [7, 8, 9])
    heights = [p.get_height() for p in ax.patches]
    centres = [p.get_x() + p.get_width() / 2 for p in ax.patches]
    assert heights == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert centres == pytest.approx([-0.2, 0.8, 1.8, 0.2, 1.2, 2.2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["7", "8", "9"]


def test_grouped_bars_rejects_a_series_of_the_wrong_length():
    ax = Figure().subplots()
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        grouped_bars(ax, {"a": [1.0, 2.0]}, ["x", "y", "z"])
