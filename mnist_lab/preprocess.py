"""Any drawing of a digit as a 28×28 input made the way MNIST's digits were (lessons 01, 06).

MNIST's authors scanned each digit, cropped it to its ink, scaled it to fit a 20×20 box without
changing its aspect ratio (with anti-aliasing, so edges are grey, not jagged), and placed it in a
28×28 image so that its centre of mass sits at the centre. A network trained on MNIST has only
ever seen digits made this way. A digit drawn in a corner, too small or with a hair-thin pen is
unlike anything in its training data, and the network's answer for it means little: lesson 01
measures how much.

- `strokes_to_image`: pen strokes (lists of points, as a drawing widget records them) → an ink
  image, the pen width in proportion to the drawing's size.
- `mnist_steps`: an ink image → the cropped 20×20 box and the final 28×28, both kept for display.
- `mnist_style`: the same, returning only the final 28×28 tensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

SIDE = 28  # MNIST's images are 28×28
BOX = 20  # the digit is scaled to fit a 20×20 box inside them
PEN = 0.12  # pen width as a fraction of the drawing's larger side: MNIST's strokes are ~2.5 of 20
INK = 0.05  # a pixel brighter than this counts as ink when cropping

Stroke = Sequence[Sequence[float]]  # [(x, y), ...] in the drawing's pixels, y pointing down


@dataclass(frozen=True)
class MnistSteps:
    """The stages of MNIST's preprocessing for one drawing, each an image with ink in [0, 1]."""

    raw: torch.Tensor  # (H, W) the drawing as given
    box: torch.Tensor  # (20, 20) cropped to its ink, scaled to fit, centred by its bounding box
    final: torch.Tensor  # (28, 28) the box placed so its centre of mass is at the centre


def strokes_to_image(strokes: Sequence[Stroke], size: int = 280,
                     pen: float = PEN) -> torch.Tensor:
    """Draw pen strokes on a size×size canvas: ink 1.0 on 0.0, (size, size) float32.

    Each stroke is a list of (x, y) points. The pen is `pen` times the larger side of the
    drawing's bounding box (at least 1 pixel), so a small and a large drawing of the same digit
    end up with the same stroke width once scaled to 20×20. A stroke of one point is a dot.
    """
    points = [(float(x), float(y)) for stroke in strokes for x, y in stroke]
    if not points:
        raise ValueError("nothing is drawn: give at least one stroke with one (x, y) point")
    xy = np.array(points)
    extent = float(np.ptp(xy, axis=0).max())
    width = max(1, round(pen * extent))
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        line = [(float(x), float(y)) for x, y in stroke]
        if len(line) > 1:
            draw.line(line, fill=255, width=width, joint="curve")
        for x, y in (line[0], line[-1]) if line else ():  # round ends, like a pen
            r = width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255.0)


def _ink_box(image: torch.Tensor) -> tuple[slice, slice]:
    """The rows and columns of the smallest rectangle holding every ink pixel."""
    rows = (image > INK).any(dim=1).nonzero().flatten()
    cols = (image > INK).any(dim=0).nonzero().flatten()
    if len(rows) == 0:
        raise ValueError("the image has no ink (every pixel is below 0.05): draw a digit first; "
                         "ink is bright (1.0) on a dark (0.0) background, as in MNIST")
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _fit_box(crop: torch.Tensor) -> torch.Tensor:
    """The crop scaled, aspect ratio kept, so its larger side is 20, centred in a 20×20 box."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    # antialias=True averages over each output pixel's footprint when shrinking: grey edges,
    # thin lines kept, as when MNIST's authors scaled their scans down
    scaled = F.interpolate(crop[None, None], size=(new_h, new_w), mode="bilinear",
                           antialias=True, align_corners=False)[0, 0].clamp(0, 1)
    box = torch.zeros(BOX, BOX, dtype=crop.dtype, device=crop.device)
    top, left = (BOX - new_h) // 2, (BOX - new_w) // 2
    box[top : top + new_h, left : left + new_w] = scaled
    return box


def _centre_of_mass(image: torch.Tensor) -> tuple[float, float]:
    """The ink-weighted mean row and column of an image."""
    rows = torch.arange(image.shape[0], dtype=image.dtype, device=image.device)
    cols = torch.arange(image.shape[1], dtype=image.dtype, device=image.device)
    total = image.sum()
    return float((image.sum(1) * rows).sum() / total), float((image.sum(0) * cols).sum() / total)


def _place_by_mass(box: torch.Tensor) -> torch.Tensor:
    """The 20×20 box in a 28×28 image, moved by whole pixels so its centre of mass is central."""
    cy, cx = _centre_of_mass(box)
    # MNIST's digits have their centre of mass at pixel (14, 14), rows and columns numbered
    # 0..27 (measured on 2,000 test digits: 13.99, 14.00, spread 0.29 = whole-pixel rounding)
    centre = SIDE / 2
    margin = SIDE - BOX
    # whole pixels keep the anti-aliased edges as they are; the box must stay inside the image
    top = min(max(round(centre - cy), 0), margin)
    left = min(max(round(centre - cx), 0), margin)
    out = torch.zeros(SIDE, SIDE, dtype=box.dtype, device=box.device)
    out[top : top + BOX, left : left + BOX] = box
    return out


def mnist_steps(image: torch.Tensor | np.ndarray) -> MnistSteps:
    """MNIST's preprocessing of one ink image (H, W), ink bright on dark, values in [0, 1].

    Crop to the ink's bounding box, scale to fit 20×20 keeping the aspect ratio (anti-aliased),
    then place in 28×28 with the centre of mass at the centre. Returns every stage.
    """
    raw = torch.as_tensor(image, dtype=torch.float32)
    if raw.ndim != 2:
        raise ValueError(f"need one image of shape (H, W), got shape {tuple(raw.shape)}; "
                         f"for a flat MNIST row use image.reshape(28, 28)")
    if raw.min() < 0 or raw.max() > 1:
        raise ValueError(f"pixel values must be in [0, 1] (ink 1, background 0), got "
                         f"{float(raw.min()):.3g}..{float(raw.max()):.3g}: divide by 255 first")
    rows, cols = _ink_box(raw)
    box = _fit_box(raw[rows, cols])
    return MnistSteps(raw=raw, box=box, final=_place_by_mass(box))


def mnist_style(image: torch.Tensor | np.ndarray) -> torch.Tensor:
    """One ink image (H, W) in [0, 1] as MNIST would have made it: (28, 28) float32.

    Flatten it (`.reshape(1, 784)`) to give it to the course's networks.
    """
    return mnist_steps(image).final


def shift(images: torch.Tensor, down: int, right: int) -> torch.Tensor:
    """Images (N, 28, 28) moved by whole pixels; what moves out is lost, what comes in is 0."""
    out = torch.zeros_like(images)
    h, w = images.shape[-2:]
    src_rows = slice(max(0, -down), min(h, h - down))
    dst_rows = slice(max(0, down), min(h, h + down))
    src_cols = slice(max(0, -right), min(w, w - right))
    dst_cols = slice(max(0, right), min(w, w + right))
    out[..., dst_rows, dst_cols] = images[..., src_rows, src_cols]
    return out


def thin(images: torch.Tensor) -> torch.Tensor:
    """Images (N, 28, 28) with thinner strokes: each pixel becomes the darkest of its 3×3
    neighbourhood (an erosion), which strips about one pixel off every edge."""
    return -F.max_pool2d(-images[:, None], kernel_size=3, stride=1, padding=1)[:, 0]


__all__ = ["MnistSteps", "mnist_steps", "mnist_style", "shift", "strokes_to_image", "thin"]
