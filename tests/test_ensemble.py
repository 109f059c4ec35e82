"""Tests for mnist_lab.ensemble: averaging, voting, snapshots, EMA and stacked training."""

import copy

import pytest
import torch

from mnist_lab import ensemble
from mnist_lab.metrics import predict, predict_proba
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig
from mnist_lab.train import Callback, TrainConfig, TrainingDiverged, fit

NET = MLPConfig(sizes=(20, 16, 3), hidden_activation="relu", output_activation="none")


def make_model(seed, cfg=NET):
    torch.manual_seed(seed)
    return MLP(cfg)


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(96, 20, generator=gen)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()  # 3 learnable classes
    return x, y


def config(**overrides):
    base = dict(epochs=2, batch_size=32, loss="cross_entropy", progress=False, device="cpu")
    return TrainConfig(**{**base, **overrides})


def max_difference(models_a, models_b):
    return max(
        (a - b).abs().max().item()
        for ma, mb in zip(models_a, models_b)
        for a, b in zip(ma.parameters(), mb.parameters())
    )


# ---- averaging and voting ----


def test_average_of_identical_models_equals_the_model(data):
    x, _ = data
    model = make_model(0)
    averaged = ensemble.average_probs([model, copy.deepcopy(model), copy.deepcopy(model)], x)
    torch.testing.assert_close(averaged, predict_proba(model, x))


def test_mean_probs_is_the_elementwise_mean():
    a, b = torch.tensor([[0.2, 0.8]]), torch.tensor([[0.6, 0.4]])
    torch.testing.assert_close(ensemble.mean_probs([a, b]), torch.tensor([[0.4, 0.6]]))


def test_majority_vote_picks_the_most_common_class():
    preds = [torch.tensor([0, 2]), torch.tensor([1, 2]), torch.tensor([1, 0])]
    assert ensemble.majority_vote(preds).tolist() == [1, 2]


def test_majority_vote_breaks_ties_towards_the_smallest_class():
    preds = torch.tensor([[2, 4, 3], [1, 3, 3], [0, 9, 5]])  # (K=3, N=3)
    # sample 0: a three-way tie; sample 1: 4 vs 3 vs 9; sample 2: 3 wins outright
    assert ensemble.majority_vote(preds, num_classes=10).tolist() == [0, 3, 3]


def test_majority_vote_tie_break_ignores_member_order():
    a, b = torch.tensor([7, 1]), torch.tensor([1, 7])
    assert ensemble.majority_vote([a, b]).tolist() == ensemble.majority_vote([b, a]).tolist()


def test_majority_vote_of_one_member_is_its_prediction():
    preds = torch.tensor([3, 0, 9, 9])
    assert ensemble.majority_vote([preds]).tolist() == preds.tolist()


def test_vote_of_models_matches_majority_vote_of_their_predictions(data):
    x, _ = data
    models = [make_model(s) for s in range(3)]
    expected = ensemble.majority_vote([predict(m, x) for m in models], num_classes=3)
    assert torch.equal(ensemble.vote(models, x), expected)


def test_average_probs_rejects_models_with_different_output_sizes(data):
    x, _ = data
    other = make_model(1, MLPConfig(sizes=(20, 16, 4), output_activation="none"))
    with pytest.raises(ValueError, match="one shape"):
        ensemble.average_probs([make_model(0), other], x)


def test_mean_probs_rejects_an_empty_list():
    with pytest.raises(ValueError, match="at least one"):
        ensemble.mean_probs([])


def test_vote_rejects_a_single_model_not_in_a_list(data):
    with pytest.raises(TypeError, match="list of nn.Module"):
        ensemble.vote(make_model(0), data[0])


def test_mean_std_uses_the_sample_standard_deviation():
    mean, std = ensemble.mean_std([0.90, 0.92, 0.94])
    assert mean == pytest.approx(0.92)
    assert std == pytest.approx(0.02)  # sqrt((0.02² + 0 + 0.02²) / (3 − 1))


def test_mean_std_of_one_run_has_zero_spread():
    assert ensemble.mean_std([0.5]) == (0.5, 0.0)


# ---- stacked training ----


def test_stack_and_unstack_parameters_round_trip():
    models = [make_model(s) for s in range(3)]
    params = ensemble.stack_parameters(models)
    assert params["out.weight"].shape == (3, 3, 16)  # (K, out, in)
    copies = [make_model(10 + s) for s in range(3)]
    ensemble.unstack_parameters(params, copies)
    assert max_difference(models, copies) == 0.0


