"""MNIST-style preprocessing (mnist_lab.preprocess): crop, fit 20×20, centre by mass in 28×28."""

import pytest
import torch

from mnist_lab import preprocess as pp


def rectangle(height: int, width: int, top: int = 10, left: int = 10, size: int = 200):
    """An ink rectangle (1.0) on a size×size black image."""
    image = torch.zeros(size, size)
    image[top : top + height, left : left + width] = 1.0
    return image


def ink_extent(image: torch.Tensor) -> tuple[int, int]:
    rows, cols = pp._ink_box(image)
    return rows.stop - rows.start, cols.stop - cols.start


def test_result_is_28_by_28_with_values_in_0_1():
    out = pp.mnist_style(rectangle(60, 30))
    assert out.shape == (28, 28) and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1


def test_the_larger_side_is_scaled_to_20_pixels_keeping_the_aspect_ratio():
    steps = pp.mnist_steps(rectangle(160, 40))  # 4:1, tall
    assert ink_extent(steps.box) == (20, 5)
    assert ink_extent(steps.final) == (20, 5)


def test_a_wide_drawing_is_scaled_by_its_width():
    assert ink_extent(pp.mnist_steps(rectangle(30, 120)).box) == (5, 20)


def test_the_centre_of_mass_ends_at_pixel_14_14():
    image = torch.zeros(200, 200)
    image[20:180, 40:70] = 1.0  # an L: the mass sits low and left of the box's middle
    image[150:180, 70:160] = 1.0
    box_cy, box_cx = pp._centre_of_mass(pp.mnist_steps(image).box)
    cy, cx = pp._centre_of_mass(pp.mnist_style(image))
    assert box_cx < 7  # far from the box's middle (9.5) ...
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # ... and moved to the centre


def test_a_lopsided_digit_is_moved_only_as_far_as_the_image_allows():
    image = torch.zeros(200, 200)
    image[0:200, 0:20] = 1.0  # nearly all the mass on the left edge
    image[0:5, 20:200] = 1.0
    steps = pp.mnist_steps(image)
    assert steps.final.sum() == pytest.approx(steps.box.sum())  # no ink pushed out


def test_the_same_drawing_anywhere_on_the_canvas_gives_the_same_input():
    corner = pp.mnist_style(rectangle(80, 30, top=5, left=5))
    middle = pp.mnist_style(rectangle(80, 30, top=100, left=120))
    assert torch.equal(corner, middle)


def test_shrinking_is_anti_aliased_so_edges_are_grey():
    image = torch.zeros(200, 200)
    image[:, 98:103] = 1.0  # a 5-pixel line, 200 tall: 10× smaller it is half a pixel wide
    image[0, 0] = image[199, 199] = 1.0  # corners widen the box to 200×200
    box = pp.mnist_steps(image).box
    grey = box[(box > 0.05) & (box < 0.95)]
    assert len(grey) >= 20  # the line survives as grey pixels instead of vanishing or 0/1 steps


@pytest.fixture
def real_digits():
    from mnist_lab.data import load_mnist

    images, _ = load_mnist("test")
    return images[:200].float() / 255


@pytest.mark.data
def test_a_real_mnist_digit_comes_out_unchanged(real_digits):
    """MNIST's own digits were made this way, so preprocessing them again changes nothing."""
    again = torch.stack([pp.mnist_style(x) for x in real_digits])
    assert (again - real_digits).abs().mean() < 1e-3


def test_an_empty_image_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="no ink"):
        pp.mnist_style(torch.zeros(50, 50))


def test_pixels_out_of_range_are_refused_with_a_hint():
    with pytest.raises(ValueError, match="divide by 255"):
        pp.mnist_style(torch.full((28, 28), 255.0))


def test_a_flat_row_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="reshape"):
        pp.mnist_style(torch.zeros(784))


def test_strokes_are_drawn_with_a_pen_in_proportion_to_the_drawing():
    small = pp.strokes_to_image([[(100, 100), (100, 150)]], size=280)  # 50 px long
    large = pp.strokes_to_image([[(100, 20), (100, 220)]], size=280)  # 200 px long
    assert ink_extent(small)[1] < ink_extent(large)[1]
    ink_small, ink_large = pp.mnist_style(small).sum(), pp.mnist_style(large).sum()
    assert abs(ink_small - ink_large) < 0.15 * ink_large  # the same stroke width at 20×20


def test_a_stroke_of_one_point_is_a_dot():
    image = pp.strokes_to_image([[(40, 40)], [(40, 140), (140, 140)]], size=200)
    assert image[40, 40] == 1.0


def test_no_strokes_are_refused():
    with pytest.raises(ValueError, match="nothing is drawn"):
        pp.strokes_to_image([[]])


def test_shift_moves_ink_and_fills_with_zeros():
    images = torch.zeros(1, 28, 28)
    images[0, 10, 10] = 1.0
    moved = pp.shift(images, down=3, right=-4)
    assert moved[0, 13, 6] == 1.0 and moved.sum() == 1.0
    assert pp.shift(images, down=20, right=0).sum() == 0  # moved out: lost


def test_thin_strips_one_pixel_off_every_edge():
    images = torch.zeros(1, 28, 28)
    images[0, 5:20, 10:15] = 1.0  # a 5-pixel-wide bar
    assert ink_extent(pp.thin(images)[0]) == (13, 3)
