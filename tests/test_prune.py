"""Layer summary, neuron ranking and structured pruning."""

import pytest
import torch

from mnist_lab.models import MLP, MLPConfig, count_parameters
from mnist_lab.prune import (
    keep_indices,
    layer_table,
    neuron_norms,
    neuron_scores,
    prune_lowest,
    prune_neurons,
    state_dict_bytes,
    summary,
)


def _model(sizes=(784, 32, 16, 10), **kw):
    torch.manual_seed(0)
    return MLP(MLPConfig(sizes=sizes, hidden_activation="relu", output_activation="none", **kw))


@pytest.fixture
def x():
    return torch.rand(20, 784, generator=torch.Generator().manual_seed(1))


def _zero_outgoing(model, layer, removed):
    """A copy of the model with the removed neurons' outgoing weights set to zero."""
    import copy

    masked = copy.deepcopy(model)
    nxt = masked.hidden[layer + 1].linear if layer + 1 < len(masked.hidden) else masked.out
    with torch.no_grad():
        nxt.weight[:, removed] = 0.0
    return masked


@pytest.mark.parametrize("layer", [0, 1])
def test_pruned_model_equals_original_with_outgoing_weights_zeroed(x, layer):
    model = _model()
    keep = torch.tensor([0, 3, 5, 6, 9, 10, 11, 15])
    removed = [j for j in range(model.hidden[layer].linear.out_features) if j not in keep]
    pruned = prune_neurons(model, layer, keep)
    expected = _zero_outgoing(model, layer, removed)(x)
    assert torch.allclose(pruned(x), expected, atol=1e-6)


def test_pruned_model_with_batch_norm_is_exact_in_eval_mode(x):
    model = _model(norm="batch")
    model.train()
    model(x)  # move the running statistics away from their start values
    model.eval()
    keep = torch.arange(0, 32, 2)
    pruned = prune_neurons(model, 0, keep).eval()
    removed = torch.arange(1, 32, 2)
    assert torch.allclose(pruned(x), _zero_outgoing(model, 0, removed)(x), atol=1e-6)


def test_pruned_shapes_and_config():
    pruned = prune_neurons(_model(), 0, [1, 2, 3])
    assert pruned.hidden[0].linear.weight.shape == (3, 784)
    assert pruned.hidden[0].linear.bias.shape == (3,)
    assert pruned.hidden[1].linear.weight.shape == (16, 3)
    assert pruned.cfg.sizes == (784, 3, 16, 10)


def test_pruning_the_last_hidden_layer_shrinks_the_output_layer():
    pruned = prune_neurons(_model(), 1, [0, 4])
    assert pruned.out.weight.shape == (10, 2)


def test_pruning_leaves_the_original_model_unchanged():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    prune_neurons(model, 0, [0, 1])
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_pruning_does_not_move_the_global_rng():
    torch.manual_seed(5)
    model = _model()
    state = torch.get_rng_state()
    prune_neurons(model, 0, [0, 1])
    assert torch.equal(state, torch.get_rng_state())


def test_pruned_model_is_genuinely_smaller():
    model = _model()
    pruned = prune_neurons(model, 0, list(range(8)))
    assert count_parameters(pruned) == 784 * 8 + 8 + 8 * 16 + 16 + 16 * 10 + 10
    assert state_dict_bytes(pruned) == 4 * count_parameters(pruned)  # float32, no buffers
    assert state_dict_bytes(pruned) < state_dict_bytes(model)


def test_pruned_model_can_be_trained():
    pruned = prune_neurons(_model(), 0, [2, 7])
    loss = pruned(torch.rand(4, 784)).sum()
    loss.backward()
    assert pruned.hidden[0].linear.weight.grad.shape == (2, 784)


@pytest.mark.parametrize("bad, message", [
    ([], "empty"),
    ([0, 32], "0..31"),
    ([-1], "0..31"),
    ([1, 1], "repeated"),
    (torch.tensor([0.0, 1.0]), "indices"),
    (torch.ones(32, dtype=torch.bool), "boolean mask"),
])
def test_bad_indices_raise_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        prune_neurons(_model(), 0, bad)


def test_bad_layer_raises():
    with pytest.raises(ValueError, match="hidden layer, 0..1"):
        prune_neurons(_model(), 2, [0])


def test_layer_norm_and_residual_models_are_refused():
    with pytest.raises(ValueError, match="LayerNorm"):
        prune_neurons(_model(norm="layer"), 0, [0])
    with pytest.raises(ValueError, match="residual"):
        prune_neurons(_model(sizes=(784, 16, 16, 10), residual=True), 0, [0])


def test_neuron_norms_l1_and_l2():
    w = torch.tensor([[3.0, -4.0], [0.0, 1.0]])
    assert neuron_norms(w, "l1").tolist() == [7.0, 1.0]
    assert neuron_norms(w, "l2").tolist() == [5.0, 1.0]
    with pytest.raises(ValueError, match="norm"):
        neuron_norms(w, "l3")


def test_neuron_scores_read_the_incoming_weights():
    model = _model()
    expected = model.hidden[1].linear.weight.abs().sum(dim=1)
    assert torch.allclose(neuron_scores(model, 1), expected)


def test_keep_indices_drop_the_lowest_and_come_sorted():
    scores = torch.tensor([0.5, 0.1, 0.9, 0.3, 0.7])
    assert keep_indices(scores, 2).tolist() == [0, 2, 4]
    assert keep_indices(scores, 0).tolist() == [0, 1, 2, 3, 4]


def test_keep_indices_break_ties_by_removing_the_lower_index_first():
    assert keep_indices(torch.tensor([1.0, 1.0, 1.0, 2.0]), 2).tolist() == [2, 3]


def test_keep_indices_must_keep_one_neuron():
    with pytest.raises(ValueError, match="keep at least one"):
        keep_indices(torch.ones(4), 4)


def test_prune_lowest_removes_the_weakest_neurons():
    model = _model()
    scores = neuron_scores(model, 0)
    pruned = prune_lowest(model, 0, 30)
    kept_scores = neuron_scores(pruned, 0)
    assert torch.equal(kept_scores.sort().values, scores.sort().values[30:])


def test_summary_lists_layers_and_total():
    model = _model()
    text = summary(model)
    assert "hidden.0.linear" in text and "784 → 32" in text
    assert f"{count_parameters(model):,}" in text
    assert sum(row[3] for row in layer_table(model)) == count_parameters(model)