def test_train_stacked_matches_separate_fit_runs_with_sgd(data):
    cfg = config(optim=OptimConfig("sgd", lr=0.1, momentum=0.9))
    separate = [make_model(s) for s in range(3)]
    for model in separate:
        fit(model, data, cfg)
    stacked = ensemble.train_stacked([make_model(s) for s in range(3)], data, cfg)
    assert max_difference(separate, stacked) < 1e-5  # float rounding only


def test_train_stacked_matches_separate_fit_runs_with_adam_and_a_schedule(data):
    # Adam divides by sqrt(v): a gradient that cancels to nearly 0 magnifies rounding a little
    cfg = config(optim=OptimConfig("adam", lr=1e-2), schedule=ScheduleConfig("cosine"))
    separate = [make_model(s) for s in range(3)]
    for model in separate:
        fit(model, data, cfg)
    stacked = ensemble.train_stacked([make_model(s) for s in range(3)], data, cfg)
    assert max_difference(separate, stacked) < 1e-4


def test_train_stacked_trains_the_given_models_in_place(data):
    models = [make_model(s) for s in range(2)]
    before = copy.deepcopy(models)
    returned = ensemble.train_stacked(models, data, config())
    assert all(a is b for a, b in zip(returned, models))
    assert max_difference(before, models) > 1e-3


def test_train_stacked_rejects_models_of_different_shapes(data):
    wider = make_model(1, MLPConfig(sizes=(20, 32, 3), output_activation="none"))
    with pytest.raises(ValueError, match="one architecture"):
        ensemble.train_stacked([make_model(0), wider], data, config())


def test_train_stacked_rejects_batchnorm_models(data):
    bn = MLPConfig(sizes=(20, 16, 3), output_activation="none", norm="batch")
    with pytest.raises(ValueError, match="buffers"):
        ensemble.train_stacked([make_model(0, bn), make_model(1, bn)], data, config())


def test_train_stacked_rejects_per_model_gradient_clipping(data):
    cfg = config(optim=OptimConfig(clip_grad_norm=5.0))
    with pytest.raises(ValueError, match="clip_grad_norm"):
        ensemble.train_stacked([make_model(0), make_model(1)], data, cfg)


def test_train_stacked_stops_with_training_diverged_soon_after_a_nan_loss(data):
    x, y = data
    bad = x.clone()
    bad[0, 0] = float("nan")  # one poisoned pixel: every member's loss turns NaN
    cfg = config(epochs=20, check_every=2, shuffle=False)  # the bad image is in step 1
    with pytest.raises(TrainingDiverged, match="by step 2"):
        ensemble.train_stacked([make_model(0), make_model(1)], (bad, y), cfg)


def test_train_stacked_rejects_integer_pixels_like_fit(data):
    x, y = data
    with pytest.raises(TypeError, match="scale pixels"):
        ensemble.train_stacked([make_model(0), make_model(1)], ((x * 255).byte(), y), config())


# ---- snapshots and EMA ----


class RecordWeights(Callback):
    def on_train_begin(self, state):
        self.weights = []

    def on_step_end(self, state):
        self.weights.append([p.detach().clone() for p in state.model.parameters()])


def test_snapshots_keep_the_weights_at_the_end_of_each_cycle(data):
    snaps, record = ensemble.Snapshots(every=3), RecordWeights()
    model = make_model(0)
    fit(model, data, config(schedule=ScheduleConfig("cyclic", cycle_steps=3)),
        callbacks=[snaps, record])  # 2 epochs × 3 batches = 6 steps
    assert len(snaps.models) == 2
    for snapshot, step in zip(snaps.models, (3, 6)):
        for p, w in zip(snapshot.parameters(), record.weights[step - 1]):
            assert torch.equal(p, w)


def test_ema_matches_a_hand_computed_moving_average(data):
    ema, record = ensemble.EMA(decay=0.9), RecordWeights()
    fit(make_model(0), data, config(), callbacks=[ema, record])
    expected = record.weights[0]  # the first update copies the weights
    for weights in record.weights[1:]:
        expected = [0.9 * a + 0.1 * w for a, w in zip(expected, weights)]
    for p, e in zip(ema.model.parameters(), expected):
        torch.testing.assert_close(p, e)


def test_ema_before_training_says_to_pass_it_to_fit():
    with pytest.raises(RuntimeError, match="callbacks"):
        _ = ensemble.EMA().model
