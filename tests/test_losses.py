"""Reference losses against torch (values and gradients), and make_loss."""

import pytest
import torch
import torch.nn.functional as F

from mnist_lab.losses import bce_grad, bce_loss, cross_entropy, make_loss, mse_loss


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 10, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 10, (16,), generator=g)
    return logits, labels, F.one_hot(labels, 10).double()


def _value_and_grad(fn, x, *args, **kwargs):
    x = x.clone().requires_grad_(True)
    value = fn(x, *args, **kwargs)
    value.backward()
    return value.detach(), x.grad


def test_mse_loss_matches_torch(batch):
    logits, _, targets = batch
    probs = logits.sigmoid()
    ours = _value_and_grad(mse_loss, probs, targets)
    theirs = _value_and_grad(F.mse_loss, probs, targets)
    torch.testing.assert_close(ours, theirs)


def test_bce_loss_matches_torch(batch):
    logits, _, targets = batch
    probs = logits.sigmoid()
    torch.testing.assert_close(
        _value_and_grad(bce_loss, probs, targets),
        _value_and_grad(F.binary_cross_entropy, probs, targets),
    )


def test_bce_loss_clamps_log_at_minus_100_like_torch():
    probs = torch.tensor([[0.0, 1.0, 1e-45, 0.3, 1.0 - 1e-7]])
    targets = torch.tensor([[1.0, 0.0, 1.0, 0.5, 0.0]])
    torch.testing.assert_close(bce_loss(probs, targets), F.binary_cross_entropy(probs, targets))
    assert torch.isfinite(bce_loss(probs, targets))


def test_bce_grad_matches_torch_autograd(batch):
    logits, _, targets = batch
    probs = logits.sigmoid()
    _, expected = _value_and_grad(F.binary_cross_entropy, probs, targets)
    torch.testing.assert_close(bce_grad(probs, targets), expected)


def test_cross_entropy_matches_torch(batch):
    logits, labels, _ = batch
    torch.testing.assert_close(
        _value_and_grad(cross_entropy, logits, labels),
        _value_and_grad(F.cross_entropy, logits, labels),
    )


def test_cross_entropy_with_class_weights_matches_torch(batch):
    logits, labels, _ = batch
    weight = torch.linspace(0.5, 3.0, 10, dtype=torch.float64)
    torch.testing.assert_close(
        _value_and_grad(cross_entropy, logits, labels, weight),
        _value_and_grad(F.cross_entropy, logits, labels, weight=weight),
    )


def test_cross_entropy_survives_huge_logits():
    logits = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert torch.isfinite(cross_entropy(logits, torch.tensor([2])))


@pytest.mark.parametrize("loss", [mse_loss, bce_loss])
def test_uniform_class_weights_give_the_plain_loss(loss, batch):
    logits, _, targets = batch
    probs = logits.sigmoid()
    ones = torch.ones(10, dtype=torch.float64)
    torch.testing.assert_close(loss(probs, targets, 3 * ones), loss(probs, targets))


@pytest.mark.parametrize("loss", [mse_loss, bce_loss])
def test_class_weight_two_equals_seeing_that_class_twice(loss, batch):
    logits, labels, targets = batch
    probs = logits.sigmoid()
    c = labels[0].item()
    weight = torch.ones(10, dtype=torch.float64)
    weight[c] = 2.0
    again = labels == c
    doubled = loss(torch.cat([probs, probs[again]]), torch.cat([targets, targets[again]]))
    torch.testing.assert_close(loss(probs, targets, weight), doubled)


@pytest.mark.parametrize(
    ("name", "reference", "make_input"),
    [
        ("mse", mse_loss, torch.sigmoid),
        ("bce", bce_loss, torch.sigmoid),
        ("cross_entropy", None, lambda z: z),
    ],
)
def test_make_loss_takes_labels_and_matches_reference(name, reference, make_input, batch):
    logits, labels, targets = batch
    outputs = make_input(logits)
    fn = make_loss(name)
    got = _value_and_grad(fn, outputs, labels)
    if reference is None:
        expected = _value_and_grad(cross_entropy, outputs, labels)
    else:
        expected = _value_and_grad(reference, outputs, targets)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("name", ["mse", "bce", "cross_entropy"])
def test_make_loss_with_class_weights_matches_weighted_reference(name, batch):
    logits, labels, targets = batch
    weight = torch.arange(1.0, 11.0)
    outputs = (logits if name == "cross_entropy" else logits.sigmoid()).float()
    got = make_loss(name, class_weights=weight.tolist())(outputs, labels)
    reference = {"mse": mse_loss, "bce": bce_loss}.get(name)
    if reference is None:
        expected = cross_entropy(outputs, labels, weight)
    else:
        expected = reference(outputs, targets.float(), weight)
    torch.testing.assert_close(got, expected)


def test_make_loss_bce_lets_nan_through_instead_of_raising():
    probs = torch.full((2, 10), 0.5)
    probs[0, 3] = float("nan")
    assert torch.isnan(make_loss("bce")(probs, torch.tensor([3, 1])))


def test_make_loss_rejects_unknown_name():
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        make_loss("hinge")


def test_make_loss_rejects_wrong_number_of_class_weights():
    with pytest.raises(ValueError, match="one weight per class"):
        make_loss("bce", class_weights=[1.0, 2.0])


def test_make_loss_rejects_negative_class_weights():
    with pytest.raises(ValueError, match=">= 0"):
        make_loss("mse", class_weights=[-1.0] + [1.0] * 9)
