"""The fast per-sample engines compute what the plain autograd loop computes."""

from __future__ import annotations

import copy
import functools

import pytest
import torch

from mnist_lab import fastpath
from mnist_lab.book import BOOK_ROWS, cross_entropy_row, train_autograd
from mnist_lab.data import load_mnist, scale
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.numerics import TrainingDiverged, denormals_flushed, flush_denormals

ENGINES = ["numba", "torch"]
# The book's six rows, and softmax cross-entropy on logits (not in the book; lesson 02)
ALL_ROWS = BOOK_ROWS | {r.name: r for r in map(cross_entropy_row, ("baseline", "combined"))}
ROWS = list(ALL_ROWS)
STEPS = 1000


def synthetic(n: int = 64, d: int = 20, classes: int = 4, dtype=torch.float32):
    """Small random inputs in [0, 1], ~60% exact zeros like MNIST's dark pixels, and labels."""
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, d, generator=g)
    x[torch.rand(n, d, generator=g) < 0.6] = 0.0
    return x.to(dtype), torch.randint(0, classes, (n,), generator=g)


@functools.cache
def mnist_head(dtype=torch.float32):
    """The first 1000 training images, scaled as the book does, and their labels."""
    images, labels = load_mnist("train")
    return scale(images[:1000]).to(dtype), labels[:1000]


def initial_model(name: str, sizes: tuple[int, ...], dtype=torch.float32) -> MLP:
    torch.manual_seed(0)
    return MLP(ALL_ROWS[name].mlp, sizes=sizes).to(dtype)


def train(engine: str, model: MLP, x, y, name: str, steps: int, **kwargs) -> torch.Tensor:
    """Train `model` in place with the row's loss/optimiser/lr; return the recorded losses."""
    row = ALL_ROWS[name]
    opts = dict(loss=row.loss, optimizer=row.optimizer, lr=row.lr, steps=steps) | kwargs
    if engine == "autograd":
        return train_autograd(model, x, y, **opts)
    return fastpath.train_per_sample(model, x, y, engine=engine, **opts)


@functools.cache
def trained(engine: str, name: str, source: str, dtype=torch.float32):
    """(model, losses) after STEPS steps from the row's seed-0 initial weights; cached."""
    x, y = synthetic(dtype=dtype) if source == "synthetic" else mnist_head(dtype)
    sizes = (20, 8, 4) if source == "synthetic" else (784, 200, 10)
    model = initial_model(name, sizes, dtype)
    losses = train(engine, model, x, y, name, STEPS)
    return model, losses


def max_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("engine", ENGINES)
def test_weights_match_autograd_on_synthetic_inputs(engine, name):
    ref, _ = trained("autograd", name, "synthetic")
    fast, _ = trained(engine, name, "synthetic")
    assert max_gap(ref, fast) <= 1e-5


@pytest.mark.data
@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("engine", ENGINES)
def test_weights_match_autograd_on_mnist(engine, name):
    ref, _ = trained("autograd", name, "mnist")
    fast, _ = trained(engine, name, "mnist")
    assert max_gap(ref, fast) <= 1e-5


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("engine", ENGINES)
def test_weights_match_autograd_in_float64_on_mnist(engine, name):
    # In float64 rounding is ~1e-16, so any gap here would be a different computation, not the
    # float32 rounding that Adam magnifies for pixels lit only once or twice.
    ref, _ = trained("autograd", name, "mnist", torch.float64)
    fast, _ = trained(engine, name, "mnist", torch.float64)
    assert max_gap(ref, fast) <= 1e-10


