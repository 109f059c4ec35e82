"""The training recipe's sanity checks: initial loss, gradient checking, the LR range test."""

import math

import pytest
import torch
from torch import nn

from mnist_lab import recipe
from mnist_lab.models import MLP
from mnist_lab.optim import OptimConfig


def blobs(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """An easy stand-in for MNIST: 10 fixed random 'digits' in [0, 1]^784 plus noise."""
    centres = torch.rand(10, 784, generator=torch.Generator().manual_seed(123))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    return (centres[y] + 0.3 * torch.randn(n, 784, generator=g)).clamp(0, 1), y


def test_expected_initial_loss_is_log_c_for_cross_entropy():
    assert recipe.expected_initial_loss("cross_entropy", 10) == pytest.approx(math.log(10))
    assert recipe.expected_initial_loss("cross_entropy", 2) == pytest.approx(math.log(2))


def test_expected_initial_loss_of_sigmoid_outputs_ignores_class_count():
    assert recipe.expected_initial_loss("mse", 10) == recipe.expected_initial_loss("mse", 3) == 0.25
    assert recipe.expected_initial_loss("bce", 7) == pytest.approx(math.log(2))


def test_expected_initial_loss_rejects_unknown_loss():
    with pytest.raises(ValueError, match="unknown loss"):
        recipe.expected_initial_loss("hinge")


def test_initial_loss_of_fresh_logits_mlp_is_near_log_10():
    torch.manual_seed(0)
    x, y = blobs(500)
    model = MLP(hidden_activation="leaky_relu", output_activation="none")
    assert recipe.initial_loss(model, x, y, "cross_entropy") == pytest.approx(math.log(10), abs=0.1)


def test_initial_loss_keeps_training_mode():
    model = MLP(dropout=0.5)
    x, y = blobs(20)
    recipe.initial_loss(model, x, y, "mse")
    assert model.training


def test_numerical_gradient_matches_analytic_gradient():
    x = torch.linspace(-1, 1, 7, dtype=torch.float64)
    grad = recipe.numerical_gradient(lambda v: (v.sin() * v).sum(), x)
    torch.testing.assert_close(grad, x.cos() * x + x.sin(), atol=1e-8, rtol=0)


def test_numerical_gradient_leaves_input_unchanged():
    x = torch.randn(3, 4, dtype=torch.float64)
    before = x.clone()
    recipe.numerical_gradient(lambda v: (v**2).sum(), x)
    assert torch.equal(x, before)


def test_numerical_gradient_rejects_integer_input():
    with pytest.raises(TypeError, match="floating-point"):
        recipe.numerical_gradient(lambda v: v.sum(), torch.arange(3))


def test_gradient_check_passes_for_a_correct_backward():
    w = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 1, 2, 0, 1])
    error = recipe.gradient_check(lambda w: nn.functional.cross_entropy(x @ w, labels), w)
    assert error < 1e-7


class _WrongSquare(torch.autograd.Function):
    """x² with a deliberately wrong backward (x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


def test_gradient_check_catches_a_wrong_backward():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    assert recipe.gradient_check(lambda v: _WrongSquare.apply(v).sum(), x) > 0.1


def test_lr_rises_exponentially_from_lr_min_to_lr_max():
    cfg = recipe.RangeTestConfig(lr_min=1e-5, lr_max=1e-1, steps=101)
    assert recipe.lr_at_step(cfg, 0) == pytest.approx(1e-5)
    assert recipe.lr_at_step(cfg, 50) == pytest.approx(1e-3)
    assert recipe.lr_at_step(cfg, 100) == pytest.approx(1e-1)


def test_range_test_config_rejects_reversed_bounds():
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        recipe.RangeTestConfig(lr_min=1.0, lr_max=1e-3)


def test_lr_range_test_stops_when_the_loss_blows_up():
    torch.manual_seed(0)
    x, y = blobs(256)
    cfg = recipe.RangeTestConfig(lr_min=1e-4, lr_max=1e4, steps=60, batch_size=32,
                                 optim=OptimConfig(name="sgd"))
    result = recipe.lr_range_test(MLP(output_activation="none"), x, y, cfg)
    assert result.stopped_early and len(result.losses) < 60


def test_lr_range_test_suggests_a_sane_adam_lr():
    torch.manual_seed(0)
    x, y = blobs(512)
    cfg = recipe.RangeTestConfig(lr_min=1e-6, lr_max=10.0, steps=80, batch_size=32)
    result = recipe.lr_range_test(MLP(output_activation="none", sizes=(784, 32, 10)), x, y, cfg)
    assert 1e-5 < recipe.suggest_lr(result) < 1.0


def test_lr_range_test_is_reproducible():
    x, y = blobs(128)
    cfg = recipe.RangeTestConfig(steps=20, batch_size=16)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = MLP(output_activation="none", sizes=(784, 16, 10))
        runs.append(recipe.lr_range_test(model, x, y, cfg).losses)
    assert runs[0] == runs[1]


def test_suggest_lr_picks_the_steepest_fall_before_the_minimum():
    lrs = list(10.0 ** torch.linspace(-6, 0, 61).double().numpy())
    # flat, a steep fall centred at 1e-3, then a rise: the steepest point is ~1e-3
    losses = [2.3 - 2.0 / (1 + math.exp(-4 * (math.log10(lr) + 3))) for lr in lrs[:45]]
    losses += [losses[-1] + 0.5 * k for k in range(1, 17)]
    assert 1e-3 / 3 < recipe.suggest_lr(recipe.RangeTestResult(lrs, losses, False), beta=0) < 3e-3


def test_suggest_lr_rejects_a_loss_that_never_falls():
    lrs = [10.0**-k for k in range(20, 0, -1)]
    with pytest.raises(ValueError, match="never fell"):
        recipe.suggest_lr(recipe.RangeTestResult(lrs, [1.0 + 0.1 * k for k in range(20)], False))
