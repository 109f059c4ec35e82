import pytest
import torch

from mnist_lab.augment import AugmentConfig, Augmented, affine, augment
from mnist_lab.models import MLP
from mnist_lab.train import TrainConfig, fit


def _dot(row: int, col: int) -> torch.Tensor:
    """One image (1, 28, 28) with a single lit pixel."""
    img = torch.zeros(1, 28, 28)
    img[0, row, col] = 1.0
    return img


def _lit(img: torch.Tensor) -> list[list[int]]:
    return (img.reshape(28, 28) > 0.5).nonzero().tolist()


def test_affine_identity_leaves_images_unchanged():
    x = torch.rand(5, 784, generator=torch.Generator().manual_seed(0))
    out = affine(x, torch.zeros(5), torch.zeros(5, 2), torch.ones(5))
    torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_affine_shift_moves_content_right_and_down():
    out = affine(_dot(10, 12), torch.zeros(1), torch.tensor([[3.0, 1.0]]), torch.ones(1))
    assert _lit(out) == [[11, 15]]


def test_affine_rotation_by_90_degrees_is_anticlockwise_rot90():
    x = torch.rand(3, 28, 28, generator=torch.Generator().manual_seed(1))
    out = affine(x, torch.full((3,), 90.0), torch.zeros(3, 2), torch.ones(3))
    torch.testing.assert_close(out, torch.rot90(x, 1, dims=(1, 2)), atol=1e-5, rtol=0)


def test_affine_scale_above_one_moves_pixels_away_from_centre():
    # the centre of a 28-pixel row lies between pixels 13 and 14; pixel 20 is 6.5 to the right
    out = affine(_dot(13, 20), torch.zeros(1), torch.zeros(1, 2), torch.full((1,), 2.0))
    cols = [c for _, c in (out.reshape(28, 28) > 0.2).nonzero().tolist()]
    assert min(cols) >= 25  # 6.5 × 2 = 13 pixels right of the centre: column ~26.5


@pytest.mark.parametrize("shape", [(4, 784), (4, 28, 28), (4, 1, 28, 28)])
def test_augment_keeps_the_input_shape(shape):
    x = torch.rand(shape)
    assert augment(x, AugmentConfig(), torch.Generator().manual_seed(0)).shape == shape


def test_augment_with_the_same_seed_is_identical():
    x = torch.rand(8, 784)
    a = augment(x, AugmentConfig(noise_std=0.1), torch.Generator().manual_seed(3))
    b = augment(x, AugmentConfig(noise_std=0.1), torch.Generator().manual_seed(3))
    c = augment(x, AugmentConfig(noise_std=0.1), torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    assert not torch.allclose(a, c)


def test_augment_gives_each_image_its_own_distortion():
    x = _dot(14, 20).expand(16, 28, 28).contiguous()
    out = augment(x, AugmentConfig(max_rotation=30, max_shift=3), torch.Generator().manual_seed(0))
    distinct = {tuple(map(tuple, _lit(img))) for img in (out > 0.3).float()}
    assert len(distinct) > 8


def test_augment_with_zero_ranges_is_the_identity_plus_noise():
    x = torch.rand(2000, 784, generator=torch.Generator().manual_seed(0))
    cfg = AugmentConfig(max_rotation=0, max_shift=0, scale=(1.0, 1.0), noise_std=0.2)
    noise = augment(x, cfg, torch.Generator().manual_seed(0)) - x
    assert abs(noise.mean().item()) < 0.01
    assert abs(noise.std().item() - 0.2) < 0.01


def test_augment_rejects_a_generator_on_another_device():
    images = torch.empty(2, 784, device="meta")  # a device other than the generator's cpu
    with pytest.raises(ValueError, match="generator"):
        augment(images, AugmentConfig(), torch.Generator().manual_seed(0))


def test_augment_rejects_images_of_the_wrong_shape():
    with pytest.raises(ValueError, match="784"):
        augment(torch.rand(2, 10), AugmentConfig())


@pytest.mark.parametrize("bad", [{"max_rotation": -1}, {"max_shift": 30}, {"scale": (1.2, 1.1)},
                                 {"scale": (0.0, 1.0)}, {"noise_std": -0.1}])
def test_augment_config_rejects_bad_ranges(bad):
    with pytest.raises(ValueError):
        AugmentConfig(**bad)


def test_augmented_model_distorts_only_in_training_mode():
    torch.manual_seed(0)
    inner = MLP(sizes=(784, 16, 10))
    model = Augmented(inner, AugmentConfig(max_rotation=20, max_shift=3))
    x = torch.rand(4, 784)
    model.eval()
    torch.testing.assert_close(model(x), inner(x))
    model.train()
    assert not torch.allclose(model(x), inner(x))


def test_augmented_model_exposes_the_wrapped_config():
    inner = MLP(sizes=(784, 16, 10), output_activation="none")
    assert Augmented(inner).cfg is inner.cfg


def test_fit_trains_an_augmented_model_reproducibly():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(256, 784, generator=gen), torch.randint(0, 10, (256,), generator=gen)
    cfg = TrainConfig(epochs=2, batch_size=64, loss="cross_entropy", device="cpu", progress=False)

    def run() -> list[float]:
        torch.manual_seed(0)
        model = Augmented(MLP(sizes=(784, 16, 10), output_activation="none"))
        return fit(model, (x, y), cfg).train_loss

    first, second = run(), run()
    assert first == second
    assert all(torch.isfinite(torch.tensor(first)))
