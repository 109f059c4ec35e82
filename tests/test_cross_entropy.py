"""The softmax cross-entropy reference of lesson 02: stable at large logits, gradient p − y."""

import torch
import torch.nn.functional as F

from mnist_lab.losses import cross_entropy, cross_entropy_grad


def _logits_and_labels(scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return scale * torch.randn(5, 10, generator=gen), torch.tensor([3, 0, 9, 4, 4])


def test_cross_entropy_stays_finite_and_matches_torch_at_huge_logits():
    logits, labels = _logits_and_labels(scale=1000.0)  # exp(1000) overflows float32
    value = cross_entropy(logits, labels)
    assert torch.isfinite(value)
    torch.testing.assert_close(value, F.cross_entropy(logits, labels))


def test_cross_entropy_grad_equals_autograd():
    logits, labels = _logits_and_labels()
    logits.requires_grad_(True)
    (expected,) = torch.autograd.grad(F.cross_entropy(logits, labels), logits)
    torch.testing.assert_close(cross_entropy_grad(logits.detach(), labels), expected)


def test_cross_entropy_grad_is_p_minus_y_over_n():
    logits, labels = _logits_and_labels()
    p_minus_y = torch.softmax(logits, 1) - F.one_hot(labels, 10).float()
    torch.testing.assert_close(cross_entropy_grad(logits, labels), p_minus_y / len(labels))


def test_cross_entropy_grad_rows_sum_to_zero_at_huge_logits():
    logits, labels = _logits_and_labels(scale=1000.0)
    grad = cross_entropy_grad(logits, labels)
    assert torch.isfinite(grad).all()
    torch.testing.assert_close(grad.sum(1), torch.zeros(5), atol=1e-6, rtol=0)
