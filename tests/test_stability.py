"""init_std against the weights init_weights draws, and clip_grad_norm against torch."""

import math

import pytest
import torch
from torch import nn

from mnist_lab.models import init_weights
from mnist_lab.stability import clip_grad_norm, global_norm, init_std


@pytest.mark.parametrize("scheme, scale", [("default", 1.0), ("normal", 0.02), ("scaled", 0.1),
                                           ("scaled", 1.0), ("xavier", 1.0), ("kaiming", 1.0)])
def test_init_std_matches_the_weights_init_weights_draws(scheme, scale):
    torch.manual_seed(0)
    layer = nn.Sequential(nn.Linear(400, 300))
    init_weights(layer, scheme, scale)
    measured = layer[0].weight.std().item()
    assert measured == pytest.approx(init_std(scheme, 400, 300, scale), rel=0.02)


def test_init_std_xavier_and_kaiming_use_torchs_gains():
    assert init_std("xavier", 784, 200) == pytest.approx(math.sqrt(2 / 984))
    assert init_std("kaiming", 784, 200) == pytest.approx(
        nn.init.calculate_gain("relu") / math.sqrt(784))


def test_init_std_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="unknown init"):
        init_std("he", 10, 10)


def test_init_std_rejects_empty_layer():
    with pytest.raises(ValueError, match="fan_in"):
        init_std("xavier", 0, 10)


def _torch_clip(grads, max_norm):
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params]


def test_clip_grad_norm_matches_torch_when_clipping():
    gen = torch.Generator().manual_seed(0)
    grads = [10 * torch.randn(5, 4, generator=gen), 10 * torch.randn(3, generator=gen)]
    for mine, ref in zip(clip_grad_norm(grads, 5.0), _torch_clip(grads, 5.0)):
        torch.testing.assert_close(mine, ref)


def test_clip_grad_norm_leaves_small_gradients_unchanged():
    grads = [torch.tensor([0.3, -0.4])]  # norm 0.5
    torch.testing.assert_close(clip_grad_norm(grads, 1.0)[0], grads[0])


def test_clip_grad_norm_result_has_the_max_norm():
    grads = [torch.full((10,), 3.0), torch.full((2, 2), -4.0)]
    assert global_norm(clip_grad_norm(grads, 2.0)).item() == pytest.approx(2.0, rel=1e-5)


def test_clip_grad_norm_keeps_zero_gradients_finite():
    out = clip_grad_norm([torch.zeros(3), torch.zeros(2, 2)], 1.0)
    assert all(torch.equal(o, torch.zeros_like(o)) for o in out)


def test_clip_grad_norm_keeps_float64():
    grads = [torch.randn(4, dtype=torch.float64) * 100]
    out = clip_grad_norm(grads, 1.0)
    assert out[0].dtype == torch.float64
    torch.testing.assert_close(out[0], _torch_clip(grads, 1.0)[0])


def test_clip_grad_norm_changes_nothing_in_place():
    grads = [torch.full((3,), 10.0)]
    clip_grad_norm(grads, 1.0)
    assert torch.equal(grads[0], torch.full((3,), 10.0))


def test_clip_grad_norm_rejects_nonpositive_max_norm():
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([torch.ones(2)], 0.0)


def test_global_norm_rejects_empty_list():
    with pytest.raises(ValueError, match="empty"):
        global_norm([])
