"""Reference activations against torch: values and gradients."""

import pytest
import torch
import torch.nn.functional as F

from mnist_lab import activations as A

X = torch.linspace(-120.0, 120.0, 2001, dtype=torch.float64)  # includes 0 and huge |x|
SMALL = torch.tensor([-3.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 3.0], dtype=torch.float64)

CASES = [
    (A.sigmoid, torch.sigmoid),
    (A.tanh, torch.tanh),
    (A.relu, torch.relu),
    (A.leaky_relu, lambda x: F.leaky_relu(x, 0.02)),
    (lambda x: A.leaky_relu(x, slope=0.3), lambda x: F.leaky_relu(x, 0.3)),
]
GRADS = [
    (A.sigmoid_grad, torch.sigmoid),
    (A.tanh_grad, torch.tanh),
    (A.relu_grad, torch.relu),
    (A.leaky_relu_grad, lambda x: F.leaky_relu(x, 0.02)),
    (lambda x: A.leaky_relu_grad(x, slope=0.3), lambda x: F.leaky_relu(x, 0.3)),
]


def _autograd(fn, x):
    x = x.clone().requires_grad_(True)
    fn(x).sum().backward()
    return x.grad


@pytest.mark.parametrize(("ours", "theirs"), CASES)
def test_activation_values_match_torch(ours, theirs):
    torch.testing.assert_close(ours(X), theirs(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("ours", "theirs"), CASES)
def test_autograd_through_activation_matches_torch(ours, theirs):
    torch.testing.assert_close(_autograd(ours, SMALL), _autograd(theirs, SMALL))


@pytest.mark.parametrize(("grad", "theirs"), GRADS)
def test_hand_written_slope_matches_torch_autograd(grad, theirs):
    torch.testing.assert_close(grad(X), _autograd(theirs, X), rtol=1e-12, atol=1e-12)


def test_activations_keep_shape_and_dtype():
    x = torch.randn(4, 3, 2)
    for fn, _ in CASES:
        out = fn(x)
        assert out.shape == x.shape and out.dtype == x.dtype


def test_tanh_and_sigmoid_stay_finite_for_huge_inputs():
    x = torch.tensor([-1e4, 1e4], dtype=torch.float32)
    assert torch.isfinite(A.tanh(x)).all()
    assert torch.isfinite(A.sigmoid(x)).all()


def test_sigmoid_slope_is_at_most_a_quarter():
    assert A.sigmoid_grad(X).max().item() == pytest.approx(0.25)
