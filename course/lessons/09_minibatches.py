# %% [raw]
# # ASSIGNMENT CONFIG
# name: 09_minibatches
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 09 · Mini-batches and data handling
#
# **You will learn to**
# - compare one sample per step with mini-batches of 16 to 1,024: time per epoch against what one
#   epoch achieves;
# - explain why the loss, and so the gradient, is *averaged* over the batch;
# - see what happens when the data arrives sorted by class, and why we shuffle;
# - standardise the inputs to zero mean and unit variance, and compare with scaling to [0, 1];
# - split the data into training, validation and test sets, and use the test set once;
# - estimate a score on small data with **k-fold cross-validation**, as a mean ± std;
# - write a mini-batch iterator and the k-fold split yourself.
#
# The book trains on one image at a time. Lesson 08 already switched to mini-batches without
# much comment. This lesson looks at that choice and at the other decisions about the data that
# every training run makes: in what order the images arrive, how the pixels are scaled, and
# which images are used to judge the network.

# %%
# %matplotlib inline
import time

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import claims, metrics, plots
from mnist_lab.crossval import cross_validate
from mnist_lab.data import load_splits, standardize, stratified_subset, train_val_split
from mnist_lab.device import get_device, seed_everything
from mnist_lab.losses import make_loss
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.train import TrainConfig, fit

device = get_device()
splits = load_splits(val_size=10_000, device=device)  # pixels / 255; 50k train, 10k validation
x_train, y_train = splits.train
x_val, y_val = splits.val
MODERN = MLPConfig(hidden_activation="leaky_relu", output_activation="none")  # logits out
sub = stratified_subset(y_train, 5000)  # a quick 5,000-image training set, 500 per digit
x_sub, y_sub = x_train[sub], y_train[sub]
print(f"train {tuple(x_train.shape)}, validation {tuple(x_val.shape)}, subset {len(sub):,}")


def fresh(seed: int = 0) -> MLP:
    """A new 784→200→10 LeakyReLU network with seeded initial weights."""
    seed_everything(seed)
    return MLP(MODERN).to(device)


def one_epoch(x, y, batch_size=128, shuffle=True, xv=x_val, seed=0) -> tuple[float, float]:
    """Train a fresh network for one epoch with Adam; (accuracy on (xv, y_val), seconds).

    `seed` sets the initial weights and the batch order: another seed, another draw."""
    model = fresh(seed)
    config = TrainConfig(epochs=1, batch_size=batch_size, shuffle=shuffle, loss="cross_entropy",
                         progress=False, seed=seed)
    history = fit(model, (x, y), config)
    return metrics.accuracy(model, xv, y_val), history.seconds[0]


# %% [markdown]
# ## 1 · One image per step, or many?
#
# A step of gradient descent needs a gradient. With one image per step, the gradient is that of
# a single image: cheap, but noisy, and the computer does one small matrix-vector product at a
# time. A **mini-batch** of B images gives the average gradient of B images in one step. The
# matrix products become matrix-matrix products, which a CPU or GPU does far more efficiently
# per image. But an epoch then has only N / B steps.
#
# The cell trains the same network for one epoch on 2,000 images with batches of 16 to 1,024
# and times each epoch. For one image per step it times 200 steps and scales the time up to the
# 2,000 images of an epoch.

# %%
BATCHES = (16, 64, 256, 1024)
x_2k, y_2k = x_sub[:2000], y_sub[:2000]
one_epoch(x_2k[:256], y_2k[:256])  # warm-up: the first run pays one-off start-up costs
results = {b: one_epoch(x_2k, y_2k, batch_size=b) for b in BATCHES}
model = fresh()
config = TrainConfig(epochs=1, batch_size=1, loss="cross_entropy", progress=False)
per_sample = fit(model, (x_2k[:200], y_2k[:200]), config).seconds[0] * 10  # 200 → 2,000
for b, (acc, seconds) in results.items():
    print(f"batch {b:>5}: {-(-len(x_2k) // b):>4} steps, one epoch {seconds:.2f} s, "
          f"validation accuracy {acc:.0%}")
print(f"batch     1: 2000 steps, one epoch about {per_sample:.1f} s (from 200 steps)")
times = [per_sample] + [results[b][1] for b in BATCHES]
claims.expect(min(per_sample, results[16][1]) > results[1024][1],
              "bigger batches make faster epochs",
              ", ".join(f"{t:.2f} s" for t in times), "timings are noisy on a busy computer")
