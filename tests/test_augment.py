import pytest
import torch

from mnist_lab.augment import AugmentConfig, Augmented, affine, augment, elastic, elastic_field
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


# --- elastic distortion (Simard et al. 2003) ---


def _blob(n: int = 32) -> torch.Tensor:
    """n images (n, 28, 28) with a thick bright stroke in the middle, like a digit "1"."""
    img = torch.zeros(28, 28)
    img[6:22, 12:16] = 1.0
    return img.expand(n, 28, 28).contiguous()


@pytest.mark.parametrize("shape", [(3, 784), (3, 28, 28), (3, 1, 28, 28)])
def test_elastic_keeps_shape_dtype_and_device(shape):
    for dtype in (torch.float32, torch.float64):
        x = torch.rand(shape, dtype=dtype)
        out = elastic(x, 34.0, 4.0, torch.Generator().manual_seed(0))
        assert (out.shape, out.dtype, out.device) == (x.shape, x.dtype, x.device)


def test_elastic_with_zero_alpha_is_the_identity():
    x = torch.rand(4, 28, 28, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(elastic(x, 0.0, 4.0), x, atol=1e-5, rtol=0)


def test_elastic_with_the_same_seed_is_identical():
    x = _blob(4)
    a = elastic(x, 34.0, 4.0, torch.Generator().manual_seed(5))
    b = elastic(x, 34.0, 4.0, torch.Generator().manual_seed(5))
    c = elastic(x, 34.0, 4.0, torch.Generator().manual_seed(6))
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    assert not torch.allclose(a, c)


def test_elastic_gives_each_image_its_own_distortion():
    out = elastic(_blob(8), 34.0, 4.0, torch.Generator().manual_seed(0))
    differences = (out[1:] - out[:1]).abs().flatten(1).amax(dim=1)  # (7,)
    assert bool((differences > 0.1).all())


def test_elastic_moves_pixels_but_roughly_keeps_the_ink():
    x = _blob(256)
    out = elastic(x, 34.0, 4.0, torch.Generator().manual_seed(0))
    assert (out - x).abs().amax() > 0.5  # the stroke really moved
    # one image may stretch or squeeze its stroke; on average the ink stays the same
    ratio = out.sum(dim=(1, 2)) / x.sum(dim=(1, 2))  # (256,) ink after / ink before
    assert abs(ratio.mean().item() - 1) < 0.05
    assert out.min() >= 0 and out.max() <= 1 + 1e-6  # bilinear reading cannot overshoot


def test_elastic_field_is_smooth_and_scales_with_alpha():
    def field(alpha: float) -> torch.Tensor:
        return elastic_field(64, alpha, 4.0, torch.Generator().manual_seed(0))

    small, large = field(10.0), field(30.0)
    assert small.shape == (64, 28, 28, 2)
    torch.testing.assert_close(large, 3 * small)
    step = (small[:, :, 1:] - small[:, :, :-1]).abs().mean()  # between neighbouring pixels
    assert step < 0.2 * small.abs().mean()  # neighbours move together: smooth, not noise


@pytest.mark.parametrize("alpha, sigma, match", [(-1.0, 4.0, "alpha"), (34.0, 0.0, "sigma"),
                                                 (34.0, -2.0, "sigma"), (34.0, 100.0, "sigma")])
def test_elastic_rejects_bad_strength_or_smoothness(alpha, sigma, match):
    with pytest.raises(ValueError, match=match):
        elastic(_blob(2), alpha, sigma)


def test_elastic_rejects_integer_images():
    with pytest.raises(ValueError, match="floating point"):
        elastic(torch.zeros(2, 28, 28, dtype=torch.uint8), 34.0, 4.0)


def test_elastic_rejects_a_generator_on_another_device():
    with pytest.raises(ValueError, match="generator"):
        elastic(torch.empty(2, 784, device="meta"), 34.0, 4.0, torch.Generator().manual_seed(0))


def test_augment_config_has_elastic_off_by_default():
    x = torch.rand(8, 784)
    plain = augment(x, AugmentConfig(), torch.Generator().manual_seed(2))
    wobbly = augment(x, AugmentConfig(elastic_alpha=34.0), torch.Generator().manual_seed(2))
    assert AugmentConfig().elastic_alpha == 0
    assert not torch.allclose(plain, wobbly)


def test_augment_with_only_elastic_matches_elastic():
    x = _blob(4)
    cfg = AugmentConfig(max_rotation=0, max_shift=0, scale=(1.0, 1.0), elastic_alpha=30.0,
                        elastic_sigma=5.0)
    gen = torch.Generator().manual_seed(0)
    torch.rand(4 + 8 + 4, generator=gen)  # augment draws angle, shift and scale first
    expected = elastic(x, 30.0, 5.0, gen)
    torch.testing.assert_close(augment(x, cfg, torch.Generator().manual_seed(0)), expected,
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("bad", [{"elastic_alpha": -1.0}, {"elastic_sigma": 0.0}])
def test_augment_config_rejects_bad_elastic_settings(bad):
    with pytest.raises(ValueError, match="elastic"):
        AugmentConfig(**bad)


def test_fit_with_elastic_augmentation_leaves_the_labels_untouched():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(128, 784, generator=gen), torch.randint(0, 10, (128,), generator=gen)
    x_before, y_before = x.clone(), y.clone()
    cfg = TrainConfig(epochs=1, batch_size=64, loss="cross_entropy", device="cpu", progress=False)
    model = Augmented(MLP(sizes=(784, 16, 10), output_activation="none"),
                      AugmentConfig(elastic_alpha=34.0))
    history = fit(model, (x, y), cfg)
    assert torch.equal(y, y_before) and torch.equal(x, x_before)  # augmentation copies
    assert history.epochs == 1
