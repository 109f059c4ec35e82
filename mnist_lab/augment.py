"""Data augmentation for digits, batched on the device (lesson 13).

Each training batch gets a small random rotation, shift and zoom per image, done for the whole
batch at once: one `F.affine_grid` builds a sampling grid for every image from its own 2×3
matrix, and one `F.grid_sample` reads all the images through their grids. No Python loop over
images, no trip to the CPU. Optional elastic distortion (Simard et al., 2003: a smooth random
displacement of every pixel, like a wobbly hand) and Gaussian noise on the pixels. No flips: a
mirrored 2 or 5 is not a digit any more, so flipping would change the label.

To train with augmentation through `mnist_lab.train.fit` unchanged, wrap the model:

    model = Augmented(MLP(cfg), AugmentConfig(max_rotation=10, max_shift=2))
    fit(model, splits, TrainConfig(...))

`Augmented` distorts its inputs only in training mode; in eval mode (validation, test,
`metrics.*`) it is exactly the wrapped model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

SIDE = 28  # MNIST images are 28 × 28


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random distortions; each image draws its own values uniformly (lesson 13)."""

    max_rotation: float = 10.0  # degrees, either way
    max_shift: float = 2.0  # pixels, in x and in y independently
    scale: tuple[float, float] = (0.9, 1.1)  # zoom factor range; > 1 makes the digit bigger
    noise_std: float = 0.0  # std of Gaussian noise added to every pixel afterwards
    seed: int = 0  # seeds `Augmented`'s generator
    elastic_alpha: float = 0.0  # strength of the elastic distortion in pixels; 0 = off (try 34)
    elastic_sigma: float = 4.0  # smoothness of the elastic field in pixels (Simard: 4)

    def __post_init__(self) -> None:
        if not 0 <= self.max_rotation <= 180:
            raise ValueError(
                f"max_rotation is in degrees, 0..180 (e.g. 10), got {self.max_rotation}"
            )
        if not 0 <= self.max_shift < SIDE:
            raise ValueError(f"max_shift is in pixels, 0..{SIDE} (e.g. 2), got {self.max_shift}")
        low, high = self.scale
        if not 0 < low <= high:
            raise ValueError(f"scale must be (low, high) with 0 < low <= high, got {self.scale}")
        if self.noise_std < 0:
            raise ValueError(f"noise_std must be >= 0, got {self.noise_std}")
        _check_elastic(self.elastic_alpha, self.elastic_sigma)


def _check_elastic(alpha: float, sigma: float) -> None:
    if not alpha >= 0:
        raise ValueError(f"elastic alpha is a strength in pixels, >= 0 (e.g. 34), got {alpha}")
    if not 0 < sigma <= SIDE:
        raise ValueError(f"elastic sigma is a smoothing width in pixels, 0 < sigma <= {SIDE} "
                         f"(e.g. 4), got {sigma}")


def _as_images(x: torch.Tensor) -> torch.Tensor:
    """x as (B, 1, 28, 28); accepts (B, 784), (B, 28, 28) or (B, 1, 28, 28), floating point."""
    if not x.is_floating_point():
        raise ValueError(
            f"images must be floating point, got {x.dtype}: scale uint8 pixels first "
            f"(mnist_lab.data.scale)"
        )
    if x.ndim == 2 and x.shape[1] == SIDE * SIDE:
        return x.view(-1, 1, SIDE, SIDE)
    if x.ndim == 3 and x.shape[1:] == (SIDE, SIDE):
        return x.unsqueeze(1)
    if x.ndim == 4 and x.shape[1:] == (1, SIDE, SIDE):
        return x
    raise ValueError(
        f"expected images of shape (B, 784), (B, 28, 28) or (B, 1, 28, 28), got {tuple(x.shape)}"
    )


