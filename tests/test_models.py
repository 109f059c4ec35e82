"""The MLP: the book's baseline, every option, the init schemes, and bad options."""

import math

import pytest
import torch
from torch import nn

from mnist_lab.models import (
    ACTIVATIONS,
    MLP,
    NORMS,
    MLPConfig,
    count_parameters,
    init_weights,
    make_activation,
)


def test_default_mlp_is_the_books_baseline():
    model = MLP()
    (block,) = model.hidden
    assert (block.linear.in_features, block.linear.out_features) == (784, 200)
    assert isinstance(block.act, nn.Sigmoid) and isinstance(block.norm, nn.Identity)
    assert (model.out.in_features, model.out.out_features) == (200, 10)
    assert isinstance(model.out_act, nn.Sigmoid)


def test_default_mlp_has_159010_parameters():
    assert count_parameters(MLP()) == 784 * 200 + 200 + 200 * 10 + 10 == 159_010


def test_count_parameters_skips_frozen_ones():
    model = MLP()
    model.hidden[0].linear.weight.requires_grad_(False)
    assert count_parameters(model) == 159_010 - 784 * 200


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_hidden_activation_builds_and_gives_one_output_per_class(activation):
    model = MLP(hidden_activation=activation)
    assert model(torch.rand(5, 784)).shape == (5, 10)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sigmoid", nn.Sigmoid),
        ("tanh", nn.Tanh),
        ("relu", nn.ReLU),
        ("leaky_relu", nn.LeakyReLU),
        ("none", nn.Identity),
    ],
)
def test_make_activation_returns_the_named_module(name, cls):
    assert isinstance(make_activation(name), cls)


def test_leaky_relu_uses_the_books_slope():
    act = MLP(hidden_activation="leaky_relu").hidden[0].act
    assert act.negative_slope == 0.02


@pytest.mark.parametrize("norm", NORMS)
def test_every_norm_builds_with_the_right_layer(norm):
    model = MLP(norm=norm)
    expected = {"none": nn.Identity, "layer": nn.LayerNorm, "batch": nn.BatchNorm1d}[norm]
    assert isinstance(model.hidden[0].norm, expected)
    assert model(torch.rand(4, 784)).shape == (4, 10)


def test_layer_norm_adds_a_gain_and_bias_per_hidden_unit():
    assert count_parameters(MLP(norm="layer")) == 159_010 + 2 * 200


def test_logits_model_has_no_output_squashing():
    model = MLP(output_activation="none")
    x = torch.rand(3, 784)
    torch.testing.assert_close(model(x), model.out(model.hidden[0](x)))


def test_images_are_flattened():
    model = MLP()
    images = torch.rand(2, 28, 28)
    torch.testing.assert_close(model(images), model(images.reshape(2, 784)))


def test_deep_mlp_has_one_block_per_hidden_layer():
    model = MLP(sizes=(784, 64, 32, 16, 10))
    assert len(model.hidden) == 3
    assert [m.out_features for m in model.linears()] == [64, 32, 16, 10]
    assert model(torch.rand(2, 784)).shape == (2, 10)


def test_dropout_is_active_in_train_mode_only():
    torch.manual_seed(0)
    model = MLP(dropout=0.5)
    x = torch.rand(8, 784)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_residual_block_adds_its_input_back():
    model = MLP(sizes=(784, 32, 32, 10), residual=True)
    first, second = model.hidden
    assert not first.residual and second.residual  # only equal widths can be added
    h = torch.rand(3, 32)
    torch.testing.assert_close(second(h), h + second.act(second.linear(h)))


def test_train_and_eval_are_not_shadowed():
    model = MLP(norm="batch", dropout=0.2)
    assert type(model).train is nn.Module.train and type(model).eval is nn.Module.eval
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_config_overrides_merge_into_a_given_config():
    cfg = MLPConfig(hidden_activation="relu")
    model = MLP(cfg, norm="layer")
    assert model.cfg == MLPConfig(hidden_activation="relu", norm="layer")


@pytest.mark.parametrize(
    ("scheme", "expected_std"),
    [
        ("normal", lambda fan_in, fan_out: 0.02),
        ("scaled", lambda fan_in, fan_out: 1 / math.sqrt(fan_in)),
        ("xavier", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
        ("kaiming", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    ],
)
def test_init_schemes_give_the_expected_std_and_zero_biases(scheme, expected_std):
    torch.manual_seed(0)
    scale = 0.02 if scheme == "normal" else 1.0
    model = MLP(sizes=(784, 400, 10), init=scheme, init_scale=scale)
    layer = model.hidden[0].linear  # 313,600 weights: the sample std is within ~0.3%
    assert layer.weight.std().item() == pytest.approx(expected_std(784, 400), rel=0.02)
    assert not layer.bias.any()


def test_scaled_init_multiplies_by_init_scale():
    torch.manual_seed(0)
    layer = MLP(init="scaled", init_scale=0.1).hidden[0].linear
    assert layer.weight.std().item() == pytest.approx(0.1 / math.sqrt(784), rel=0.02)


def test_default_init_is_pytorchs_uniform():
    layer = MLP().hidden[0].linear
    bound = 1 / math.sqrt(784)
    assert layer.weight.abs().max().item() <= bound
    assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_init_weights_reinitialises_in_place():
    model = MLP()
    init_weights(model, "normal", 0.5)
    assert model.out.weight.std().item() == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(hidden_activation="swish"),
        dict(output_activation="softmax"),
        dict(norm="group"),
        dict(init="he"),
        dict(dropout=1.0),
        dict(dropout=-0.1),
        dict(sizes=(784,)),
    ],
)
def test_bad_options_raise(kwargs):
    with pytest.raises(ValueError):
        MLP(**kwargs)


def test_unknown_init_scheme_raises_naming_the_choices():
    with pytest.raises(ValueError, match="choose one of"):
        init_weights(MLP(), "orthogonal")


def test_unknown_activation_raises_naming_the_choices():
    with pytest.raises(ValueError, match="choose one of"):
        make_activation("gelu")
