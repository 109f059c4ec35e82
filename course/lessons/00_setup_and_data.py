# %% [raw]
# # ASSIGNMENT CONFIG
# name: 00_setup_and_data
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 00 · Setup and data
#
# **You will learn to**
# - check that Python, PyTorch and the course package work, and which device does the computing;
# - load MNIST as tensors and look at it *before* training anything;
# - read a data set's class balance and pixel statistics;
# - turn raw pixels into network inputs, by scaling to [0, 1] or by standardising, and say why
#   the statistics come from the training set only;
# - encode labels as the one-hot targets the network learns from.
#
# The course follows the MNIST classifier of Tariq Rashid's *Make Your First GAN With PyTorch*. The
# book starts from a plain network and changes one thing at a time; lessons 01–06 retrace those
# steps and the later lessons go further. The first habit the book teaches comes before any
# network: **look at the data**. A wrong label encoding or a failed download shows up in a picture
# at once, but in a loss curve it can take hours to spot.

# %% [markdown]
# ## 1 · The environment
#
# `get_device()` chooses where tensors live: the device named in `$MNIST_LAB_DEVICE` if set,
# otherwise a CUDA GPU, then Apple's MPS, then the CPU. Every lesson runs on any of them. On a
# CPU, PyTorch splits large operations across a few threads.

# %%
# %matplotlib inline
import platform

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

import mnist_lab
from mnist_lab import data, plots
from mnist_lab.device import get_device, seed_everything

device = get_device()
print(f"python {platform.python_version()}")
print(f"torch {torch.__version__}, numpy {np.__version__}, matplotlib {matplotlib.__version__}")
print(f"mnist-lab {mnist_lab.__version__}")
print(f"device: {device} (picked by get_device)")
print(f"torch computes with {torch.get_num_threads()} CPU threads")

# %% [markdown]
# Every experiment in the course starts from a fixed seed. `seed_everything(seed)` seeds Python,
# NumPy and PyTorch together, so the same code gives the same numbers on every run on the same
# computer. This is what lets the notebooks be checked automatically. (Another computer, or a GPU
# instead of a CPU, adds up floating-point numbers in another order, so its last digits can
# differ. A seed makes a run repeatable; it does not make one run's result typical. From lesson
# 02 on, comparisons are therefore made over several seeds.)

# %%
seed_everything(0)
first = torch.rand(3)
seed_everything(0)
again = torch.rand(3)
assert torch.equal(first, again)  # same seed, same "random" numbers
print("same seed, same numbers:", first.tolist() == again.tolist())

# %% [markdown]
# ## 2 · Loading MNIST
#
# MNIST is 70,000 handwritten digits, each a 28×28 grey image with its label 0–9: 60,000 for
# training and 10,000 for testing. The data comes as four files in the IDX format. `fetch_mnist`
# finds them, or downloads them on first use, and checks each one against its published sha256,
# so a truncated download or a corrupted copy is caught before it can quietly spoil a result.

# %%
for record in data.fetch_mnist():
    print(f"{record.name:<24} sha256 {record.sha256[:16]}…  verified")

# %% [markdown]
# `load_mnist(split)` returns two tensors on the device: the images, as raw bytes (`uint8`,
# 0 = background and 255 = full ink), and the labels (`int64`). The first load caches them, and
# later loads take a fraction of a second.

# %%
train_images, train_labels = data.load_mnist("train", device=device)  # uint8 [60000, 28, 28]
test_images, test_labels = data.load_mnist("test", device=device)  # uint8 [10000, 28, 28]
for split, images, labels in (("train", train_images, train_labels),
                              ("test", test_images, test_labels)):
    print(f"{split:>5}: images {tuple(images.shape)} {images.dtype}, "
          f"labels {tuple(labels.shape)} {labels.dtype}, "
          f"pixel values {int(images.min())}..{int(images.max())}")
assert train_images.shape == (60_000, 28, 28) and test_images.shape == (10_000, 28, 28)

# %% [markdown]
# ### What the digits look like
#
# These are the first 24 training images, in file order, the order the book trains in. Each title
# is the image's label. Check for yourself that the labels match the pictures, and notice how
# differently people write the same digit.

# %%
plots.plot_image_grid(train_images, train_labels, n=24, ncols=12)

