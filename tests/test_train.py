"""The training loop: learning, determinism, early stopping, divergence, switching, callbacks."""

import dataclasses

import pytest
import torch
from torch import nn

from mnist_lab import train as train_module
from mnist_lab.data import Splits
from mnist_lab.models import MLP
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig, lr_at
from mnist_lab.train import (
    Callback,
    GradNorms,
    History,
    SwitchOptimizer,
    TrainConfig,
    TrainingDiverged,
    UpdateRatio,
    fit,
)

FAST = TrainConfig(epochs=2, batch_size=64, progress=False)


def blobs(n: int, seed: int, noise: float = 0.3) -> tuple[torch.Tensor, torch.Tensor]:
    """An easy stand-in for MNIST: 10 fixed random 'digits' in [0, 1]^784 plus noise."""
    centres = torch.rand(10, 784, generator=torch.Generator().manual_seed(123))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = (centres[y] + noise * torch.randn(n, 784, generator=g)).clamp(0, 1)
    return x, y


@pytest.fixture
def splits() -> Splits:
    return Splits(train=blobs(640, seed=1), val=blobs(200, seed=2))


def small_model(seed: int = 0, **kwargs) -> MLP:
    torch.manual_seed(seed)
    return MLP(sizes=(784, 32, 10), **kwargs)


class Recorder(Callback):
    """Keeps what a test wants to look at, per step and per epoch."""

    def __init__(self):
        self.step_lrs, self.optimizers, self.weights = [], [], []

    def on_step_end(self, state):
        self.step_lrs.append(state.optimizer.param_groups[0]["lr"])

    def on_epoch_end(self, state):
        self.optimizers.append(type(state.optimizer).__name__)
        self.weights.append({k: v.clone() for k, v in state.model.state_dict().items()})


def _without_times(history: History) -> dict:
    return {k: v for k, v in dataclasses.asdict(history).items() if k != "seconds"}


@pytest.mark.data
def test_fit_reduces_loss_on_a_small_real_subset():
    from mnist_lab.data import load_mnist, scale

    images, labels = load_mnist("train")
    x, y = scale(images[:3000]), labels[:3000]
    data = Splits(train=(x[:2500], y[:2500]), val=(x[2500:], y[2500:]))
    model = small_model(hidden_activation="leaky_relu", norm="layer")
    history = fit(model, data, dataclasses.replace(FAST, epochs=3, batch_size=32))
    assert history.train_loss == sorted(history.train_loss, reverse=True)
    assert history.step_losses[-1] < 0.5 * history.step_losses[0]
    assert history.val_acc[-1] > 0.85


def test_same_seed_gives_identical_history_twice(splits):
    runs = [_without_times(fit(small_model(), splits, FAST)) for _ in range(2)]
    assert runs[0] == runs[1]


def test_a_different_seed_gives_a_different_batch_order(splits):
    a = fit(small_model(), splits, FAST)
    b = fit(small_model(), splits, dataclasses.replace(FAST, seed=1))
    assert a.step_losses != b.step_losses


def test_history_has_one_entry_per_epoch(splits):
    history = fit(small_model(), splits, dataclasses.replace(FAST, epochs=3))
    lists = [history.train_loss, history.train_acc, history.val_loss, history.val_acc]
    assert [len(v) for v in lists + [history.lr, history.seconds]] == [3] * 6
    assert history.epochs == 3 and history.stopped_epoch is None


def test_loss_is_recorded_every_log_every_steps(splits):
    history = fit(small_model(), splits, dataclasses.replace(FAST, log_every=3))  # 2 × 10 steps
    assert history.steps == [3, 6, 9, 12, 15, 18]
    assert len(history.step_losses) == 6


def test_fit_accepts_an_xy_pair_without_validation(splits):
    history = fit(small_model(), splits.train, FAST)
    assert len(history.train_loss) == 2 and history.val_acc == [] and history.best_epoch is None


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(splits):
    recorder = Recorder()
    config = dataclasses.replace(FAST, epochs=40, early_stopping=2, restore_best=True)
    model = small_model()
    history = fit(model, splits, config, callbacks=[recorder])
    assert history.stopped_epoch == history.best_epoch + 2 < 40
    assert history.epochs == history.stopped_epoch
    best = recorder.weights[history.best_epoch - 1]
    assert all(torch.equal(v, best[k]) for k, v in model.state_dict().items())
    last = recorder.weights[-1]
    assert not all(torch.equal(v, last[k]) for k, v in model.state_dict().items())


def test_best_epoch_has_the_highest_val_acc(splits):
    history = fit(small_model(), splits, dataclasses.replace(FAST, epochs=4))
    assert history.val_acc[history.best_epoch - 1] == max(history.val_acc)


def test_nan_in_the_inputs_raises_training_diverged_naming_the_step(splits):
    x, y = splits.train
    x = x.clone()
    x[7 * 64 + 3, 100] = float("nan")  # in the 8th batch of 64, file order
    config = dataclasses.replace(FAST, shuffle=False, check_every=1)
    with pytest.raises(TrainingDiverged, match="at step 8 of epoch 1") as info:
        fit(small_model(), (x, y), config)
    assert "1 NaN/inf values" in str(info.value)


