"""The interactive explorers, headless: set widget values, read the state and the figures."""

import dataclasses

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mnist_lab import widgets
from mnist_lab.augment import AugmentConfig
from mnist_lab.data import Splits
from mnist_lab.models import MLP
from mnist_lab.schedules import ScheduleConfig, lr_at


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
    assert explorer.slider.max == len(explorer.mistakes) - 1 and explorer.mistakes
    for k in (0, 1, explorer.slider.max):  # each redraw renders a PNG: a few positions suffice
        explorer.slider.value = k
        assert explorer.index == explorer.mistakes[k]
        assert explorer.prediction != explorer.label


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


def test_panel_static_figure_has_no_curves_before_any_run(tiny_splits):
    fig = widgets.experiment_panel(tiny_splits).figure()
    assert isinstance(fig, Figure) and not fig.axes[0].lines


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