# %% [markdown]
# Up close, an image is a 28×28 grid of numbers. Along the middle row, most pixels are exactly 0
# (background). Where the pen crossed, they jump to 255, and a few grey values lie in between
# where the digit was smoothed when it was scanned.

# %%
def plot_digit_and_row(digit, label, row=14):
    """One raw digit (uint8 [28, 28]) beside the pixel values along one of its rows."""
    digit = digit.cpu()
    fig = Figure(figsize=(10, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 2.2])
    shown = left.imshow(digit, cmap="gray_r", vmin=0, vmax=255)
    left.axhline(row, color="C1", linewidth=1)
    left.set_title(f"a training image, label {label}")
    fig.colorbar(shown, ax=left, shrink=0.8)
    right.bar(range(28), digit[row], color="C1")
    right.set_xlabel("column")
    right.set_ylabel("pixel value")
    right.set_ylim(0, 255)
    right.set_title(f"pixel values along row {row} (the orange line)")
    return fig


plot_digit_and_row(train_images[0], int(train_labels[0]))

# %% [markdown]
# ## 3 · How many of each digit?
#
# A classifier trained on data with one rare class can ignore it and still score well. Before
# training, count the labels in each split. MNIST is close to balanced: every digit makes up
# between 8.9% and 11.4% of each split. The test set has almost the same proportions as the
# training set, so the test accuracy measures the same task the network was trained on.

# %%
train_counts = torch.bincount(train_labels, minlength=10).cpu()  # [10]
test_counts = torch.bincount(test_labels, minlength=10).cpu()
# The published counts of the standard MNIST files: anything else is a different data set.
assert train_counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
assert test_counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

train_share = 100 * train_counts / train_counts.sum()  # percent of the split
test_share = 100 * test_counts / test_counts.sum()
for shares in (train_share, test_share):
    assert shares.min() > 8.85 and shares.max() < 11.4  # close to balanced
assert (train_share - test_share).abs().max() < 0.5  # the two splits match within half a point
print(f"rarest digit in training: {int(train_share.argmin())} ({train_share.min():.1f}%); "
      f"most common: {int(train_share.argmax())} ({train_share.max():.1f}%)")


def plot_shares(train_share, test_share):
    """Each digit's share of the two splits, side by side."""
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax = fig.subplots()
    plots.grouped_bars(ax, {"train (60,000)": train_share, "test (10,000)": test_share},
                       range(10))
    ax.axhline(10, color="gray", linestyle="--", linewidth=1, label="perfect balance (10%)")
    ax.set_xlabel("digit")
    ax.set_ylabel("share of the split (%)")
    ax.set_ylim(0, 14)
    ax.legend(loc="upper center", ncols=3)
    return fig


plot_shares(train_share, test_share)

# %% [markdown]
# ## 4 · Pixel statistics
#
# The histogram below counts how often each pixel value 0–255 occurs across all 47 million
# training pixels. Its y-axis is logarithmic, because one value dominates: about 81% of all pixels
# are exactly 0. A typical digit lights up about 150 of its 784 pixels. On the right is the
# average of all 60,000 training digits. Its dark border is made of pixels that are black in
# *every* image, so they can tell the network nothing.

# %%
pixels = train_images.flatten()  # uint8 [47,040,000]
value_counts = torch.bincount(pixels, minlength=256).cpu()  # [256]
zero_fraction = (value_counts[0] / pixels.numel()).item()
lit_per_image = (train_images > 0).flatten(1).sum(1).float().mean().item()
mean_image = (train_images.sum(0, dtype=torch.int64) / len(train_images)).cpu()  # [28, 28]
always_black = int((train_images.flatten(1).amax(0) == 0).sum())
# Mean and std straight from the histogram: value v occurs value_counts[v] times.
values = torch.arange(256, dtype=torch.float64)
raw_mean = ((values * value_counts).sum() / pixels.numel()).item()
raw_std = (((values - raw_mean) ** 2 * value_counts).sum() / (pixels.numel() - 1)).sqrt().item()

print(f"pixels that are exactly 0: {zero_fraction:.1%}; "
      f"lit pixels per image: {lit_per_image:.0f}")