@pytest.mark.data
@pytest.mark.parametrize("name", ROWS)
@pytest.mark.parametrize("engine", ENGINES)
def test_recorded_losses_match_autograd_on_mnist(engine, name):
    _, ref_losses = trained("autograd", name, "mnist")
    _, losses = trained(engine, name, "mnist")
    assert losses.shape == (STEPS // 10,)
    torch.testing.assert_close(losses, ref_losses, atol=1e-5, rtol=0)


@pytest.mark.parametrize("engine", ENGINES)
def test_loss_is_recorded_every_tenth_step(engine):
    x, y = synthetic()
    ref, fast = initial_model("baseline", (20, 8, 4)), initial_model("baseline", (20, 8, 4))
    every_step = train("autograd", ref, x, y, "baseline", 25, record_every=1)
    losses = train(engine, fast, x, y, "baseline", 25)
    assert losses.shape == (2,)  # steps 10 and 20; step 25 is not a multiple of 10
    torch.testing.assert_close(losses, every_step[[9, 19]], atol=1e-6, rtol=0)


@pytest.mark.parametrize("engine", ENGINES)
def test_record_every_sets_the_spacing(engine):
    x, y = synthetic()
    losses = train(engine, initial_model("bce", (20, 8, 4)), x, y, "bce", 30, record_every=3)
    assert losses.shape == (10,)


@pytest.mark.parametrize("engine", ENGINES)
def test_epochs_run_over_the_data_in_file_order(engine):
    x, y = synthetic(n=32)
    twice = initial_model("baseline", (20, 8, 4))
    fastpath.train_per_sample(twice, x, y, epochs=2, engine=engine)
    by_steps = initial_model("baseline", (20, 8, 4))
    fastpath.train_per_sample(by_steps, x, y, steps=64, engine=engine)
    assert max_gap(twice, by_steps) == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_diverging_training_raises_naming_the_step(engine):
    x, y = synthetic()
    model = initial_model("leaky_relu", (20, 8, 4))  # unbounded outputs, MSE: can blow up
    with pytest.raises(TrainingDiverged, match="learning rate") as err:
        fastpath.train_per_sample(model, x * 100, y, lr=10.0, steps=200, engine=engine)
    assert 1 <= err.value.step <= 200
    assert f"step {err.value.step:,}" in str(err.value)


def test_numba_names_the_same_step_as_autograd_checking_every_step():
    x, y = synthetic()
    steps = {}
    for engine in ("numba", "autograd"):
        model = initial_model("leaky_relu", (20, 8, 4))
        with pytest.raises(TrainingDiverged) as err:
            train(engine, model, x * 100, y, "leaky_relu", 200, lr=10.0, record_every=1)
        steps[engine] = err.value.step
    assert steps["numba"] == steps["autograd"]


@pytest.mark.parametrize("engine", ENGINES)
def test_weight_layout_is_restored_after_an_error(engine):
    x, y = synthetic()
    model = initial_model("leaky_relu", (20, 8, 4))
    with pytest.raises(TrainingDiverged):
        fastpath.train_per_sample(model, x * 100, y, lr=10.0, steps=200, engine=engine)
    assert model.hidden[0].linear.weight.is_contiguous()


@pytest.mark.parametrize("engine", ENGINES)
def test_trained_model_is_an_ordinary_usable_mlp(engine):
    ref, _ = trained("autograd", "combined", "synthetic")
    fast, _ = trained(engine, "combined", "synthetic")
    x, y = synthetic()
    for p in fast.parameters():
        assert isinstance(p, torch.nn.Parameter) and p.requires_grad and p.is_contiguous()
    torch.testing.assert_close(fast(x), ref(x), atol=1e-5, rtol=0)
    copy.deepcopy(fast)(x).sum().backward()  # autograd works on it as on any module


@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_gives_identical_weights(engine):
    x, y = synthetic()
    a, b = initial_model("combined", (20, 8, 4)), initial_model("combined", (20, 8, 4))
    losses_a = train(engine, a, x, y, "combined", 300)
    losses_b = train(engine, b, x, y, "combined", 300)
    assert max_gap(a, b) == 0.0
    assert torch.equal(losses_a, losses_b)


@pytest.mark.parametrize("engine", ENGINES)
def test_progress_is_called_with_the_steps_done(engine):
    x, y = synthetic()
    seen = []
    fastpath.train_per_sample(initial_model("baseline", (20, 8, 4)), x, y, steps=25,
                              engine=engine, progress=seen.append)
    assert seen[-1] == 25


@pytest.mark.parametrize("already", [False, True])
def test_flush_denormals_restores_the_previous_setting(already):
    torch.set_flush_denormal(already)
    before = denormals_flushed()
    try:
        with flush_denormals(not before) as supported:
            inside = denormals_flushed()
        assert denormals_flushed() == before
        assert inside == (supported and not before)
    finally:
        torch.set_flush_denormal(False)


def test_auto_engine_is_numba_on_cpu_and_torch_elsewhere():
    assert fastpath.resolve_engine("auto", "cpu") == "numba"
    assert fastpath.resolve_engine("auto", "cuda") == "torch"


def test_numba_engine_refuses_a_gpu_device():
    with pytest.raises(ValueError, match="CPU"):
        fastpath.resolve_engine("numba", "cuda")


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="engine"):
        fastpath.resolve_engine("fast", "cpu")


@pytest.mark.parametrize("cfg", [
    MLPConfig(sizes=(20, 8, 8, 4)),
    MLPConfig(sizes=(20, 8, 4), norm="batch"),
    MLPConfig(sizes=(20, 8, 4), dropout=0.5),
    MLPConfig(sizes=(20, 8, 4), hidden_activation="relu"),
])
def test_networks_outside_the_family_are_rejected(cfg):
    x, y = synthetic()
    with pytest.raises(ValueError, match="fast path"):
        fastpath.train_per_sample(MLP(cfg), x, y, steps=1)


def test_bce_with_unbounded_outputs_is_rejected():
    x, y = synthetic()
    model = MLP(sizes=(20, 8, 4), output_activation="leaky_relu")
    with pytest.raises(ValueError, match="BCE"):
        fastpath.train_per_sample(model, x, y, loss="bce", steps=1)


def test_ce_with_squashed_outputs_is_rejected():
    x, y = synthetic()
    with pytest.raises(ValueError, match="output_activation='none'"):
        fastpath.train_per_sample(MLP(sizes=(20, 8, 4)), x, y, loss="ce", steps=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_ce_loss_and_gradient_of_one_step_match_autograd(engine):
    x, y = synthetic(n=1, dtype=torch.float64)
    model = initial_model("combined_ce", (20, 8, 4), torch.float64)
    logits = model(x)
    expected = torch.nn.functional.cross_entropy(logits, y)
    grads = torch.autograd.grad(expected, list(model.parameters()))
    before = [p.detach().clone() for p in model.parameters()]
    losses = fastpath.train_per_sample(model, x, y, loss="ce", optimizer="sgd", lr=1.0,
                                       steps=1, record_every=1, engine=engine)
    torch.testing.assert_close(losses[0], expected.detach(), atol=1e-12, rtol=0)
    for p, b, g in zip(model.parameters(), before, grads):  # SGD at lr 1: p = b - grad
        torch.testing.assert_close(b - p.detach(), g, atol=1e-12, rtol=0)


def test_labels_out_of_range_are_rejected():
    x, _ = synthetic()
    with pytest.raises(ValueError, match="labels"):
        fastpath.train_per_sample(MLP(sizes=(20, 8, 4)), x, torch.full((len(x),), 7), steps=1)


def test_unflattened_images_are_rejected():
    with pytest.raises(ValueError, match="Flatten"):
        fastpath.train_per_sample(MLP(), torch.zeros(5, 28, 28), torch.zeros(5, dtype=torch.long))