def affine(
    images: torch.Tensor, angle: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """Rotate, zoom and shift each image by its own amounts, in one batched call (lesson 13).

    images (B, 784) | (B, 28, 28) | (B, 1, 28, 28), float; angle (B,) in degrees,
    anticlockwise as displayed; shift (B, 2) in pixels, (right, down); scale (B,), > 1 zooms in.
    Pixels that come from outside the image are 0 (background). Returns images of the input's
    shape.
    """
    pictures = _as_images(images)  # (B, 1, 28, 28)
    grid = _affine_grid(pictures, angle, shift, scale)  # (B, 28, 28, 2)
    return _sample(pictures, grid).view(images.shape)


def _affine_grid(
    pictures: torch.Tensor, angle: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """The sampling grid (B, 28, 28, 2) of `affine` for pictures (B, 1, 28, 28)."""
    b = len(pictures)
    if angle.shape != (b,) or shift.shape != (b, 2) or scale.shape != (b,):
        raise ValueError(
            f"need angle ({b},), shift ({b}, 2) and scale ({b},) for {b} images, got "
            f"{tuple(angle.shape)}, {tuple(shift.shape)}, {tuple(scale.shape)}"
        )
    # affine_grid maps each OUTPUT position to the INPUT position it reads from, in coordinates
    # where the image spans -1..1: so the matrix is the inverse of the motion we want.
    rad = torch.deg2rad(angle.to(pictures.dtype))
    cos, sin = torch.cos(rad) / scale, torch.sin(rad) / scale  # (B,) each
    # y points down in images, so an anticlockwise turn on screen reads from (cos, -sin; sin, cos)
    # transposed; shifting content right by d pixels reads from d pixels to the left.
    move = -2.0 * shift.to(pictures.dtype) / SIDE  # pixels → -1..1 units, (B, 2)
    rows_x = torch.stack([cos, -sin, torch.zeros_like(cos)], dim=1)  # (B, 3)
    rows_y = torch.stack([sin, cos, torch.zeros_like(cos)], dim=1)
    theta = torch.stack([rows_x, rows_y], dim=1)  # (B, 2, 3)
    # translate after rotating: input = R⁻¹ (output − t)  →  last column −R⁻¹ t
    theta[:, :, 2] = torch.einsum("bij,bj->bi", theta[:, :, :2], move)
    return F.affine_grid(theta, list(pictures.shape), align_corners=False)  # (B, 28, 28, 2)


def _sample(pictures: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Read pictures (B, 1, 28, 28) at grid (B, 28, 28, 2); outside the image is 0."""
    return F.grid_sample(pictures, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def _check_generator(generator: torch.Generator | None, device: torch.device) -> None:
    if generator is not None and generator.device != device:
        raise ValueError(
            f"the generator is on {generator.device} but the images are on {device}: "
            f"create it with torch.Generator(device=images.device)"
        )


def _blur_matrix(sigma: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(28, 28) matrix G with G[i, j] = Gaussian(i − j), each row summing to 1 before the edges.

    G @ image blurs the columns and image @ G.T the rows: a Gaussian blur with zero padding,
    as two small matrix products instead of a convolution.
    """
    offsets = torch.arange(SIDE, dtype=dtype, device=device)
    distance = offsets[:, None] - offsets[None, :]  # (28, 28), i − j
    kernel = torch.exp(-0.5 * (distance / sigma) ** 2)  # (28, 28)
    wide = torch.arange(-3 * SIDE, 3 * SIDE + 1, dtype=dtype, device=device)
    full = torch.exp(-0.5 * (wide / sigma) ** 2)  # the whole Gaussian, for its sum
    return kernel / full.sum()  # normalised like an untruncated kernel


def elastic_field(
    n: int,
    alpha: float,
    sigma: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """n random smooth displacement fields (n, 28, 28, 2) in pixels, (right, down) (lesson 13).

    Simard et al. (2003): every pixel gets a random displacement, uniform in [-1, 1) in x and in
    y; a Gaussian blur of width `sigma` makes neighbours move together (a smooth wobble, not
    noise); `alpha` scales the result. With the classic alpha 34, sigma 4 most pixels move by
    about one pixel, smoothly varying across the digit.
    """
    _check_elastic(alpha, sigma)
    raw = torch.rand(n, 2, SIDE, SIDE, generator=generator, device=device, dtype=dtype)
    raw = 2 * raw - 1  # uniform in [-1, 1), (n, 2, 28, 28): channel 0 is x, channel 1 is y
    # a 2-D Gaussian blur is two 1-D blurs, down the columns then along the rows
    blur = _blur_matrix(sigma, dtype, raw.device)  # (28, 28)
    smooth = blur @ raw @ blur.T  # (n, 2, 28, 28), zero padding at the edges like Simard
    return alpha * smooth.permute(0, 2, 3, 1)  # (n, 28, 28, 2)


def elastic(
    images: torch.Tensor, alpha: float, sigma: float = 4.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Elastic distortion of every image, each with its own random field (lesson 13).

    images (B, 784) | (B, 28, 28) | (B, 1, 28, 28), float, on any device; alpha in pixels
    (0 leaves the images unchanged), sigma the field's smoothness in pixels. The random numbers
    come from `generator` (on the images' device) or torch's global generator. Returns images
    of the input's shape and dtype.
    """
    pictures = _as_images(images)  # (B, 1, 28, 28)
    _check_generator(generator, pictures.device)
    identity = torch.zeros(len(pictures), dtype=pictures.dtype, device=pictures.device)
    grid = _affine_grid(pictures, identity, identity[:, None].expand(-1, 2), identity + 1)
    field = elastic_field(len(pictures), alpha, sigma, generator, pictures.device,
                          pictures.dtype)
    return _sample(pictures, grid + 2 * field / SIDE).view(images.shape)


def augment(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A random rotation, shift and zoom for every image (elastic and noise, if set) (lesson 13).

    The random numbers come from `generator` (which must live on the images' device), or from
    torch's global generator when None. Returns images of the input's shape.
    """
    b, device = len(images), images.device
    _check_generator(generator, device)

    def uniform(*shape: int) -> torch.Tensor:  # in [-1, 1)
        return 2 * torch.rand(*shape, generator=generator, device=device) - 1

    angle = cfg.max_rotation * uniform(b)
    shift = cfg.max_shift * uniform(b, 2)
    low, high = cfg.scale
    # zoom drawn uniformly on a log scale, so 0.9 and 1/0.9 are equally likely
    log_low, log_high = math.log(low), math.log(high)
    scale = torch.exp(log_low + (log_high - log_low) * (uniform(b) + 1) / 2)
    pictures = _as_images(images)  # (B, 1, 28, 28)
    grid = _affine_grid(pictures, angle, shift, scale)  # (B, 28, 28, 2), in -1..1 units
    if cfg.elastic_alpha > 0:  # wobble where each output pixel reads from; one grid_sample
        field = elastic_field(b, cfg.elastic_alpha, cfg.elastic_sigma, generator, device,
                              pictures.dtype)
        grid = grid + 2 * field / SIDE  # pixels → -1..1 units
    out = _sample(pictures, grid).view(images.shape)
    if cfg.noise_std > 0:
        noise = torch.randn(out.shape, generator=generator, device=device, dtype=out.dtype)
        out = out + cfg.noise_std * noise
    return out


class Augmented(nn.Module):
    """A model that sees augmented inputs while training and plain ones in eval mode (lesson 13).

    Use it with `mnist_lab.train.fit` as is: fit puts the model in training mode for its steps
    and `metrics.evaluate` puts it in eval mode for validation. The random numbers come from
    a generator seeded with cfg.seed, created on the device of the first training batch.
    """

    def __init__(self, model: nn.Module, cfg: AugmentConfig | None = None) -> None:
        super().__init__()
        self.model = model
        self.augment_cfg = cfg or AugmentConfig()
        self._generator: torch.Generator | None = None

    @property
    def cfg(self):  # noqa: ANN201 - whatever the wrapped model's config is
        """The wrapped model's config (fit and metrics read its output_activation)."""
        return getattr(self.model, "cfg", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            x = augment(x, self.augment_cfg, self._generator_on(x.device))
        return self.model(x)

    def _generator_on(self, device: torch.device) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device).manual_seed(self.augment_cfg.seed)
        return self._generator


def shift_pixels(images: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Move image k of (B, H, W) right by dx[k] and down by dy[k] whole pixels (negative: left,
    up), filling the uncovered pixels with 0 and losing what leaves; no wrap-around, unlike
    torch.roll (lesson 13's exercise). |dx|, |dy| must be smaller than the image."""
    height, width = images.shape[-2:]
    if (dx.abs() >= width).any() or (dy.abs() >= height).any():
        raise ValueError(f"shifts must be smaller than the image ({height} × {width}); got "
                         f"dx from {int(dx.min())} to {int(dx.max())}, "
                         f"dy from {int(dy.min())} to {int(dy.max())}")
    padded = F.pad(images, (width, width, height, height))  # room to move in every direction
    return torch.stack([padded[k, height - int(dy[k]):2 * height - int(dy[k]),
                               width - int(dx[k]):2 * width - int(dx[k])]
                        for k in range(len(images))])