print(f"pixel mean {raw_mean:.1f}, std {raw_std:.1f} (of 0..255)")
print(f"pixels black in every training image: {always_black} of 784")
assert 0.78 < zero_fraction < 0.84  # mostly background
assert 120 < lit_per_image < 180
assert 30 < raw_mean < 36 and 75 < raw_std < 82  # 0.1307 and 0.3081 once divided by 255
assert always_black > 0


def plot_pixel_statistics(value_counts, mean_image):
    """The histogram of pixel values (log scale) beside the average digit."""
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1])
    left.bar(range(256), value_counts, width=1.0)
    left.set_yscale("log")
    left.set_xlabel("pixel value")
    left.set_ylabel("count (log scale)")
    left.set_title("all training pixels")
    right.imshow(mean_image, cmap="gray_r")
    right.set_title("the average training digit")
    right.axis("off")
    return fig


plot_pixel_statistics(value_counts, mean_image)

# %% [markdown]
# ## 5 · From pixels to inputs: scaling and standardising
#
# A network wants small floating-point numbers, not bytes from 0 to 255. The book **scales**: it
# divides every pixel by 255 and flattens each image into a vector of 784 numbers in [0, 1].
# `data.scale` does this for a whole split at once.
#
# The other common recipe is to **standardise**: subtract the mean and divide by the standard
# deviation, so that the inputs have mean 0 and variance 1. Centred inputs let a layer's weighted
# sums start near 0, where the activations respond most, and they keep the gradients of the
# weights from all sharing one sign. The book does not standardise. The course does from lesson
# 08 onwards. The course uses one mean and one std over all pixels, not one per pixel: the 67
# always-black pixels have a standard deviation of 0, and dividing by 0 is undefined.
#
# **The statistics come from the training set only.** The test set stands in for data the network
# has never seen: images that arrive one at a time after training, when no "test-set mean" exists.
# Computing the mean from the test images would let information about the test set leak into the
# preprocessing, and the test score would no longer be honest. So we compute `mean` and `std` once,
# on the training images, and reuse them unchanged on every other split. The standardised test set
# then has a mean *close to* 0 and a std *close to* 1, but not exactly, and that small gap is
# expected.

# %%
x_train = data.scale(train_images)  # float32 [60000, 784] in [0, 1]
x_test = data.scale(test_images)  # float32 [10000, 784]
z_train, mean, std = data.standardize(x_train)  # statistics of the training set ...
z_test, _, _ = data.standardize(x_test, mean, std)  # ... reused, unchanged, on the test set

print(f"training statistics: mean {mean:.4f}, std {std:.4f}")
for name, x in (("scaled train", x_train), ("standardised train", z_train),
                ("standardised test", z_test)):
    m = round(x.mean().item(), 4) + 0.0  # + 0.0 prints -0.0 as +0.0000
    print(f"{name:>18}: mean {m:+.4f}, std {x.std().item():.4f}, "
          f"range {x.min().item():+.3f}..{x.max().item():.3f}")
assert x_train.min() == 0 and x_train.max() == 1
assert abs(mean - 0.1307) < 0.001 and abs(std - 0.3081) < 0.001
assert abs(z_train.mean().item()) < 1e-4 and abs(z_train.std().item() - 1) < 1e-4
assert 0 < abs(z_test.mean().item()) < 0.02  # close to 0 but not exactly: fitted to train only
assert abs(z_test.std().item() - 1) < 0.02
assert abs(z_train.min().item() + 0.424) < 0.001 and abs(z_train.max().item() - 2.822) < 0.001
assert int((x_train.std(0) == 0).sum()) == always_black  # per-pixel std: 0 at the border

# %% [markdown]
# Both recipes keep the shape of the histogram and change only the numbers on the x-axis. Scaling
# maps 0..255 onto 0..1. Standardising shifts the histogram so that its mean sits at 0 and
# stretches it to unit spread. The background becomes −0.42, and full ink becomes 2.82.

# %%
def plot_input_histograms(inputs):
    """One histogram (log scale) per {title: inputs}, with the mean marked."""
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    axes = fig.subplots(1, len(inputs), sharey=True)
    for ax, (title, x) in zip(axes, inputs.items()):
        low, high = x.min().item(), x.max().item()
        counts = torch.histc(x, bins=64, min=low, max=high).cpu()  # [64]
        ax.stairs(counts, np.linspace(low, high, 65), fill=True)
        m = round(x.mean().item(), 2) + 0.0  # + 0.0 shows -0.0 as 0.00
        ax.axvline(m, color="C1", linestyle="--", label=f"mean {m:.2f}")
        ax.set_yscale("log")
        ax.set_xlabel("input value")
        ax.set_title(title)
        ax.legend()
    axes[0].set_ylabel("count (log scale)")
    return fig


