"""The network by hand (lesson 07): its gradients are autograd's, its training is fit's."""

import pytest
import torch

from mnist_lab import by_hand
from mnist_lab.device import seed_everything
from mnist_lab.models import MLP
from mnist_lab.optim import OptimConfig
from mnist_lab.train import TrainConfig, fit


def _batch(n: int = 6, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return torch.rand(n, 12, generator=gen, dtype=dtype), torch.randint(0, 4, (n,), generator=gen)


@pytest.mark.parametrize("activation", by_hand.HIDDEN_ACTIVATIONS)
def test_backward_matches_autograd(activation):
    params = by_hand.init_params((12, 7, 4), seed=0, device="cpu", dtype=torch.float64)
    x, y = _batch()
    grads = by_hand.backward(params, by_hand.forward(params, x, activation), y, activation)
    expected = by_hand.autograd_grads(params, x, y, activation)
    for name in by_hand.PARAM_NAMES:
        torch.testing.assert_close(grads[name], expected[name])


@pytest.mark.parametrize("activation", by_hand.HIDDEN_ACTIVATIONS)
def test_backward_matches_finite_differences(activation):
    params = by_hand.init_params((12, 7, 4), seed=2, device="cpu", dtype=torch.float64)
    x, y = _batch()
    grads = by_hand.backward(params, by_hand.forward(params, x, activation), y, activation)
    for name, index in (("W1", (3, 5)), ("b1", (6,)), ("W2", (1, 2)), ("b2", (0,))):
        numeric = by_hand.finite_difference(params, x, y, name, index, activation)
        assert grads[name][index].item() == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_forward_gives_the_mlp_logits_from_its_copied_weights():
    seed_everything(0)
    model = MLP(hidden_activation="leaky_relu", output_activation="none")
    x = torch.rand(3, 784)
    logits = by_hand.forward(by_hand.params_from_mlp(model), x).logits
    torch.testing.assert_close(logits, model(x).detach())


def test_training_by_hand_follows_fit_from_the_same_start():
    gen = torch.Generator().manual_seed(3)
    x, y = torch.rand(256, 784, generator=gen), torch.randint(0, 10, (256,), generator=gen)
    seed_everything(0)
    model = MLP(hidden_activation="leaky_relu", output_activation="none")
    params = by_hand.params_from_mlp(model)
    by_hand.train(params, x, y, epochs=2, batch_size=32, lr=0.1, seed=5)
    fit(model, (x, y), TrainConfig(epochs=2, batch_size=32, loss="cross_entropy",
                                   optim=OptimConfig("sgd", lr=0.1), seed=5, progress=False,
                                   device="cpu"))
    torch.testing.assert_close(params["W2"], model.out.weight.detach(), atol=1e-5, rtol=1e-4)


def test_init_params_are_within_the_default_bound():
    params = by_hand.init_params(seed=0, device="cpu")
    assert params["W1"].shape == (200, 784) and params["W2"].shape == (10, 200)
    assert params["W1"].abs().max() <= 1 / 784 ** 0.5


def test_unknown_activation_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="leaky_relu"):
        by_hand.activate(torch.zeros(2), "relu6")


def test_params_from_a_deeper_mlp_is_refused():
    with pytest.raises(ValueError, match="one hidden layer"):
        by_hand.params_from_mlp(MLP(sizes=(784, 50, 50, 10)))


def test_train_per_sample_equals_minibatch_steps_of_one_in_file_order():
    x, y = _batch(n=5)
    params = by_hand.init_params((12, 7, 4), seed=4, device="cpu", dtype=torch.float64)
    expected = {k: v.clone() for k, v in params.items()}
    for i in range(5):
        cache = by_hand.forward(expected, x[i : i + 1])
        by_hand.sgd_step(expected, by_hand.backward(expected, cache, y[i : i + 1]), 0.3)
    threads = torch.get_num_threads()
    by_hand.train_per_sample(params, x, y, lr=0.3)
    for name in by_hand.PARAM_NAMES:
        torch.testing.assert_close(params[name], expected[name])
    assert torch.get_num_threads() == threads  # the thread setting is put back
