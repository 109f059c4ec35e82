"""Per-layer activation and gradient measurements."""

import torch
from torch import nn

from mnist_lab.inspect import activation_stats, gradient_norms, layer_outputs
from mnist_lab.models import MLP


def _deep(act: str) -> MLP:
    torch.manual_seed(0)
    return MLP(sizes=(784,) + (64,) * 8 + (10,), hidden_activation=act, output_activation="none")


def test_layer_outputs_returns_one_entry_per_linear_layer_with_its_shape():
    model = _deep("sigmoid")
    outs = layer_outputs(model, torch.rand(5, 784))
    assert len(outs) == 9
    assert all(o.shape == (5, 64) for o in list(outs.values())[:-1])


def test_layer_outputs_leaves_no_hooks_behind():
    model = _deep("relu")
    layer_outputs(model, torch.rand(2, 784))
    assert all(not m._forward_hooks for m in model.modules())


def test_activation_stats_reports_the_saturated_fraction():
    model = nn.Sequential(nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.fill_(10.0)
        model[0].bias.zero_()
    (row,) = activation_stats(model, torch.ones(4, 3))
    assert row["saturated"] == 1.0 and row["min"] == 30.0


def test_sigmoid_gradients_vanish_towards_the_input_but_relu_gradients_do_not():
    x, y = torch.rand(64, 784), torch.randint(0, 10, (64,))
    loss = nn.functional.cross_entropy
    sig = list(gradient_norms(_deep("sigmoid"), x, y, loss).values())
    relu = list(gradient_norms(_deep("relu"), x, y, loss).values())
    assert sig[0] < sig[-1] / 100
    assert relu[0] > relu[-1] / 100


def test_gradient_norms_clear_the_gradients_afterwards():
    model = _deep("relu")
    gradient_norms(model, torch.rand(4, 784), torch.zeros(4, dtype=torch.long),
                   nn.functional.cross_entropy)
    assert all(p.grad is None for p in model.parameters())