plot_input_histograms({"scaled: pixels / 255": x_train,
                       "standardised: (x − mean) / std": z_train})

# %% [raw]
# # BEGIN QUESTION
# name: q1_scale_pixels
# points: 2

# %% [markdown]
# **Exercise 1 · scale the pixels.** Write `scale_pixels(images)`. It takes raw images
# (`uint8`, shape `[N, 28, 28]`) and returns the book's inputs: `float32`, shape `[N, 784]`
# (one row per image), with values in [0, 1]: divide by 255, the brightest value a `uint8` pixel
# can take, not by the batch's own maximum (a faint batch stays faint). The check compares your
# result with `data.scale`.
# Torch or NumPy operations are both fine, but the result must be `float32`, the type the
# network's weights use.

# %% [raw]
# # BEGIN SOLUTION

# %%
def scale_pixels(images):
    """uint8 [N, 28, 28] → float32 [N, 784] in [0, 1]."""
    # BEGIN SOLUTION
    return images.reshape(len(images), 784).float() / 255.0
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_scale_pixels_matches_reference(scale_pixels):
    import torch

    from mnist_lab import checks, data
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8, generator=gen)
    dim = images // 2  # a faint batch, brightest pixel 127: still divided by 255, not by 127
    hint = ("flatten each image into one row of 784 numbers (images.reshape(len(images), 784)), "
            "convert to float32 and divide by 255, the largest value a uint8 pixel can take "
            "(not by this batch's own maximum)")
    # dtype float32: the network's weights are float32 (the prompt asks for it)
    checks.check_function(scale_pixels, data.scale, [(images,), (dim,)], name="scale_pixels",
                          grad=False, hint=hint, dtype=torch.float32, quiet=True)
    print("✓ scale_pixels matches data.scale: same values, shape and dtype.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_scale_pixels_keeps_a_single_image_as_one_row(scale_pixels):
    import torch

    from mnist_lab import checks, data
    image = torch.zeros(1, 28, 28, dtype=torch.uint8)
    image[0, 10:18, 12] = 255  # a stroke of full ink on a black background: exactly 1.0 and 0.0
    image[0, 5, 5] = 128
    # rtol 1e-6: x / 255 and x * (1 / 255) differ in the last float32 bit
    checks.check_function(scale_pixels, data.scale, [(image,)], name="scale_pixels",
                          grad=False, atol=0, rtol=1e-6, dtype=torch.float32, quiet=True,
                          hint="a batch of one image is still [1, 784]")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_scale_pixels_on_real_digits(scale_pixels):
    import torch

    from mnist_lab import checks, data
    images, _ = data.load_mnist("test")
    checks.check_function(scale_pixels, data.scale, [(images[:257],)], name="scale_pixels",
                          grad=False, dtype=torch.float32, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2_standardize
# points: 1

# %% [markdown]
# **Exercise 2 · standardise.** Write `standardize(x, mean, std)`. It returns `(x − mean) / std`
# for inputs `x` of any shape, where `mean` and `std` are numbers computed from the training set.
# It must return a new tensor and leave `x` unchanged. The check compares values and gradients
# with `data.standardize`.

# %% [raw]
# # BEGIN SOLUTION

# %%
def standardize(x, mean, std):
    """(x − mean) / std with the training set's mean and std."""
    # BEGIN SOLUTION
    return (x - mean) / std
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_standardize_matches_reference(standardize):
    import torch

    from mnist_lab import checks, data
    x = torch.rand(4, 784, generator=torch.Generator().manual_seed(1))
    # gradients flow to x only: mean and std are plain numbers
    checks.check_function(standardize, lambda x, m, s: data.standardize(x, m, s)[0],
                          [(x, 0.1307, 0.3081), (x[0], 0.5, 2.0)], name="standardize",
                          hint="subtract the mean first, then divide by the std: "
                               "(x - mean) / std, as a new tensor (no -= or /=)")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_standardize_other_shapes_and_float64(standardize):
    import torch

    from mnist_lab import checks, data
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    # float64 throughout: a tight tolerance (atol 1e-12, rtol 1e-10) still allows
    # (x - m) * (1 / s) instead of (x - m) / s
    checks.check_function(standardize, lambda x, m, s: data.standardize(x, m, s)[0],
                          [(x, -2.0, 5.0), (x[0], 0.5, 0.25), (x[None], 0.0, 1.0)],
                          name="standardize", atol=1e-12, rtol=1e-10, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 6 · From labels to targets: one-hot vectors
#
# The book's network has 10 outputs, one per digit, and learns to make the right one 1 and the
# other nine 0. So each label becomes a **one-hot** target: a vector of ten numbers, all 0.0
# except a 1.0 at the label's position. `data.one_hot` does this for a whole split at once.

# %%
targets = data.one_hot(train_labels[:5])  # float32 [5, 10]
for label, row in zip(train_labels[:5].tolist(), targets.tolist()):
    print(f"label {label} → {[int(v) for v in row]}")
assert targets.dtype == torch.float32 and torch.equal(targets.sum(1), torch.ones(5, device=device))

# %% [raw]
# # BEGIN QUESTION
# name: q3_one_hot
# points: 2

# %% [markdown]
# **Exercise 3 · one-hot targets.** Write `one_hot(labels, num_classes=10)`. It takes integer
# labels of shape `[N]` and returns a `float32` tensor of shape `[N, num_classes]` that is 1.0 at
# each row's label and 0.0 everywhere else. There are many ways to do it: indexing rows of an
# identity matrix, `torch.nn.functional.one_hot` followed by a conversion, or filling a tensor of
# zeros. Any of them passes.

# %% [raw]
# # BEGIN SOLUTION

# %%
def one_hot(labels, num_classes=10):
    """int labels [N] → float32 [N, num_classes], 1.0 at each label, else 0.0."""
    # BEGIN SOLUTION
    return torch.eye(num_classes, device=labels.device)[labels]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_one_hot_matches_reference(one_hot):
    import torch

    from mnist_lab import checks, data
    # no label 9 here: F.one_hot(labels) without num_classes would give 9 columns, not 10
    labels = torch.tensor([3, 0, 8, 1, 1, 7])
    cases = [(labels,), {"args": (torch.tensor([0, 3, 2, 3]),), "kwargs": {"num_classes": 4}}]
    # dtype float32: the loss compares the targets with float32 outputs (the prompt asks for it)
    checks.check_function(one_hot, data.one_hot, cases, name="one_hot", grad=False,
                          dtype=torch.float32, quiet=True,
                          hint="row i is all zeros except a 1.0 in column labels[i], with "
                               "num_classes columns even when no label is num_classes - 1 "
                               "(pass num_classes on to F.one_hot); convert to float32 with "
                               ".float()")
    print("✓ one_hot matches data.one_hot: same values, shape and dtype.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_one_hot_uses_num_classes_and_handles_one_label(one_hot):
    import torch

    from mnist_lab import checks, data
    cases = [(torch.tensor([5]),), (torch.tensor([0, 0]),),  # the largest label is not C - 1
             {"args": (torch.tensor([9, 9, 9]),), "kwargs": {"num_classes": 12}}]
    checks.check_function(one_hot, data.one_hot, cases, name="one_hot", grad=False,
                          dtype=torch.float32, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - `get_device()` picks the device, and `seed_everything(seed)` makes runs repeatable.
# - MNIST is 60,000 training and 10,000 test images of 28×28 bytes, verified by checksum and
#   loaded once as tensors on the device.
# - The classes are close to balanced (8.9–11.4% each), and train and test have the same
#   proportions.
# - About 81% of the pixels are exactly 0, and 67 pixels are black in every image. The pixel mean
#   is 0.1307 and the std 0.3081 on the [0, 1] scale.
# - The book **scales** pixels to [0, 1] (÷255). **Standardising** gives mean 0 and std 1. Its
#   statistics come from the training set only and are reused on every other split.
# - Labels become **one-hot** targets, one output per digit.
#
# Next, lesson 01 trains the book's first network on exactly these inputs and targets.