accs = [results[b][0] for b in BATCHES]
# One seed is enough here: 125 steps against 2 steps is a gap of tens of points, far beyond the
# point or two that another seed moves a one-epoch run.
claims.expect(accs[0] > accs[-1] + 0.05, "one epoch of big batches takes few steps and learns less",
              f"batch 16: {accs[0]:.1%}, batch 1,024: {accs[-1]:.1%}",
              "with more epochs, or a larger learning rate, big batches catch up")

fig = Figure(figsize=(12, 3.8), layout="constrained")
axes = fig.subplots(1, 2)
axes[0].plot((1,) + BATCHES, times, "o-")
axes[0].set_ylabel("seconds per epoch (your computer)")
axes[1].plot(BATCHES, accs, "o-", color="C1")
axes[1].set_ylabel("validation accuracy after one epoch")
for ax in axes:
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.grid(True, alpha=0.3)
fig

# %% [markdown]
# The two plots pull in opposite directions. Larger batches make an epoch much faster, because
# each image costs less. But one epoch of batch 1,024 is only two steps, and two steps cannot
# train a network, however accurate each gradient is. One epoch of batch 16 takes 125 steps and
# learns far more. Per *step*, a large batch gives a better gradient; per *second*, moderate
# batches usually win. Sizes such as 32, 64, 128 or 256 are the common middle ground. They are
# powers of two because the hardware works in blocks of powers of two (vector widths, warps of
# 32 threads on a GPU), so such sizes fill those blocks exactly. It is a convention more than a
# law: 100 works nearly as well.

# %% [markdown]
# ## 2 · Why the gradient is averaged over the batch
#
# The loss of a mini-batch is the **mean** of the per-image losses, not their sum. The gradient
# of a sum of B terms grows with B. With a summed loss, doubling the batch would double every
# step, and the learning rate would have to be retuned whenever the batch size changed. With the
# mean, the gradient keeps its scale for every batch size; it shrinks a little as the batch
# grows (here by about half), because the noise of single images averages out.
# The cell measures the gradient's norm for one fresh network on batches of 16 to 1,024 images,
# with both reductions.

# %%
loss_fn = make_loss("cross_entropy")
sizes = (16, 64, 256, 1024)
norms = {"mean": [], "sum": []}
for b in sizes:
    for reduction in norms:
        model = fresh()
        loss = loss_fn(model(x_sub[:b]), y_sub[:b])  # the mean over the b images
        if reduction == "sum":
            loss = loss * b
        loss.backward()
        norms[reduction].append(torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
                                .item())
for reduction, values in norms.items():  # one decimal: CPU and GPU agree on it
    print(f"{reduction:>4}: gradient norm " + ", ".join(f"{v:.1f}" for v in values))
claims.expect(norms["sum"][-1] / norms["sum"][0] > 20, "the summed loss's gradient grows with "
              "the batch", f"×{norms['sum'][-1] / norms['sum'][0]:.0f} from 16 to 1,024 images",
              "the claim is about batches from 16 to 1,024")
claims.expect(0.2 < norms["mean"][-1] / norms["mean"][0] < 1, "the mean's gradient keeps its "
              "scale, a little smaller with less noise",
              f"×{norms['mean'][-1] / norms['mean'][0]:.2f}", "the claim is about a fresh network")

fig = Figure(figsize=(6, 4), layout="constrained")
ax = fig.subplots()
for reduction, values in norms.items():
    ax.plot(sizes, values, "o-", label=f"loss = {reduction} over the batch")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("batch size")
ax.set_ylabel("gradient norm")
ax.grid(True, alpha=0.3)
ax.legend()
fig

# %% [raw]
# # BEGIN QUESTION
# name: q1_iterate_minibatches
# points: 2

# %% [markdown]
# **Exercise 1 · a mini-batch iterator.** Write `iterate_minibatches(x, y, batch_size,
# generator)`. It returns a list of `(xb, yb)` pairs that covers every sample exactly once, in a
# random order drawn with `torch.randperm(len(x), generator=generator)`. Every batch has
# `batch_size` samples except perhaps the last. Slice the permutation, then index `x` and `y`
# with each slice, so that image and label stay together.

# %% [raw]
# # BEGIN SOLUTION