def test_nan_between_checks_names_the_window(splits):
    x, y = splits.train
    x = x.clone()
    x[200] = float("inf")
    with pytest.raises(TrainingDiverged, match="between 1 and 10"):
        fit(small_model(), (x, y), FAST)


def test_a_huge_learning_rate_raises_training_diverged_with_advice(splits):
    config = dataclasses.replace(FAST, optim=OptimConfig("sgd", lr=1e6), check_every=1)
    with pytest.raises(TrainingDiverged) as info:
        fit(small_model(), splits, config)
    message = str(info.value)
    assert "learning rate 1e+06" in message and "try 100000" in message
    assert "clip_grad_norm" in message


def test_adam_switches_to_sgd_at_the_end_of_the_given_epoch(splits):
    recorder = Recorder()
    optim = OptimConfig("adam", switch_to_sgd_epoch=2, sgd_lr=0.05)
    config = dataclasses.replace(FAST, epochs=4, optim=optim)
    history = fit(small_model(), splits, config, callbacks=[recorder])
    assert recorder.optimizers == ["Adam", "Adam", "SGD", "SGD"]
    assert history.lr == [0.001, 0.001, 0.05, 0.05]
    assert history.extras["switched_to_sgd_epoch"] == 2


def test_switch_optimizer_is_a_plain_callback(splits):
    recorder = Recorder()
    switch = SwitchOptimizer(at_epoch=1, to=OptimConfig("sgd", lr=0.05, momentum=0.9))
    config = dataclasses.replace(FAST, epochs=3)
    history = fit(small_model(), splits, config, callbacks=[recorder, switch])  # in this order
    assert recorder.optimizers == ["Adam", "SGD", "SGD"]
    assert history.lr == [0.001, 0.05, 0.05]
    assert history.extras["switched_to_sgd_epoch"] == 1


def test_switch_optimizer_config_gives_the_same_run_as_the_callback(splits):
    by_config = fit(small_model(), splits, dataclasses.replace(
        FAST, epochs=3, optim=OptimConfig("adam", switch_to_sgd_epoch=1, sgd_lr=0.05)))
    by_callback = fit(small_model(), splits, dataclasses.replace(FAST, epochs=3), callbacks=[
        SwitchOptimizer(1, OptimConfig("adam", sgd_lr=0.05).sgd_phase())])
    assert _without_times(by_config) == _without_times(by_callback)


def test_schedule_sets_the_optimiser_lr_every_step(splits):
    schedule = ScheduleConfig("cosine", warmup_steps=3)
    config = dataclasses.replace(FAST, schedule=schedule, optim=OptimConfig("sgd", lr=0.1))
    recorder = Recorder()
    fit(small_model(), splits, config, callbacks=[recorder])
    assert recorder.step_lrs == [lr_at(schedule, 0.1, s, 20) for s in range(20)]


def test_reduce_on_plateau_halves_the_lr_when_val_acc_stalls(splits):
    schedule = ScheduleConfig(plateau_patience=0, plateau_factor=0.5)
    history = fit(small_model(), splits, dataclasses.replace(FAST, epochs=12, schedule=schedule))
    stalls = [i for i in range(1, 12) if history.val_acc[i] <= max(history.val_acc[:i])]
    assert stalls, "the easy data set should reach a plateau"
    first = stalls[0]  # the LR falls from the epoch after the first stall
    assert history.lr[first] == 0.001 and history.lr[first + 1] == 0.0005


def test_update_ratio_is_lr_times_grad_norm_over_weight_norm(splits):
    model = small_model()
    weight_norms = [w.norm().item() for w in (model.hidden[0].linear.weight, model.out.weight)]
    ratios, grads = UpdateRatio(every=1), GradNorms(every=1)
    config = dataclasses.replace(FAST, epochs=1, optim=OptimConfig("sgd", lr=0.01))
    history = fit(model, splits, config, callbacks=[ratios, grads])
    names = ["hidden.0.linear.weight", "out.weight"]
    assert list(history.extras["update_ratio"]) == names
    assert history.extras["update_ratio_steps"] == list(range(1, 11))
    for name, norm in zip(names, weight_norms):  # plain SGD's first update is lr · gradient
        first_ratio = history.extras["update_ratio"][name][0]
        first_grad = history.extras["grad_norm"][name][0]
        assert first_ratio == pytest.approx(0.01 * first_grad / norm, rel=1e-4)


def test_callbacks_sample_every_k_steps(splits):
    history = fit(small_model(), splits, FAST, callbacks=[UpdateRatio(every=4), GradNorms(5)])
    assert history.extras["update_ratio_steps"] == [4, 8, 12, 16, 20]
    assert history.extras["grad_norm_steps"] == [5, 10, 15, 20]
    assert all(v > 0 for v in history.extras["grad_norm"]["out.weight"])


def test_a_callback_can_stop_training_after_the_epoch(splits):
    class StopNow(Callback):
        def on_epoch_end(self, state):
            state.stop = True

    history = fit(small_model(), splits, dataclasses.replace(FAST, epochs=5), [StopNow()])
    assert history.epochs == 1 and history.stopped_epoch == 1


