"""Tests for mnist_lab.transfer (lesson 17): tiny synthetic data, one behaviour each."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mnist_lab.metrics import accuracy
from mnist_lab.models import MLP
from mnist_lab.train import TrainConfig, fit
from mnist_lab.transfer import (
    TransferConfig,
    features,
    fit_head,
    freeze,
    new_head,
    prepare,
    subset_classes,
    train_transfer,
    trainable,
    transfer,
)


def tiny_mlp(num_classes: int = 3, seed: int = 0) -> MLP:
    torch.manual_seed(seed)
    return MLP(sizes=(784, 16, 8, num_classes), hidden_activation="relu",
               output_activation="none")


def tiny_data(n: int = 40, num_classes: int = 3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 784, generator=gen), torch.arange(n) % num_classes


def copy_params(model: MLP) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def changed(before: dict[str, torch.Tensor], model: MLP) -> set[str]:
    # fit may have moved the model to the GPU ($MNIST_LAB_DEVICE): compare on its device
    return {name for name, p in model.named_parameters()
            if not torch.equal(before[name].to(p.device), p)}


def test_subset_classes_relabels_in_the_order_given():
    x = torch.arange(8.0).unsqueeze(1)  # x remembers each sample's position
    y = torch.tensor([5, 7, 1, 9, 7, 5, 0, 9])
    xs, ys = subset_classes(x, y, [9, 5, 7])
    assert ys.tolist() == [1, 2, 0, 2, 1, 0]  # 9 → 0, 5 → 1, 7 → 2
    assert xs.flatten().tolist() == [0, 1, 3, 4, 5, 7]  # file order kept


def test_subset_classes_rejects_missing_classes():
    with pytest.raises(ValueError, match=r"classes \[3\] do not occur"):
        subset_classes(torch.zeros(3, 2), torch.tensor([0, 1, 2]), [1, 3])


def test_subset_classes_rejects_repeated_classes():
    with pytest.raises(ValueError, match="twice"):
        subset_classes(torch.zeros(3, 2), torch.tensor([0, 1, 2]), [1, 1])


def test_subset_classes_rejects_an_empty_list():
    with pytest.raises(ValueError, match="empty"):
        subset_classes(torch.zeros(3, 2), torch.tensor([0, 1, 2]), [])


def test_freeze_switches_off_every_gradient():
    model = freeze(tiny_mlp())
    assert not any(p.requires_grad for p in model.parameters())


def test_trainable_keeps_only_the_last_layers_trainable():
    model = trainable(tiny_mlp(), 2)
    flags = [layer.weight.requires_grad for layer in model.linears()]
    assert flags == [False, True, True]


def test_trainable_rejects_more_layers_than_the_model_has():
    with pytest.raises(ValueError, match="between 0 and 3"):
        trainable(tiny_mlp(), 4)


def test_new_head_replaces_the_output_layer_and_keeps_the_rest():
    source = tiny_mlp(num_classes=3)
    model = new_head(source, 5)
    assert model(torch.rand(2, 784)).shape == (2, 5)
    assert model.cfg.sizes == (784, 16, 8, 5)
    assert torch.equal(model.hidden[0].linear.weight, source.hidden[0].linear.weight)
    assert source.out.out_features == 3  # the pretrained model is left alone


def test_features_are_the_penultimate_layer_outputs():
    model = tiny_mlp()
    x = torch.rand(4, 784)
    expected = model.hidden[1](model.hidden[0](x))
    assert torch.allclose(features(model, x), expected)
    assert features(model, x).shape == (4, 8)


def test_frozen_weights_do_not_change_during_training():
    model = trainable(tiny_mlp(), 1)
    before = copy_params(model)
    fit(model, tiny_data(), TrainConfig(epochs=3, batch_size=8, loss="cross_entropy",
                                        progress=False))
    assert changed(before, model) == {"out.weight", "out.bias"}  # only the head trains


def test_features_come_out_on_the_models_device():
    model = tiny_mlp().to("meta")  # x stays on the CPU: features must move it to the model
    assert features(model, torch.rand(4, 784)).device == torch.device("meta")


def test_prepare_frozen_trains_only_the_new_head():
    model = prepare(tiny_mlp(num_classes=3), 2, "frozen", TransferConfig())
    trained = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trained == {"out.weight", "out.bias"}
    assert model.out.out_features == 2


def test_prepare_scratch_starts_from_new_weights():
    source = tiny_mlp()
    model = prepare(source, 3, "scratch", TransferConfig(seed=1))
    assert not torch.equal(model.hidden[0].linear.weight, source.hidden[0].linear.weight)
    assert all(p.requires_grad for p in model.parameters())


def test_prepare_rejects_unknown_strategies():
    with pytest.raises(ValueError, match="unknown strategy 'freeze'"):
        prepare(tiny_mlp(), 3, "freeze", TransferConfig())


def test_transfer_leaves_the_pretrained_model_unchanged():
    source = tiny_mlp()
    before = copy_params(source)
    data = (tiny_data(seed=1), tiny_data(seed=2))
    transfer(source, data, "all", TransferConfig(steps=5, batch_size=16))
    assert changed(before, source) == set()
    assert all(p.requires_grad for p in source.parameters())


def test_transfer_is_reproducible():
    data = (tiny_data(seed=1), tiny_data(seed=2))
    cfg = TransferConfig(steps=5, batch_size=16)
    runs = [transfer(tiny_mlp(), data, "last_layers", cfg) for _ in range(2)]
    assert runs[0] == runs[1]
    assert 0.0 <= runs[0] <= 1.0


def test_transfer_config_rejects_a_zero_step_budget():
    with pytest.raises(ValueError, match="steps must be >= 1"):
        TransferConfig(steps=0)


def test_new_head_with_depth_reads_an_earlier_layer():
    model = new_head(tiny_mlp(num_classes=3), 4, depth=1)
    assert len(model.hidden) == 1
    assert model.out.in_features == 16  # the first hidden layer's width
    assert model.cfg.sizes == (784, 16, 4)
    assert model(torch.rand(2, 784)).shape == (2, 4)


def test_new_head_rejects_a_depth_beyond_the_hidden_layers():
    with pytest.raises(ValueError, match="depth must be between 0 and 2"):
        new_head(tiny_mlp(), 3, depth=3)


def separable_features(n: int = 300, width: int = 6, num_classes: int = 3, seed: int = 0):
    """Features (n, width) whose labels a linear head can predict exactly."""
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(n, width, generator=gen)
    return feats, (feats @ torch.randn(width, num_classes, generator=gen)).argmax(dim=1)


def test_fit_head_fits_linearly_separable_features():
    feats, y = separable_features()
    head = fit_head(nn.Linear(6, 3), feats, y, iters=100, l2=0.0)
    assert accuracy(head, feats, y) > 0.97


def test_fit_head_copes_with_features_of_very_different_scales():
    feats, y = separable_features()
    scales = torch.tensor([1e-3, 1.0, 1e3, 1.0, 10.0, 1e-2])  # ReLU features are rarely alike
    head = fit_head(nn.Linear(6, 3), feats * scales, y, iters=100, l2=0.0)
    assert accuracy(head, feats * scales, y) > 0.97  # the head reads the raw, unscaled features


def test_fit_head_rejects_features_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match="feats has 4 rows but y has 3 labels"):
        fit_head(nn.Linear(2, 2), torch.zeros(4, 2), torch.tensor([0, 1, 0]))


def test_train_transfer_frozen_trains_the_head_and_nothing_else():
    source = tiny_mlp()
    model = train_transfer(source, tiny_data(), "frozen", TransferConfig(head_iters=5))
    for kept, pretrained in zip(model.linears()[:-1], source.linears()[:-1]):
        assert torch.equal(kept.weight.cpu(), pretrained.weight)  # hidden layers: the source's
    untrained = prepare(source, 3, "frozen", TransferConfig(head_iters=5))
    assert not torch.equal(model.out.weight.cpu(), untrained.out.weight)  # the head has learnt


def test_train_transfer_returns_the_network_transfer_scores():
    data = (tiny_data(seed=1), tiny_data(seed=2))
    cfg = TransferConfig(steps=5, batch_size=16)
    model = train_transfer(tiny_mlp(), data[0], "all", cfg)
    assert transfer(tiny_mlp(), data, "all", cfg) == accuracy(model, *data[1])


def test_transfer_config_rejects_a_negative_weight_decay():
    with pytest.raises(ValueError, match="head_l2 must be >= 0"):
        TransferConfig(head_l2=-1.0)
