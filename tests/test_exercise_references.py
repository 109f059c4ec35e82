"""The references the exercise checks compare with, now in the library (lessons 04, 13, 15, 16)."""

import pytest
import torch

from mnist_lab.augment import shift_pixels
from mnist_lab.ensemble import ema_update
from mnist_lab.models import dropout_with_mask
from mnist_lab.optim import adam_step, l2_penalty, sgd_step, steps_in_a_row


def test_steps_in_a_row_matches_torch_sgd_with_momentum():
    gen = torch.Generator().manual_seed(0)
    start, grads = torch.randn(4, generator=gen), torch.randn(3, 4, generator=gen)
    param = torch.nn.Parameter(start.clone())
    opt = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    for g in grads:
        param.grad = g.clone()
        opt.step()
    mine, velocity = steps_in_a_row(sgd_step)(start, grads, lr=0.1, momentum=0.9)
    torch.testing.assert_close(mine, param.detach())
    torch.testing.assert_close(velocity, opt.state[param]["momentum_buffer"])


def test_steps_in_a_row_counts_steps_from_one_for_adam():
    seen = []

    def spy(param, grad, m, v, t, lr):
        seen.append(t)
        return adam_step(param, grad, m, v, t, lr=lr)

    steps_in_a_row(spy, states=2, count_steps=True)(torch.zeros(2), torch.ones(3, 2), lr=0.1)
    assert seen == [1, 2, 3]


def test_l2_penalty_gradient_is_weight_decay_times_each_parameter():
    w, b = torch.randn(3, 2, requires_grad=True), torch.randn(3, requires_grad=True)
    l2_penalty([w, b], 0.1).backward()
    torch.testing.assert_close(w.grad, 0.1 * w.detach())
    torch.testing.assert_close(b.grad, 0.1 * b.detach())


def test_dropout_with_mask_keeps_the_expected_value_and_is_the_identity_in_eval():
    x = torch.ones(1000)
    mask = torch.rand(1000, generator=torch.Generator().manual_seed(0)) >= 0.25
    out = dropout_with_mask(x, mask, 0.25)
    assert (out[~mask] == 0).all()
    torch.testing.assert_close(out[mask], torch.full_like(out[mask], 1 / 0.75))
    assert dropout_with_mask(x, mask, 0.25, training=False) is x


def test_dropout_with_mask_rejects_p_of_one():
    with pytest.raises(ValueError, match="p must be in"):
        dropout_with_mask(torch.ones(2), torch.ones(2, dtype=torch.bool), 1.0)


def test_shift_pixels_moves_without_wrapping_around():
    image = torch.zeros(1, 28, 28)
    image[0, 0, 27] = 1.0  # top-right corner
    moved = shift_pixels(image, torch.tensor([1]), torch.tensor([2]))
    assert moved.sum() == 0  # it left the picture to the right; nothing comes back on the left
    back = shift_pixels(image, torch.tensor([-27]), torch.tensor([27]))
    assert back[0, 27, 0] == 1.0 and back.sum() == 1.0


def test_shift_pixels_rejects_a_shift_as_large_as_the_image():
    with pytest.raises(ValueError, match="smaller than the image"):
        shift_pixels(torch.zeros(1, 28, 28), torch.tensor([28]), torch.tensor([0]))


def test_ema_update_weights_the_old_average_by_decay():
    avg, new = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 6.0])
    torch.testing.assert_close(ema_update(avg, new, 0.75), torch.tensor([1.5, 3.0]))
    assert torch.equal(avg, torch.tensor([1.0, 2.0]))  # a new tensor; the inputs stay