def test_stop_set_during_a_step_ends_training_after_that_step(splits):
    class StopAtStep(Callback):  # as a UI's Stop button does, from any thread
        def __init__(self, step):
            self.step, self.steps_seen = step, []

        def on_step_end(self, state):
            self.steps_seen.append(state.step)
            if state.step == self.step:
                state.stop = True

    stopper = StopAtStep(3)  # FAST: 10 steps per epoch
    history = fit(small_model(), splits, dataclasses.replace(FAST, epochs=5), [stopper])
    assert stopper.steps_seen == [1, 2, 3]
    assert history.epochs == 1 and history.stopped_epoch == 1
    assert len(history.val_acc) == 1  # the cut-short epoch is still evaluated


def test_fit_reads_no_tensor_on_the_host_per_step(monkeypatch):
    """On a GPU each read (.item(), float(), bool(), .tolist()...) waits for every queued
    kernel: fit may read a few times per epoch, never once per step."""
    reads = []

    def counting(name):
        original = getattr(torch.Tensor, name)

        def read(self, *args, **kwargs):
            reads.append(name)
            return original(self, *args, **kwargs)

        return read

    names = ("item", "tolist", "__bool__", "__float__", "__int__", "__index__", "cpu", "numpy")
    for name in names:
        monkeypatch.setattr(torch.Tensor, name, counting(name))

    def count_reads(n_samples: int, epochs: int) -> int:
        data = blobs(n_samples, seed=1)
        reads.clear()
        config = dataclasses.replace(  # log_every=2: both runs log losses in every epoch
            FAST, epochs=epochs, batch_size=16, log_every=2, check_every=1000
        )
        fit(small_model(), data, config)  # check_every: the NaN check's reads, apart
        return len(reads)

    short, long = count_reads(64, 3), count_reads(640, 3)  # 4 and 40 steps per epoch
    assert short == long  # reads do not grow with the steps
    assert count_reads(64, 6) - short <= 5 * 3  # a few per extra epoch


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_makes_no_cuda_sync_per_step():
    """torch's own sync detector, on a GPU: the count does not grow with the steps."""
    import warnings

    def count_syncs(n_samples: int) -> int:
        data = tuple(t.cuda() for t in blobs(n_samples, seed=1))
        config = dataclasses.replace(FAST, epochs=2, batch_size=16, log_every=2,
                                     check_every=1000, device="cuda")
        model = small_model().cuda()
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                fit(model, data, config)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        return sum("synchroniz" in str(w.message) for w in caught)

    count_syncs(64)  # warm-up: one-time CUDA initialisation syncs too
    assert count_syncs(64) == count_syncs(640)  # 4 and 40 steps per epoch


def test_fit_looks_for_nan_every_check_every_steps(monkeypatch):
    checks = []
    monkeypatch.setattr(train_module, "check_finite", lambda *args: checks.append(1))
    data = blobs(640, seed=1)  # 40 steps per epoch at batch 16
    fit(small_model(), data, dataclasses.replace(FAST, epochs=1, batch_size=16, check_every=8))
    assert len(checks) == 40 // 8


def test_fit_uses_module_train_and_eval_and_keeps_them_working(splits):
    model = small_model(dropout=0.5)
    fit(model, splits, FAST)
    assert type(model).train is nn.Module.train
    model.eval()
    assert not any(m.training for m in model.modules())


def test_fit_puts_denormal_handling_back_afterwards(splits):
    fit(small_model(), splits, FAST)
    assert torch.tensor(1e-40, dtype=torch.float32).item() != 0.0


def test_fit_rejects_one_hot_labels(splits):
    x, y = splits.train
    with pytest.raises(TypeError, match="not one-hot"):
        fit(small_model(), (x, nn.functional.one_hot(y, 10).float()), FAST)


def test_fit_rejects_unscaled_uint8_images(splits):
    x, y = splits.train
    with pytest.raises(TypeError, match="scale pixels"):
        fit(small_model(), ((x * 255).to(torch.uint8), y), FAST)


def test_fit_rejects_labels_the_model_cannot_output(splits):
    x, y = splits.train
    with pytest.raises(ValueError, match="0..9"):
        fit(small_model(), (x, y + 5), FAST)


def test_fit_rejects_bce_on_a_logits_model(splits):
    with pytest.raises(ValueError, match="cross_entropy"):
        fit(small_model(output_activation="none"), splits, FAST)


def test_fit_warns_about_cross_entropy_on_sigmoid_outputs(splits):
    with pytest.warns(UserWarning, match="output_activation='none'"):
        fit(small_model(), splits, dataclasses.replace(FAST, epochs=1, loss="cross_entropy"))


def test_early_stopping_needs_a_validation_split(splits):
    with pytest.raises(ValueError, match="val_size"):
        fit(small_model(), splits.train, dataclasses.replace(FAST, early_stopping=2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(loss="nll"), "unknown loss"),
        (dict(epochs=0), "epochs"),
        (dict(monitor="train_acc"), "monitor"),
        (dict(early_stopping=0), "patience"),
    ],
)
def test_train_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)
