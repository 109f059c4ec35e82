"""Learning-rate schedules: the LR at given steps, warm-up, and reduce-on-plateau."""

import math

import pytest

from mnist_lab.schedules import ReduceOnPlateau, ScheduleConfig, lr_at

BASE, TOTAL = 0.1, 100


def lrs(cfg, steps, base=BASE, total=TOTAL):
    return [lr_at(cfg, base, s, total) for s in steps]


def test_constant_schedule_keeps_the_base_lr():
    assert lrs(ScheduleConfig(), [0, 50, 99]) == [BASE] * 3


def test_step_schedule_multiplies_by_gamma_at_each_milestone():
    cfg = ScheduleConfig("step", milestones=(30, 60), gamma=0.1)
    assert lrs(cfg, [0, 29, 30, 59, 60, 99]) == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_cosine_schedule_falls_from_base_to_min_along_half_a_cosine():
    cfg = ScheduleConfig("cosine", min_lr_factor=0.1)
    start, quarter, half, end = lrs(cfg, [0, 25, 50, 100])
    assert start == pytest.approx(BASE)
    assert quarter == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi / 4)) / 2)
    assert half == pytest.approx(0.055)
    assert end == pytest.approx(0.01)


def test_linear_schedule_falls_in_a_straight_line():
    cfg = ScheduleConfig("linear")
    assert lrs(cfg, [0, 25, 50, 100]) == pytest.approx([0.1, 0.075, 0.05, 0.0])


def test_onecycle_rises_to_the_peak_then_falls_to_the_floor():
    cfg = ScheduleConfig("onecycle", max_lr_factor=10.0, pct_start=0.3, min_lr_factor=0.01)
    start, rising, peak, end = lrs(cfg, [0, 15, 30, 100])
    assert start == pytest.approx(BASE)
    assert rising == pytest.approx(BASE * (1 + 10) / 2)  # half way up the cosine
    assert peak == pytest.approx(1.0)
    assert end == pytest.approx(0.001)


def test_cyclic_schedule_restarts_every_cycle():
    cfg = ScheduleConfig("cyclic", cycle_steps=20)
    assert lrs(cfg, [0, 10, 20, 30, 40]) == pytest.approx([0.1, 0.05, 0.1, 0.05, 0.1])
    assert lr_at(cfg, BASE, 19, TOTAL) < 0.001  # the end of a cycle: a snapshot point


def test_warmup_ramps_linearly_up_to_the_schedule():
    cfg = ScheduleConfig(warmup_steps=4)
    assert lrs(cfg, [0, 1, 2, 3, 4, 50]) == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_warmup_composes_with_cosine_by_multiplying():
    plain = ScheduleConfig("cosine")
    warm = ScheduleConfig("cosine", warmup_steps=10)
    for step in (0, 5, 9):
        assert lr_at(warm, BASE, step, TOTAL) == pytest.approx(
            lr_at(plain, BASE, step, TOTAL) * (step + 1) / 10
        )
    assert lr_at(warm, BASE, 40, TOTAL) == lr_at(plain, BASE, 40, TOTAL)


def test_lr_at_rejects_a_negative_step():
    with pytest.raises(ValueError, match="step >= 0"):
        lr_at(ScheduleConfig(), BASE, -1, TOTAL)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(name="exponential"), "unknown schedule"),
        (dict(name="cyclic"), "cycle_steps"),
        (dict(milestones=(60, 30)), "increasing"),
        (dict(gamma=0.0), "gamma"),
        (dict(min_lr_factor=1.5), "min_lr_factor"),
        (dict(warmup_steps=-1), "warmup_steps"),
        (dict(plateau_factor=2.0), "plateau_factor"),
    ],
)
def test_schedule_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScheduleConfig(**kwargs)


def test_plateau_reduces_after_patience_epochs_without_improvement():
    plateau = ReduceOnPlateau(factor=0.5, patience=2, mode="max")
    scales = [plateau.step(acc) for acc in [0.90, 0.95, 0.95, 0.94, 0.93, 0.93, 0.93]]
    assert scales == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]


def test_plateau_in_min_mode_watches_a_falling_loss():
    plateau = ReduceOnPlateau(factor=0.2, patience=0, mode="min")
    scales = [plateau.step(loss) for loss in [1.0, 0.5, 0.6, 0.4, 0.4]]
    assert scales == pytest.approx([1.0, 1.0, 0.2, 0.2, 0.04])


def test_plateau_ignores_improvements_smaller_than_min_delta():
    plateau = ReduceOnPlateau(patience=0, min_delta=0.01)
    plateau.step(0.90)
    assert plateau.step(0.905) == 0.5


@pytest.mark.parametrize("kwargs", [dict(factor=1.0), dict(mode="up"), dict(patience=-1)])
def test_plateau_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        ReduceOnPlateau(**kwargs)
