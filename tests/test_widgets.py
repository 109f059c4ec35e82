"""The interactive explorers, headless: set widget values, read the state and the figures."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mnist_lab import widgets
from mnist_lab.augment import AugmentConfig
from mnist_lab.data import Splits
from mnist_lab.models import MLP
from mnist_lab.schedules import ScheduleConfig, lr_at
from mnist_lab.widgets import experiment


@pytest.fixture
def digits():
    """40 random 'images' with labels, and a tiny untrained network (it makes many mistakes)."""
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(40, 784, generator=gen)
    labels = torch.randint(0, 10, (40,), generator=gen)
    torch.manual_seed(0)
    return MLP(sizes=(784, 8, 10)), images, labels


@pytest.fixture
def explorer(digits):
    model, images, labels = digits
    return widgets.prediction_explorer(model, images, labels, index=3)


@pytest.fixture
def built(explorer):
    """The explorer with its widgets built, as a frontend would see it."""
    explorer.widget  # noqa: B018 - builds the slider, the toggle and the image
    return explorer


@pytest.fixture
def tiny_splits():
    gen = torch.Generator().manual_seed(1)
    x, y = torch.rand(300, 784, generator=gen), torch.arange(300) % 10
    return Splits((x[:200], y[:200]), (x[200:], y[200:]))


def bar_heights(fig: Figure) -> list[float]:
    return [patch.get_height() for patch in fig.axes[1].patches]


# ---- interactive() ----


def test_interactive_is_false_when_env_says_static(monkeypatch):
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    assert not widgets.interactive()


def test_interactive_is_true_without_the_env_variable(monkeypatch):
    monkeypatch.delenv(widgets.WIDGETS_ENV, raising=False)
    assert widgets.interactive()


def test_static_mode_shows_a_figure_and_builds_no_widget(monkeypatch, explorer):
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    assert isinstance(explorer.show(), Figure)
    assert not explorer.built


def test_interactive_mode_shows_the_widget_with_its_css_class(monkeypatch, explorer):
    monkeypatch.delenv(widgets.WIDGETS_ENV, raising=False)
    shown = explorer.show()
    assert shown is explorer.widget
    assert "mnist-lab-prediction-explorer" in shown._dom_classes


# ---- prediction explorer ----


def test_explorer_starts_at_the_requested_index(explorer, digits):
    assert explorer.index == 3 and explorer.label == int(digits[2][3])


def test_explorer_bars_are_the_models_outputs(explorer, digits):
    model, images, _ = digits
    with torch.no_grad():
        expected = model(images[3:4])[0]
    assert np.allclose(bar_heights(explorer.figure()), expected.numpy(), atol=1e-6)


def test_moving_the_slider_changes_index_label_and_image(built, digits):
    explorer = built
    before = explorer.image.value
    explorer.slider.value = 7
    assert explorer.index == 7 and explorer.label == int(digits[2][7])
    assert explorer.image.value != before
    assert "<b>7</b>" in explorer.caption.value


def test_mistakes_only_walks_only_misclassified_images(built):
    explorer = built
    explorer.toggle.value = True
    assert (explorer.slider.min, explorer.slider.max) == (1, len(explorer.mistakes))
    for k in (1, 2, explorer.slider.max):  # each redraw renders a PNG: a few positions suffice
        explorer.slider.value = k
        assert explorer.index == explorer.mistakes[k - 1]
        assert explorer.prediction != explorer.label


def crafted_explorer(mistakes: list[int], n: int = 40) -> widgets.PredictionExplorer:
    """An explorer over n blank images whose outputs are wrong exactly at `mistakes`."""
    labels = torch.zeros(n, dtype=torch.long)
    outputs = torch.zeros(n, 10)
    outputs[:, 0] = 1.0
    outputs[mistakes, 0], outputs[mistakes, 3] = 0.0, 1.0
    return widgets.PredictionExplorer(torch.zeros(n, 784), labels, outputs, index=0)


def test_mistakes_only_from_a_high_index_jumps_to_the_next_mistake():
    explorer = crafted_explorer([2, 5, 31, 35])
    explorer.widget  # noqa: B018
    explorer.slider.value = 30  # beyond the 4 mistakes' slider range
    explorer.toggle.value = True
    assert explorer.index == 31  # the next mistake, not the last one
    assert explorer.slider.value == 3


def test_mistakes_only_readout_and_caption_count_from_one_alike():
    explorer = crafted_explorer([2, 5, 31, 35])
    explorer.widget  # noqa: B018
    explorer.toggle.value = True
    explorer.slider.value = 2
    assert explorer.index == 5
    assert "mistake 2 of 4" in explorer.caption.value


def test_mistakes_only_after_the_last_mistake_wraps_to_the_first():
    explorer = crafted_explorer([2, 5])
    explorer.select(30)
    explorer.show_mistakes_only()
    assert explorer.index == 2


def test_explorer_labels_are_not_cut_off(built):
    assert built.toggle.layout.width == "auto"
    assert built.slider.style.description_width == "initial"


def test_turning_mistakes_only_off_walks_all_images_again(built):
    explorer = built
    explorer.toggle.value = True
    explorer.toggle.value = False
    assert explorer.slider.max == len(explorer.images) - 1
    assert explorer.slider.value == explorer.index


def test_explorer_rejects_an_index_out_of_range(digits):
    with pytest.raises(ValueError, match="between 0 and 39"):
        widgets.prediction_explorer(*digits, index=40)


def test_explorer_softmaxes_logits_so_bars_sum_to_one(digits):
    _, images, labels = digits
    torch.manual_seed(0)
    model = MLP(sizes=(784, 8, 10), output_activation="none")
    fig = widgets.prediction_explorer(model, images, labels, index=0).figure()
    assert sum(bar_heights(fig)) == pytest.approx(1.0, abs=1e-5)


# ---- experiment panel ----


def test_panel_run_appends_a_row_and_records_a_loss_curve(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits, hidden=16, batch_size=32, every=1)
    panel.settings = dataclasses.replace(panel.settings, epochs=1)
    run = panel.run(wait=True)
    assert len(panel.table) == 1 and panel.table[0]["run"] == 1
    assert len(run.losses) == 7 and len(run.val_acc) == 1  # ceil(200 / 32) steps, one epoch
    assert len(panel.figure().axes[0].lines) == 1


def test_panel_widget_values_become_the_training_configs(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits)
    panel.widget  # noqa: B018 - builds the controls
    panel.controls["loss"].value = "cross_entropy"
    panel.controls["activation"].value = "relu"
    panel.controls["optimizer"].value = "sgd"
    net, train = panel.configs()
    assert (train.loss, net.hidden_activation, train.optim.name) == ("cross_entropy", "relu", "sgd")
    assert net.output_activation == "none"  # cross-entropy wants logits
    assert train.optim.lr == 0.1  # choosing an optimiser sets its usual learning rate


def test_panel_stop_ends_a_threaded_run_early(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits, hidden=16, batch_size=8, every=1)
    panel.settings = dataclasses.replace(panel.settings, epochs=200)  # far longer than the test
    panel.widget  # noqa: B018 - the Train button is disabled while the run goes on
    run = panel.run()
    assert panel.train_button.disabled
    panel.stop()
    panel.join(timeout=30)
    assert not panel.running and run.stopped
    assert len(run.val_acc) < 200 and not panel.train_button.disabled


def test_panel_refuses_a_second_run_while_one_is_going(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits, hidden=16, batch_size=8)
    panel.settings = dataclasses.replace(panel.settings, epochs=200)
    panel.run()
    try:
        with pytest.raises(RuntimeError, match="still going"):
            panel.run()
    finally:
        panel.stop()
        panel.join(timeout=30)


def test_static_panel_shows_a_real_run_not_empty_axes(monkeypatch, tiny_splits):
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    panel = widgets.experiment_panel(tiny_splits, hidden=16, batch_size=32, every=1)
    fig = panel.show()
    assert isinstance(fig, Figure) and len(panel.runs) == 1
    assert fig.axes[0].lines and fig.axes[1].lines  # a loss curve and validation accuracy


def test_stop_sets_the_training_state_flag(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits)
    run = widgets.PanelRun(1, panel.settings)
    state = SimpleNamespace(stop=False, step=1, loss=torch.tensor(0.5))
    live = experiment._Live(panel, run, every=1)
    live.on_step_end(state)
    assert not state.stop
    panel.stop()
    live.on_step_end(state)
    assert state.stop and run.stopped


def diverging_panel(tiny_splits):
    """Three one-epoch runs; the second (SGD at a learning rate of a million) diverges."""
    panel = widgets.experiment_panel(tiny_splits, hidden=16, batch_size=32, every=1)
    panel.settings = dataclasses.replace(panel.settings, epochs=1)
    panel.run(wait=True)
    panel.settings = dataclasses.replace(panel.settings, optimizer="sgd", loss="cross_entropy",
                                         norm="none", lr=1e6)
    panel.run(wait=True)
    panel.settings = dataclasses.replace(panel.settings, lr=1e-2)
    panel.run(wait=True)
    return panel


@pytest.fixture
def diverged(tiny_splits):
    panel = diverging_panel(tiny_splits)
    assert [run.diverged for run in panel.runs] == [False, True, False]
    return panel


def test_a_run_keeps_its_colour_in_both_plots_after_a_divergence(diverged):
    fig = diverged.figure()
    loss_colours = {line.get_label(): line.get_color() for line in fig.axes[0].lines}
    acc_colours = {line.get_label(): line.get_color() for line in fig.axes[1].lines}
    assert acc_colours["run 3"] == loss_colours["run 3"] == "C2"
    assert acc_colours["run 1"] == loss_colours["run 1"] == "C0"


def test_a_diverged_run_is_reported_in_plain_words_in_the_status(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits, hidden=16, batch_size=32, every=1)
    panel.widget  # noqa: B018
    panel.settings = widgets.PanelSettings(loss="cross_entropy", optimizer="sgd", norm="none",
                                           lr=1e6, epochs=1)
    panel.run(wait=True)
    assert panel.runs[0].diverged and panel.table[0]["note"] == "diverged"
    assert "diverged" in panel.status.value and "learning rate" in panel.status.value
    assert "try 1e+05" in panel.status.value and "ready" not in panel.status.value.lower()


def test_table_says_training_not_zero_seconds_while_a_run_goes():
    run = widgets.PanelRun(1, widgets.PanelSettings())
    assert run.row()["time"] == "training…"
    run.seconds, run.finished = 2.0, True
    assert run.row()["time"] == "2.0 s"


def test_table_is_styled_and_its_cells_do_not_wrap(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits)
    panel.runs.append(widgets.PanelRun(1, panel.settings))
    table = panel.table_html()
    assert "white-space:nowrap" in table and 'class="mnist-lab-runs"' in table


def test_the_first_live_frame_spans_the_whole_run(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits, batch_size=32)  # 200 images: 7 steps/epoch
    run = widgets.PanelRun(1, panel.settings)  # 3 epochs
    run.steps, run.losses = [5], [0.7]  # one recorded point so far
    panel.runs.append(run)
    loss_ax, acc_ax = panel.figure().axes
    assert loss_ax.get_xlim() == (0, 21) and loss_ax.get_ylim()[0] == 0
    assert acc_ax.get_xlim() == (0.5, 3.5)


def test_panel_labels_are_not_cut_off(tiny_splits):
    panel = widgets.experiment_panel(tiny_splits)
    panel.widget  # noqa: B018
    assert all(c.style.description_width == "initial" for c in panel.controls.values())


# ---- drawing a digit ----

ONE = [[(140, 40), (140, 240)]]  # a vertical stroke on the 280×280 canvas


@pytest.fixture
def two_models():
    torch.manual_seed(0)
    return {"first": MLP(sizes=(784, 8, 10)),
            "second": MLP(sizes=(784, 8, 10), output_activation="none")}


def test_a_drawn_one_becomes_a_centred_vertical_bar(two_models):
    drawing = widgets.draw_digit(two_models, strokes=ONE)
    final = drawing.steps.final
    assert final.shape == (28, 28)
    assert final[4:24, 13:15].mean() > 0.5 and final[:, :8].sum() == 0


def test_each_network_gets_ten_outputs_for_the_drawing(two_models):
    drawing = widgets.draw_digit(two_models, strokes=ONE)
    x = drawing.steps.final.reshape(1, 784)
    outputs = drawing.outputs()
    assert set(outputs) == {"first", "second"}
    assert torch.allclose(outputs["first"], two_models["first"](x)[0].detach())
    assert outputs["second"].sum() == pytest.approx(1.0, abs=1e-5)  # logits are softmaxed
    assert drawing.predictions() == {k: int(v.argmax()) for k, v in outputs.items()}


def test_a_single_model_is_shown_under_a_generic_name(digits):
    drawing = widgets.draw_digit(digits[0], strokes=ONE)
    assert list(drawing.outputs()) == ["network"]


def test_nothing_drawn_means_no_outputs_and_an_invitation(two_models):
    drawing = widgets.draw_digit(two_models)
    assert drawing.steps is None and drawing.predictions() == {"first": None, "second": None}
    assert "Draw a digit" in drawing.answer_html()


def test_strokes_from_the_canvas_update_the_input_picture_and_answer(two_models):
    drawing = widgets.draw_digit(two_models)
    drawing.widget  # noqa: B018
    before = drawing.image.value
    drawing.canvas.strokes = ONE  # what the front end sends while drawing
    assert drawing.strokes == [[[140.0, 40.0], [140.0, 240.0]]]
    assert drawing.image.value != before
    assert "<b>first</b> says" in drawing.answer.value


def test_undo_removes_the_last_stroke_on_the_canvas_too(two_models):
    drawing = widgets.draw_digit(two_models, strokes=ONE + [[(100, 100), (180, 100)]])
    drawing.widget  # noqa: B018
    drawing.undo_button.click()
    assert drawing.strokes == [[[140.0, 40.0], [140.0, 240.0]]]
    assert drawing.canvas.strokes == drawing.strokes


def test_clear_removes_every_stroke(two_models):
    drawing = widgets.draw_digit(two_models, strokes=ONE)
    drawing.widget  # noqa: B018
    drawing.clear_button.click()
    assert drawing.strokes == [] and drawing.canvas.strokes == [] and drawing.steps is None


def test_static_drawing_shows_the_example_seven(monkeypatch, two_models):
    monkeypatch.setenv(widgets.WIDGETS_ENV, "static")
    drawing = widgets.draw_digit(two_models)
    fig = drawing.show()
    assert isinstance(fig, Figure) and not drawing.built
    assert all(ax.images for ax in fig.axes[:3])  # drawing, 20×20 box, 28×28 input
    assert len(fig.axes[3].patches) == 10 and len(fig.axes[4].patches) == 10


def test_more_than_two_networks_are_refused(digits):
    with pytest.raises(ValueError, match="one or two networks"):
        widgets.draw_digit({"a": digits[0], "b": digits[0], "c": digits[0]})


# ---- schedule preview ----


def test_schedule_preview_curve_is_lr_at(monkeypatch):
    config = ScheduleConfig("cosine", warmup_steps=5)
    preview = widgets.schedule_preview(config, base_lr=0.5, epochs=3, steps_per_epoch=10)
    expected = [lr_at(config, 0.5, s, 30) for s in range(30)]
    assert np.allclose(preview.figure().axes[0].lines[0].get_ydata(), expected)


def test_schedule_preview_dropdown_and_sliders_change_the_config():
    preview = widgets.schedule_preview(epochs=4, steps_per_epoch=25)
    preview.widget  # noqa: B018
    before = preview.image.value
    preview.controls["name"].value = "step"
    preview.controls["milestones"].value = (40, 80)
    preview.controls["gamma"].value = 0.5
    assert preview.config == ScheduleConfig("step", milestones=(40, 80), gamma=0.5)
    assert preview.curve()[-1] == pytest.approx(0.1 * 0.25)
    assert preview.image.value != before


def test_schedule_preview_hides_sliders_the_schedule_does_not_use():
    preview = widgets.schedule_preview()
    preview.widget  # noqa: B018
    preview.controls["name"].value = "cosine"
    assert preview.controls["gamma"].layout.display == "none"
    assert preview.controls["min_lr_factor"].layout.display is None


def test_step_schedule_milestones_start_at_half_and_three_quarters_of_the_run():
    preview = widgets.schedule_preview(ScheduleConfig("cosine"), epochs=4, steps_per_epoch=25)
    preview.widget  # noqa: B018
    preview.controls["name"].value = "step"
    assert preview.config.milestones == (50, 75)
    before = preview.curve()
    preview.controls["gamma"].value = 0.5
    assert preview.curve()[-1] == pytest.approx(0.1 * 0.5**2) != before[-1]  # gamma matters


def test_schedule_labels_are_not_cut_off():
    preview = widgets.schedule_preview()
    preview.widget  # noqa: B018
    assert preview.controls["warmup_steps"].style.description_width == "initial"


# ---- augmentation preview ----


def test_augmentation_grid_changes_with_the_rotation_slider(digits):
    preview = widgets.augmentation_preview(digits[1], AugmentConfig(max_rotation=0.0), n=4)
    preview.widget  # noqa: B018
    before = preview.augmented()
    preview.controls["max_rotation"].value = 30.0
    assert preview.config.max_rotation == 30.0
    assert not torch.allclose(preview.augmented(), before)


def test_augmentation_grid_changes_with_the_seed(digits):
    preview = widgets.augmentation_preview(digits[1], n=4)
    preview.widget  # noqa: B018
    before = preview.augmented()
    preview.seed_slider.value = 5
    assert not torch.allclose(preview.augmented(), before)


def test_augmentation_preview_has_a_slider_for_every_config_field_but_the_seed(digits):
    preview = widgets.augmentation_preview(digits[1], n=2)
    preview.widget  # noqa: B018
    numbers = {f.name for f in dataclasses.fields(AugmentConfig)
               if isinstance(getattr(AugmentConfig(), f.name), (int, float))} - {"seed"}
    assert numbers | {"scale"} <= set(preview.controls)  # new fields (elastic) included


def test_augmentation_figure_has_a_row_of_originals_and_one_per_copy(digits):
    fig = widgets.augmentation_preview(digits[1], n=3, copies=2).figure()
    assert len(fig.axes) == 3 * 3


def test_augmentation_elastic_slider_changes_the_grid_when_the_config_has_one(digits):
    if "elastic_alpha" not in {f.name for f in dataclasses.fields(AugmentConfig)}:
        pytest.skip("this AugmentConfig has no elastic distortion")
    config = AugmentConfig(max_rotation=0.0, max_shift=0.0, scale=(1.0, 1.0))
    preview = widgets.augmentation_preview(digits[1], config, n=2)
    preview.widget  # noqa: B018
    before = preview.augmented()
    preview.controls["elastic_alpha"].value = 34.0
    assert preview.config.elastic_alpha == 34.0
    assert not torch.allclose(preview.augmented(), before)


def test_the_canvas_front_end_ships_in_the_package_and_is_declared_as_package_data():
    import tomllib
    from pathlib import Path

    from mnist_lab.widgets.draw import Canvas

    source = Canvas()._esm  # anywidget reads the module file into the synced trait
    assert "export default" in source and "pointerdown" in source  # mouse, touch and pen
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "*.js" in pyproject["tool"]["setuptools"]["package-data"]["mnist_lab.widgets"]
