"""Data augmentation for digits, batched on the device (lesson 12).

Each training batch gets a small random rotation, shift and zoom per image, done for the whole
batch at once: one `F.affine_grid` builds a sampling grid for every image from its own 2×3
matrix, and one `F.grid_sample` reads all the images through their grids. No Python loop over
images, no trip to the CPU. Optional Gaussian noise on the pixels. No flips: a mirrored 2 or 5 is
not a digit any more, so flipping would change the label.

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
    """Ranges of the random distortions; each image draws its own values uniformly (lesson 12)."""

    max_rotation: float = 10.0  # degrees, either way
    max_shift: float = 2.0  # pixels, in x and in y independently
    scale: tuple[float, float] = (0.9, 1.1)  # zoom factor range; > 1 makes the digit bigger
    noise_std: float = 0.0  # std of Gaussian noise added to every pixel afterwards
    seed: int = 0  # seeds `Augmented`'s generator

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


def _as_images(x: torch.Tensor) -> torch.Tensor:
    """x as (B, 1, 28, 28); accepts (B, 784), (B, 28, 28) or (B, 1, 28, 28)."""
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
    """Rotate, zoom and shift each image by its own amounts, in one batched call (lesson 12).

    images (B, 784) | (B, 28, 28) | (B, 1, 28, 28), float; angle (B,) in degrees,
    anticlockwise as displayed; shift (B, 2) in pixels, (right, down); scale (B,), > 1 zooms in.
    Pixels that come from outside the image are 0 (background). Returns images of the input's
    shape.
    """
    pictures = _as_images(images)  # (B, 1, 28, 28)
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
    grid = F.affine_grid(theta, list(pictures.shape), align_corners=False)  # (B, 28, 28, 2)
    out = F.grid_sample(pictures, grid, mode="bilinear", padding_mode="zeros",
                        align_corners=False)
    return out.view(images.shape)


def augment(
    images: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A random rotation, shift and zoom for every image (and noise, if set) (lesson 12).

    The random numbers come from `generator` (which must live on the images' device), or from
    torch's global generator when None. Returns images of the input's shape.
    """
    b, device = len(images), images.device
    if generator is not None and generator.device != device:
        raise ValueError(
            f"the generator is on {generator.device} but the images are on {device}: "
            f"create it with torch.Generator(device=images.device)"
        )

    def uniform(*shape: int) -> torch.Tensor:  # in [-1, 1)
        return 2 * torch.rand(*shape, generator=generator, device=device) - 1

    angle = cfg.max_rotation * uniform(b)
    shift = cfg.max_shift * uniform(b, 2)
    low, high = cfg.scale
    # zoom drawn uniformly on a log scale, so 0.9 and 1/0.9 are equally likely
    log_low, log_high = math.log(low), math.log(high)
    scale = torch.exp(log_low + (log_high - log_low) * (uniform(b) + 1) / 2)
    out = affine(images, angle, shift, scale)
    if cfg.noise_std > 0:
        noise = torch.randn(out.shape, generator=generator, device=device, dtype=out.dtype)
        out = out + cfg.noise_std * noise
    return out


class Augmented(nn.Module):
    """A model that sees augmented inputs while training and plain ones in eval mode (lesson 12).

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
