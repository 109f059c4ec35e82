"""The augmentation preview (lesson 13): originals and augmented digits as the ranges change."""

from __future__ import annotations

import dataclasses
from typing import Any

import ipywidgets as w
import torch
from matplotlib.figure import Figure

from mnist_lab.augment import AugmentConfig, augment
from mnist_lab.figures import augmentation_figure, png_bytes
from mnist_lab.widgets.base import LABEL, Panel, image

_AUGMENT_SLIDERS = {  # field → (label, min, max, step)
    "max_rotation": ("rotation °", 0.0, 45.0, 1.0),
    "max_shift": ("shift px", 0.0, 6.0, 0.25),
    "noise_std": ("noise", 0.0, 0.5, 0.01),
    "elastic_alpha": ("elastic α", 0.0, 60.0, 1.0),  # if AugmentConfig has elastic distortion
    "elastic_sigma": ("elastic σ", 1.0, 10.0, 0.5),
}


class AugmentationPreview(Panel):
    """Originals (top row) and random augmented copies below, for a config (lesson 13)."""

    kind = "augmentation-preview"

    def __init__(self, images: torch.Tensor, config: AugmentConfig, seed: int = 0,
                 copies: int = 3) -> None:
        if len(images) == 0 or copies < 1:
            raise ValueError("need at least one image and copies >= 1")
        self.images = images.detach().float().reshape(len(images), 28, 28)  # (n, 28, 28)
        self.config, self.seed, self.copies = config, seed, copies
        self.error: str | None = None

    def augmented(self) -> torch.Tensor:
        """The augmented copies, (copies, n, 28, 28), from a generator seeded with `seed`."""
        gen = torch.Generator(device=self.images.device).manual_seed(self.seed)
        batch = self.images.repeat(self.copies, 1, 1)  # (copies·n, 28, 28)
        out = augment(batch, self.config, generator=gen)
        return out.reshape(self.copies, *self.images.shape).cpu()

    def figure(self) -> Figure:
        """A grid: originals on top, one row per augmented copy."""
        return augmentation_figure([self.images.cpu().numpy(),
                                    *(copy.numpy() for copy in self.augmented())])

    # -- widgets --

    def _build(self) -> w.Widget:
        self.controls: dict[str, w.ValueWidget] = {}
        for f in dataclasses.fields(self.config):
            value = getattr(self.config, f.name)
            control = _augment_control(f.name, value)
            if control is not None:
                self.controls[f.name] = control
                control.style = LABEL
                control.observe(self._on_change, names="value")
        self.seed_slider = w.IntSlider(value=self.seed, min=0, max=99, description="draw")
        self.seed_slider.observe(self._on_change, names="value")
        self.status = w.HTML()
        self.image = image(self.figure(), "augmentation-image")
        sliders = w.VBox([*self.controls.values(), self.seed_slider, self.status])
        return w.HBox([sliders, self.image])

    def _on_change(self, change: dict) -> None:
        self.seed = self.seed_slider.value
        values = {name: c.value for name, c in self.controls.items()}
        if "scale" in values:
            values["scale"] = tuple(values["scale"])
        try:
            self.config = dataclasses.replace(self.config, **values)
            self.error = None
        except (ValueError, TypeError) as err:
            self.error = str(err)
        self.status.value = "" if self.error is None else f"<b>not valid:</b> {self.error}"
        self.image.value = png_bytes(self.figure())


def _augment_control(name: str, value: Any) -> w.ValueWidget | None:
    """A slider for one AugmentConfig field; fields added later get a generic one."""
    if name == "seed":
        return None  # the preview's own "draw" slider picks the random numbers
    if name in _AUGMENT_SLIDERS:
        label, low, high, step = _AUGMENT_SLIDERS[name]
        return w.FloatSlider(value=value, min=low, max=max(high, value), step=step,
                             description=label)
    if name == "scale":
        return w.FloatRangeSlider(value=value, min=0.5, max=1.5, step=0.01, description="zoom")
    if isinstance(value, bool):
        return w.Checkbox(value=value, description=name)
    if isinstance(value, int):
        return w.IntSlider(value=value, min=0, max=max(10, 4 * value), description=name)
    if isinstance(value, float):
        high = max(1.0, 4 * value)
        return w.FloatSlider(value=value, min=0.0, max=high, step=high / 100, description=name)
    return None  # tuples, None-able fields: keep the config's value


def augmentation_preview(images: torch.Tensor, config: AugmentConfig | None = None,
                         seed: int = 0, *, n: int = 8, copies: int = 3) -> AugmentationPreview:
    """Show what augmentation does to the first n images, with sliders for its ranges (lesson 13).

    images (N, 784) or (N, 28, 28) in [0, 1]. The sliders cover AugmentConfig's fields (any
    added later get a generic slider); "draw" changes the random seed.
    """
    return AugmentationPreview(images[:n], config or AugmentConfig(), seed, copies)