# %%
def iterate_minibatches(x, y, batch_size, generator):
    """One epoch of shuffled (xb, yb) mini-batches; the last one may be short."""
    # BEGIN SOLUTION
    order = torch.randperm(len(x), generator=generator)
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x), batch_size)]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_minibatches_cover_every_sample_once(iterate_minibatches):
    import torch

    from mnist_lab import checks

    checks.require_attempt(iterate_minibatches)
    n, b = 100, 16
    x = torch.arange(n, dtype=torch.float32)[:, None] * torch.ones(1, 3)  # row i is all i
    y = torch.arange(n)
    batches = iterate_minibatches(x, y, b, torch.Generator().manual_seed(0))
    checks.check_type(batches, list, name="iterate_minibatches(...)", wanted="a list of "
                      "(xb, yb) pairs", hint="collect the pairs in a list and return it")
    sizes = [len(yb) for _, yb in batches]
    if sizes != [16] * 6 + [4]:
        raise checks.CheckFailed(f"batch sizes {sizes}, expected six of 16 and a last one of 4",
                                 hint="keep the short last batch: range(0, len(x), batch_size)")
    seen = torch.cat([torch.as_tensor(yb) for _, yb in batches])
    if not torch.equal(seen.sort().values, y):
        raise checks.CheckFailed("the batches do not cover every sample exactly once")
    if torch.equal(seen, y):
        raise checks.CheckFailed("the samples come in file order: shuffle with torch.randperm")
    if not all(torch.equal(torch.as_tensor(xb)[:, 0].long(), torch.as_tensor(yb))
               for xb, yb in batches):
        raise checks.CheckFailed("images and labels got separated: index x and y with the same "
                                 "slice of one permutation")
    # batches that fit exactly: no empty batch after the last full one
    exact = [len(yb) for _, yb in iterate_minibatches(x, y, 20, torch.Generator().manual_seed(0))]
    if exact != [20] * 5:
        raise checks.CheckFailed(f"100 samples in batches of 20 gave batch sizes {exact}, "
                                 "expected five of 20 (no empty batch at the end)",
                                 hint="start a batch at each of range(0, len(x), batch_size)")
    # the generator alone decides the order: the same seed gives the same batches, whatever
    # the global random state (torch.manual_seed) is
    orders = []
    with torch.random.fork_rng(devices=[]):  # leave the notebook's random state untouched
        for global_seed in (1, 2):
            torch.manual_seed(global_seed)
            again = iterate_minibatches(x, y, b, torch.Generator().manual_seed(0))
            orders.append(torch.cat([torch.as_tensor(yb) for _, yb in again]))
    if not (torch.equal(orders[0], seen) and torch.equal(orders[1], seen)):
        raise checks.CheckFailed("the order does not follow the generator: the same seed gave "
                                 "different batches",
                                 hint="torch.randperm(len(x), generator=generator)")
    print("✓ iterate_minibatches covers every sample once, shuffled by the generator, images "
          "with their labels.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_minibatches_edge_cases(iterate_minibatches):
    import torch

    from mnist_lab import checks

    for n, b in ((10, 1), (7, 10), (64, 64)):  # batch of one, batch larger than n, exact fit
        y = torch.arange(n)
        batches = list(iterate_minibatches(y[:, None].float(), y, b,
                                           torch.Generator().manual_seed(1)))
        if len(batches) != -(-n // b):
            raise checks.CheckFailed(f"n={n}, batch {b}: {len(batches)} batches, expected "
                                     f"{-(-n // b)}")
        seen = torch.cat([torch.as_tensor(yb) for _, yb in batches])
        if not torch.equal(seen.sort().values, y):
            raise checks.CheckFailed(f"n={n}, batch {b}: not every sample exactly once")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3 · Shuffle the data
#
# The MNIST training file is not sorted by class: its digits come in a jumbled order, so the
# book's file order works. Many data sets are not like that. Files are often grouped by class
# or by source, and a network trained on such an order learns the last class it saw and forgets
# the rest: each stretch of the epoch pulls the network towards one digit. The cell trains one
# epoch (78 steps of 64) on the 5,000-image subset three ways: shuffled every epoch (the
# default), in file order, and sorted by label, all zeros first and all nines last. Each way runs
# from three seeds (initial weights and shuffles), so that we can tell a real difference from the
# spread between runs.

# %%
SEEDS = (0, 1, 2)
by_label = torch.argsort(y_sub, stable=True)  # all 0s, then all 1s, ..., then all 9s
ways = {"shuffled": (x_sub, y_sub, True), "file order": (x_sub, y_sub, False),
        "sorted by label": (x_sub[by_label], y_sub[by_label], False)}
runs = {name: torch.tensor([one_epoch(x, y, 64, shuffle, seed=seed)[0] for seed in SEEDS])
        for name, (x, y, shuffle) in ways.items()}
orders = {name: accs.mean().item() for name, accs in runs.items()}
for name, accs in runs.items():
    print(f"{name:<16} validation accuracy {100 * accs.mean():.0f} ± {100 * accs.std():.0f}% "
          f"over {len(SEEDS)} seeds")
file_gap = runs["file order"] - runs["shuffled"]  # paired by seed
noise = "within noise" if file_gap.mean().abs() <= 2 * file_gap.std() else "beyond the spread"
print(f"file order − shuffled: {100 * file_gap.mean():+.1f} ± {100 * file_gap.std():.1f} points: "
      f"{noise}")
why = "with more epochs or other data the orders can end closer together"
claims.expect(orders["shuffled"] > orders["sorted by label"] + 0.3,
              "sorted by label ends far below shuffled", f"{orders}", why)
claims.expect(orders["sorted by label"] < 0.3, "sorted by label ends near chance",
              f"{orders['sorted by label']:.1%}", why)
claims.expect(file_gap.abs().mean() < 0.03, "MNIST's file order does as well as shuffling, "
              "within a few points", f"{100 * file_gap.mean():+.1f} points", why)

plots.plot_comparison(orders, ylabel="validation accuracy after one epoch")

# %% [markdown]
# Sorted by label, the network spends its last steps on nines alone and forgets the rest: it
# ends the epoch near chance, 10%. Shuffled, every mini-batch is a fair sample of all
# ten digits. MNIST's own file order is already mixed, so it does as well as shuffling here (the
# difference is about as large as the spread between seeds), but
# a fresh random order each epoch also keeps the same images from always sharing a batch.
# `mnist_lab.train.fit` draws a seeded `randperm` every epoch.

# %% [markdown]
# ## 4 · Standardise the inputs
#
# The book scales pixels to [0, 1]. The common alternative is to **standardise**: subtract the
# mean and divide by the standard deviation, so that inputs have mean 0 and variance 1. With
# inputs centred on zero, the first layer's weighted sums start centred too, and the gradient
# steps for different weights are more evenly sized. The statistics come from the *training*
# set only and are reused unchanged for validation and test: the network must not learn
# anything from those sets, not even their mean. `standardize` uses one mean and one std for all
# pixels (0.13 and 0.31 for MNIST), not one per pixel, because the border pixels are black in
# every image and their std is zero.

# %%
z_sub, mean, std = standardize(x_sub)  # statistics of the training images
print(f"mean {mean:.4f}, std {std:.4f}; standardised: mean {z_sub.mean():.3f}, "
      f"std {z_sub.std():.3f}")
z_val = standardize(x_val, mean, std)[0]  # the same numbers applied to the validation set
scalings = {}
for name, (xs, xv) in {"[0, 1]": (x_sub, x_val), "standardised": (z_sub, z_val)}.items():
    scalings[name] = torch.tensor([one_epoch(xs, y_sub, xv=xv, seed=seed)[0] for seed in SEEDS])
    print(f"inputs {name:<13} validation accuracy after one epoch "
          f"{100 * scalings[name].mean():.0f} ± {100 * scalings[name].std():.0f}% over "
          f"{len(SEEDS)} seeds")
difference = scalings["standardised"] - scalings["[0, 1]"]  # paired by seed
print(f"standardised − [0, 1], seed by seed: {100 * difference.mean():+.0f} ± "
      f"{100 * difference.std():.0f} points")
why = "with more epochs, another optimiser or learning rate the two scalings end closer or further"
claims.expect(all(acc.min() > 0.75 for acc in scalings.values()), "both scalings train well",
              f"{[round(a.min().item(), 3) for a in scalings.values()]}", why)
claims.expect(difference.min() > 0 and difference.mean() < 0.05,
              "standardised is ahead for every seed, by a few points at most",
              f"{[round(100 * d, 1) for d in difference.tolist()]} points", why)

# %% [markdown]
# Both train well. Standardised inputs are a little ahead after one epoch, by two or three points
# for every seed: more than the spread between seeds, so a real if small effect. For this shallow
# network with Adam and LeakyReLU the scaling of the inputs matters less
# than one might expect: Adam adapts each
# weight's step to its gradient's scale (lesson 04). Standardisation matters more for plain SGD,
# for deeper networks and for inputs on very different scales (say, age in years next to income
# in euros). It costs nothing, so it is a sensible default, and `load_splits(standardize=True)`
# does it with the training statistics.

# %% [markdown]
# ## 5 · Training, validation and test sets
#
# Every choice in this lesson, a batch size, a scaling, a learning rate, is made by comparing
# scores. If those scores came from the test set, the test set would gradually become part of
# training: after enough comparisons, the winner is partly the one that happens to suit those
# 10,000 images. Its test score would then be optimistic.
#
# So the data is split three ways:
# - the **training set** trains the weights;
# - the **validation set** (here 10,000 images held out of the 60,000) scores the choices:
#   hyperparameters, early stopping, learning-rate schedules;
# - the **test set** is used **once**, at the end, to report the final number.
#
# `train_val_split(labels, 10_000, stratify=True)` holds out the validation images in the same
# class proportions as the whole training file, so that neither part is short of any digit.

# %%
from mnist_lab.data import load_mnist

_, labels = load_mnist("train", device=device)  # all 60,000 labels, file order
train_idx, val_idx = train_val_split(labels, 10_000, seed=0, stratify=True)
share = {name: torch.bincount(labels[idx], minlength=10) / len(idx)
         for name, idx in (("all 60,000", torch.arange(len(labels))), ("training", train_idx),
                           ("validation", val_idx))}
gap = (share["training"] - share["validation"]).abs().max().item()
print(f"{len(train_idx):,} training and {len(val_idx):,} validation images; largest difference "
      f"in a class's share: {gap:.4f}")
assert len(set(train_idx.tolist()) & set(val_idx.tolist())) == 0  # no image in both
claims.expect(gap < 0.001, "a stratified split keeps every class's share to within 0.1 points",
              f"{gap:.4f}", "stratify=False draws the validation images at random")

fig = Figure(figsize=(8, 3.5), layout="constrained")
ax = fig.subplots()
for k, (name, values) in enumerate(share.items()):
    ax.bar(np.arange(10) + (k - 1) * 0.27, values.cpu(), 0.27, label=name)
ax.set_xticks(range(10))
ax.set_xlabel("digit")
ax.set_ylabel("share of the images")
ax.legend()
fig

# %% [markdown]
# ## 6 · k-fold cross-validation on small data
#
# With 50,000 training images, one validation set of 10,000 is plenty. With 2,000 images, a
# validation set of 400 is small: which 400 images it holds moves the score by a point or more.
# **k-fold cross-validation** uses the data better. Split it into k folds (k = 5 or 10). Train k
# networks, each on k − 1 folds, and score each on the fold it did not see. Every image is used
# for validation exactly once, and the k scores give a mean and a spread. The cost is k
# trainings instead of one, which is why it is used for small data.

# %%
small = stratified_subset(y_train, 2000, seed=2)
fold_scores = cross_validate(fresh, x_train[small], y_train[small], k=5,
                             config=TrainConfig(epochs=2, batch_size=64, loss="cross_entropy",
                                                progress=False))
mean_acc, std_acc = float(np.mean(fold_scores)), float(np.std(fold_scores, ddof=1))
print("fold accuracies: " + ", ".join(f"{s:.0%}" for s in fold_scores))
print(f"5-fold cross-validation on 2,000 images: {mean_acc:.0%} ± {std_acc:.0%} (mean ± std)")
claims.expect(std_acc > 0 and 0.75 < mean_acc < 0.97, "the folds differ, around a mean of 75–97%",
              f"{mean_acc:.1%} ± {std_acc:.1%}", "other settings train a better or worse network")

fig = Figure(figsize=(6, 3.5), layout="constrained")
ax = fig.subplots()
ax.bar(range(1, 6), fold_scores, color="C0")
ax.axhline(mean_acc, color="C3", linestyle="--", label=f"mean {mean_acc:.1%} ± {std_acc:.1%}")
ax.set_ylim(0.7, 1.0)
ax.set_xlabel("fold held out")
ax.set_ylabel("accuracy on the held-out fold")
ax.legend()
fig

# %% [markdown]
# The five scores differ by a few points although the network, the data and the training are the
# same; only the held-out fold changes. A single split would have reported just one of these
# numbers. "Mean ± std over folds" says both what to expect and how far to trust it. The same
# habit applies to random seeds: report results as the mean ± std over several runs, as this
# lesson did from section 3 on (lesson 16 does it throughout).

# %% [raw]
# # BEGIN QUESTION
# name: q2_kfold_indices
# points: 2

# %% [markdown]
# **Exercise 2 · k-fold indices.** Write `kfold_indices(n, k)`. It returns a list of k pairs
# `(train_idx, val_idx)` of index tensors. Every index 0…n−1 is in exactly one `val_idx`, each
# `train_idx` holds all the other indices, and fold sizes differ by at most one. Shuffling is
# optional. `torch.arange`, `torch.tensor_split` and `torch.cat` are all you need.

# %% [raw]
# # BEGIN SOLUTION

# %%
def kfold_indices(n, k):
    """k (train_idx, val_idx) pairs; each index is validated exactly once."""
    # BEGIN SOLUTION
    folds = torch.tensor_split(torch.arange(n), k)  # k nearly equal parts
    return [(torch.cat([f for j, f in enumerate(folds) if j != i]), fold)
            for i, fold in enumerate(folds)]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_kfold_indices_partition(kfold_indices):
    import torch

    from mnist_lab import checks

    checks.require_attempt(kfold_indices)
    n, k = 23, 5
    folds = kfold_indices(n, k)
    checks.check_type(folds, (list, tuple), name="kfold_indices(23, 5)",
                      wanted="a list of (train_idx, val_idx) pairs")
    folds = list(folds)
    if len(folds) != k:
        raise checks.CheckFailed(f"expected {k} (train, val) pairs, got {len(folds)}")
    val = torch.cat([torch.as_tensor(v) for _, v in folds])
    if not torch.equal(val.sort().values, torch.arange(n)):
        raise checks.CheckFailed("the validation folds must hold every index exactly once")
    for train, v in folds:
        both = set(torch.as_tensor(train).tolist()) | set(torch.as_tensor(v).tolist())
        if len(train) + len(v) != n or len(both) != n:
            raise checks.CheckFailed("each train_idx must hold exactly the indices not in its "
                                     "val_idx")
    sizes = [len(v) for _, v in folds]
    if max(sizes) - min(sizes) > 1:
        raise checks.CheckFailed(f"fold sizes {sizes} differ by more than one",
                                 hint="torch.tensor_split(torch.arange(n), k) spreads the "
                                      "remainder over the first folds")
    print("✓ kfold_indices splits 23 indices into 5 folds correctly.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_kfold_indices_other_sizes(kfold_indices):
    import torch

    from mnist_lab import checks

    for n, k in ((7, 7), (103, 10), (10, 2)):  # leave-one-out, uneven folds, halves
        folds = list(kfold_indices(n, k))
        val = torch.cat([torch.as_tensor(v) for _, v in folds])
        sizes = [len(v) for _, v in folds]
        ok = (len(folds) == k and torch.equal(val.sort().values, torch.arange(n))
              and all(len(t) + len(v) == n for t, v in folds) and max(sizes) - min(sizes) <= 1)
        if not ok:
            raise checks.CheckFailed(f"kfold_indices({n}, {k}) is not a partition into {k} "
                                     "folds of nearly equal size")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - **Mini-batches** trade gradient noise for speed: larger batches make an epoch faster, but
#   an epoch of them has fewer steps. Sizes of 32–256, powers of two by convention, are the
#   usual middle ground.
# - The loss is the **mean** over the batch, so the gradient's scale, and the right learning
#   rate, do not depend on the batch size.
# - **Shuffle** every epoch. Data sorted by class trains a network that remembers the last
#   class it saw.
# - **Standardise** inputs with the training set's mean and std, applied unchanged to
#   validation and test. For this network it changes little; it costs nothing.
# - **Training / validation / test**: tune on validation, touch the test set once. Stratified
#   splits keep the class proportions.
# - **k-fold cross-validation** gives a mean ± std on small data, at k times the cost.
