"""OptimConfig, make_optimizer, and the reference update rules against torch.optim."""

import pytest
import torch

from mnist_lab.optim import (
    DEFAULT_LR,
    OptimConfig,
    adadelta_step,
    adagrad_step,
    adam_step,
    make_optimizer,
    rmsprop_step,
    sgd_step,
)

STEPS = 6


def _run_torch(optimizer_cls, start, grads, **kwargs):
    """Parameter values after each torch step, feeding the given gradients."""
    p = torch.nn.Parameter(start.clone())
    opt = optimizer_cls([p], **kwargs)
    values = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        values.append(p.detach().clone())
    return values


@pytest.fixture
def problem():
    gen = torch.Generator().manual_seed(0)
    start = torch.randn(5, 4, generator=gen, dtype=torch.float64)
    grads = [torch.randn(5, 4, generator=gen, dtype=torch.float64) for _ in range(STEPS)]
    return start, grads


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.1),
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.1, momentum=0.9, nesterov=True),
        dict(lr=0.05, momentum=0.5, weight_decay=0.01),
    ],
)
def test_sgd_step_matches_torch(kwargs, problem):
    start, grads = problem
    expected = _run_torch(torch.optim.SGD, start, grads, **kwargs)
    p, v = start, None
    for g, want in zip(grads, expected):
        p, v = sgd_step(p, g, v, **kwargs)
        torch.testing.assert_close(p, want, rtol=1e-6, atol=1e-6)


def test_sgd_step_accepts_zero_velocity_at_the_start(problem):
    start, grads = problem
    with_none, _ = sgd_step(start, grads[0], None, lr=0.1, momentum=0.9)
    with_zeros, _ = sgd_step(start, grads[0], torch.zeros_like(start), lr=0.1, momentum=0.9)
    torch.testing.assert_close(with_none, with_zeros)


@pytest.mark.parametrize(
    ("cls", "kwargs", "decoupled"),
    [
        (torch.optim.Adam, dict(lr=1e-2), False),
        (torch.optim.Adam, dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1), False),
        (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.1), True),
    ],
)
def test_adam_step_matches_torch(cls, kwargs, decoupled, problem):
    start, grads = problem
    expected = _run_torch(cls, start, grads, **kwargs)
    p, m, v = start, torch.zeros_like(start), torch.zeros_like(start)
    for t, (g, want) in enumerate(zip(grads, expected), start=1):
        p, m, v = adam_step(p, g, m, v, t, decoupled=decoupled, **kwargs)
        torch.testing.assert_close(p, want, rtol=1e-6, atol=1e-6)


def test_rmsprop_step_matches_torch(problem):
    start, grads = problem
    expected = _run_torch(torch.optim.RMSprop, start, grads, lr=1e-2, weight_decay=0.01)
    p, sq = start, torch.zeros_like(start)
    for g, want in zip(grads, expected):
        p, sq = rmsprop_step(p, g, sq, lr=1e-2, weight_decay=0.01)
        torch.testing.assert_close(p, want, rtol=1e-6, atol=1e-6)


def test_adagrad_step_matches_torch(problem):
    start, grads = problem
    expected = _run_torch(torch.optim.Adagrad, start, grads, lr=0.1)
    p, acc = start, torch.zeros_like(start)
    for g, want in zip(grads, expected):
        p, acc = adagrad_step(p, g, acc, lr=0.1)
        torch.testing.assert_close(p, want, rtol=1e-6, atol=1e-6)


def test_adadelta_step_matches_torch(problem):
    start, grads = problem
    expected = _run_torch(torch.optim.Adadelta, start, grads, lr=1.0)
    p, sq, delta = start, torch.zeros_like(start), torch.zeros_like(start)
    for g, want in zip(grads, expected):
        p, sq, delta = adadelta_step(p, g, sq, delta)
        torch.testing.assert_close(p, want, rtol=1e-6, atol=1e-6)


def test_step_functions_change_nothing_in_place(problem):
    start, grads = problem
    before = start.clone()
    m, v = torch.zeros_like(start), torch.zeros_like(start)
    adam_step(start, grads[0], m, v, 1)
    sgd_step(start, grads[0], v, lr=0.1, momentum=0.9)
    assert torch.equal(start, before) and not m.any() and not v.any()


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sgd", torch.optim.SGD),
        ("adagrad", torch.optim.Adagrad),
        ("rmsprop", torch.optim.RMSprop),
        ("adadelta", torch.optim.Adadelta),
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
    ],
)
def test_make_optimizer_builds_the_named_optimiser_with_its_usual_lr(name, cls):
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(3))], OptimConfig(name))
    assert type(opt) is cls
    assert opt.param_groups[0]["lr"] == DEFAULT_LR[name]


def test_make_optimizer_passes_settings_through():
    cfg = OptimConfig("sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    group = make_optimizer([torch.nn.Parameter(torch.zeros(3))], cfg).param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"], group["weight_decay"]) == (
        0.05,
        0.9,
        True,
        1e-4,
    )


def test_make_optimizer_uses_fused_adam_on_cpu():
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(3))], OptimConfig("adam"))
    assert opt.param_groups[0]["fused"] is True


def test_fused_and_plain_adam_agree(problem):
    start, grads = problem
    runs = []
    for fused in (True, False):
        p = torch.nn.Parameter(start.clone().float())
        opt = make_optimizer([p], OptimConfig("adam", lr=1e-2, fused=fused))
        for g in grads:
            p.grad = g.float()
            opt.step()
        runs.append(p.detach())
    torch.testing.assert_close(runs[0], runs[1], rtol=1e-6, atol=1e-6)


def test_sgd_phase_keeps_clipping_and_weight_decay():
    cfg = OptimConfig(
        "adam", weight_decay=1e-4, clip_grad_norm=5.0, switch_to_sgd_epoch=2, sgd_lr=0.02
    )
    sgd = cfg.sgd_phase()
    assert (sgd.name, sgd.base_lr, sgd.momentum) == ("sgd", 0.02, 0.9)
    assert (sgd.weight_decay, sgd.clip_grad_norm, sgd.switch_to_sgd_epoch) == (1e-4, 5.0, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(name="lbfgs"), "unknown optimiser"),
        (dict(lr=0.0), "lr must be > 0"),
        (dict(name="sgd", nesterov=True), "nesterov"),
        (dict(momentum=1.0), "momentum"),
        (dict(clip_grad_norm=0.0), "clip_grad_norm"),
        (dict(switch_to_sgd_epoch=0), "counts epochs from 1"),
        (dict(name="sgd", switch_to_sgd_epoch=2), "already 'sgd'"),
    ],
)
def test_optim_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OptimConfig(**kwargs)
