"""On a pretend GPU (tests/fake_gpu.py): the library keeps every tensor on the device it is used
on and reads nothing back per training step, checked on a machine without a GPU.

The first tests show that the pretend GPU catches each kind of mistake it is meant to catch;
the others run the library on it, also as Apple's MPS (no float64)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from fake_gpu import fake_gpu

from mnist_lab.ensemble import train_stacked
from mnist_lab.imbalance import balanced_accuracy
from mnist_lab.metrics import precision_recall
from mnist_lab.models import MLP
from mnist_lab.stability import clip_grad_norm, global_norm
from mnist_lab.train import TrainConfig, fit

FAST = TrainConfig(epochs=2, batch_size=16, log_every=2, check_every=1000, progress=False)


def blobs(n: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """10 fixed random 'digits' in [0, 1]^784 plus noise, with their labels (on the CPU)."""
    centres = torch.rand(10, 784, generator=torch.Generator().manual_seed(123))
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=gen)
    return (centres[y] + 0.3 * torch.randn(n, 784, generator=gen)).clamp(0, 1), y


def small_model(seed: int = 0, output: str = "sigmoid") -> MLP:
    torch.manual_seed(seed)
    return MLP(sizes=(784, 32, 10), output_activation=output)


# ---- the pretend GPU catches what CUDA would refuse ------------------------------------------


def test_fake_gpu_refuses_an_index_select_with_cpu_indices():
    with fake_gpu() as gpu:
        x = torch.ones(4, 3, device=gpu.device)
        with pytest.raises(RuntimeError, match="same device"):
            x.index_select(0, torch.tensor([0, 1]))


def test_fake_gpu_refuses_a_cpu_tensor_indexed_with_gpu_indices():
    with fake_gpu() as gpu, pytest.raises(RuntimeError, match="indices should be either on cpu"):
        torch.ones(3)[torch.tensor([0], device=gpu.device)]


def test_fake_gpu_refuses_a_cpu_generator_for_a_draw_on_the_gpu():
    with fake_gpu() as gpu, pytest.raises(RuntimeError, match="device type for generator"):
        torch.randperm(5, generator=torch.Generator().manual_seed(0), device=gpu.device)


def test_fake_gpu_refuses_numpy_of_a_gpu_tensor():
    with fake_gpu() as gpu, pytest.raises(TypeError, match="Use Tensor.cpu"):
        torch.zeros(2, device=gpu.device).numpy()


def test_fake_gpu_lets_a_cpu_number_meet_a_gpu_tensor():
    with fake_gpu() as gpu:
        assert (torch.ones(2, device=gpu.device) * torch.tensor(3.0)).device == gpu.device


def test_fake_gpu_refuses_to_add_a_gpu_tensor_into_a_cpu_number():
    with fake_gpu() as gpu, pytest.raises(RuntimeError, match="same device"):
        torch.zeros(()).add_(torch.ones((), device=gpu.device))


def test_fake_gpu_records_host_reads_and_copies_to_the_gpu():
    with fake_gpu() as gpu:
        x = torch.ones(2, device=gpu.device)
        x.sum().item()
        x.add(torch.ones(2).to(gpu.device))
        torch.tensor([1.0, 2.0], device=gpu.device)
    assert len(gpu.syncs) == 3  # .item(), the .to, the tensor made from host data


# ---- the library on the pretend GPU ---------------------------------------------------------


def _syncs_of_fit(n_samples: int, **config) -> int:
    with fake_gpu() as gpu:
        data = tuple(t.to(gpu.device) for t in blobs(n_samples))
        output = "none" if config.get("loss") == "cross_entropy" else "sigmoid"  # logits for CE
        fit(small_model(output=output), data,
            dataclasses.replace(FAST, device=gpu.device, **config))
    return len(gpu.syncs)


def test_fit_trains_on_the_gpu_and_leaves_the_model_there():
    with fake_gpu() as gpu:
        model = small_model()
        history = fit(model, blobs(64), dataclasses.replace(FAST, device=gpu.device))
        assert {p.device for p in model.parameters()} == {gpu.device}
    assert history.epochs == 2 and len(history.step_losses) == 4


def test_fit_waits_for_the_gpu_no_more_often_with_more_steps():
    assert _syncs_of_fit(32) == _syncs_of_fit(320)  # 2 and 20 steps per epoch


@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy"])
def test_fit_with_class_weights_waits_for_the_gpu_no_more_often_with_more_steps(loss):
    weights = dict(loss=loss, class_weights=(1.0,) * 9 + (5.0,))
    assert _syncs_of_fit(32, **weights) == _syncs_of_fit(320, **weights)


def test_stacked_training_waits_for_the_gpu_no_more_often_with_more_steps():
    def syncs(n_samples: int) -> int:
        with fake_gpu() as gpu:
            config = dataclasses.replace(FAST, device=gpu.device, loss="cross_entropy",
                                         class_weights=(1.0,) * 9 + (5.0,))
            train_stacked([small_model(k, "none") for k in range(2)], blobs(n_samples), config)
        return len(gpu.syncs)

    assert syncs(32) == syncs(320)


# ---- Apple's MPS has no float64 -------------------------------------------------------------


def test_fake_mps_refuses_float64():
    with fake_gpu(mps=True) as gpu, pytest.raises(TypeError, match="float64"):
        torch.ones(2, device=gpu.device).double()


def test_precision_recall_and_balanced_accuracy_work_without_float64():
    with fake_gpu(mps=True) as gpu:
        cm = torch.tensor([[5, 1], [2, 6]], device=gpu.device)
        precision, recall = precision_recall(cm)
        assert recall.tolist() == pytest.approx([5 / 6, 6 / 8])
        assert balanced_accuracy(cm) == pytest.approx((5 / 6 + 6 / 8) / 2)


def test_global_norm_and_clipping_work_without_float64():
    with fake_gpu(mps=True) as gpu:
        grads = [torch.full((4,), 3.0, device=gpu.device), torch.zeros(2, device=gpu.device)]
        assert global_norm(grads).item() == pytest.approx(6.0)
        assert clip_grad_norm(grads, 3.0)[0].tolist() == pytest.approx([1.5] * 4, rel=1e-5)
