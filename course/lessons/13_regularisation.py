# %% [raw]
# # ASSIGNMENT CONFIG
# name: 13_regularisation
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 13 · Regularisation: weight decay, dropout and data augmentation
#
# **You will learn to**
# - explain what **regularisation** is: anything that makes memorising the training images
#   harder than learning what the digits have in common;
# - add an **L2 penalty** (weight decay) to the loss, and see that it keeps the weights small;
# - use **dropout**, and pick its rate: 0.5 for a wide network, 0.2 for a small one;
# - **augment** the training images on the fly, in batches on the device: small rotations,
#   shifts, zooms and elastic distortions, and see why digits must never be flipped;
# - compare all of them on one chart by what they do to the **generalisation gap**;
# - write an L2 penalty, an inverted-dropout layer and a random shift yourself.
#
# Lesson 12 ended with a network that learned its 500 or 2,000 training images perfectly and
# was much worse on the validation images. That gap between training and validation accuracy is
# **overfitting**: the network has enough capacity to memorise every training image, pixel
# quirks included, and nothing stops it from doing so. Lesson 12 showed the most reliable cure,
# more data. This lesson is about the cures for when more data is not to be had. Each one makes
# memorising harder in its own way: weight decay penalises large weights, dropout makes every
# hidden unit unreliable, and augmentation shows the network a slightly different version of
# each image every time.
#
# To see the effects clearly we need a setting that overfits on purpose: **1,000 training
# images** (100 of each digit), a **wide network** (784 → 512 → 10, ReLU) and **15 epochs** of SGD
# with momentum 0.9, learning rate 0.05, batches of 32 and a cosine schedule (lesson 10) that
# lets every run settle at the end. The validation set is 2,000 images held out of the 60,000
# training images. Every setting is trained from three seeds, and the numbers are means over
# them, with the spread where two settings are close: on 2,000 validation images one standard
# error is about 0.65 points, as large as many differences between regularisers. (On a given
# machine every number comes out the same each time; on another machine, or a GPU, the last
# digits can differ, which is one more reason to trust only differences larger than the spread.)

# %%
# %matplotlib inline
import dataclasses

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import metrics, plots, widgets
from mnist_lab.claims import expect
from mnist_lab.augment import AugmentConfig, Augmented, augment, elastic
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.device import get_device, seed_everything
from mnist_lab.ensemble import mean_std
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig
from mnist_lab.train import TrainConfig, fit

device = get_device()
splits = load_splits(val_size=10_000, device=device)  # pixels / 255; 10,000 held out
keep = stratified_subset(splits.train[1], 1000, seed=0)  # 100 of each digit
data = Splits(train=(splits.train[0][keep], splits.train[1][keep]),
              val=(splits.val[0][:2000], splits.val[1][:2000]))
x_train, y_train = data.train
x_val, y_val = data.val
print(f"training images {tuple(x_train.shape)}, validation images {tuple(x_val.shape)}")

runs = {}  # name -> Run: every setting is trained once per seed and kept here
SEEDS = (0, 1, 2)  # one seed is not enough: on 2,000 validation images one standard error is
# about 0.65 points, as large as many of the differences below


class Run:
    """One setting trained from every seed: seed 0's model and History (for the figures), and
    each seed's accuracies, measured with the final weights. The plain numbers are means."""

    def __init__(self, results):
        self.model, self.history = results[0]
        self.train_accs = [metrics.accuracy(m, x_train, y_train) for m, _ in results]  # clean
        self.val_accs = [h.val_acc[-1] for _, h in results]
        self.train_acc, self.val_acc = np.mean(self.train_accs), np.mean(self.val_accs)
        self.gap = self.train_acc - self.val_acc
        self.seconds = sum(sum(h.seconds) for _, h in results)


def train_one(seed, width, weight_decay, dropout, augmentation):
    """Train a fresh 784 → width → 10 ReLU network from `seed` on the 1,000 images."""
    seed_everything(seed)  # the same initial weights for every setting of the same width
    model = MLP(MLPConfig(sizes=(784, width, 10), hidden_activation="relu",
                          output_activation="none", dropout=dropout))
    if augmentation is not None:
        model = Augmented(model, dataclasses.replace(augmentation, seed=seed))  # train mode only
    history = fit(model, data, TrainConfig(
        epochs=15, batch_size=32, loss="cross_entropy", seed=seed,
        optim=OptimConfig(name="sgd", lr=0.05, momentum=0.9, weight_decay=weight_decay),
        schedule=ScheduleConfig(name="cosine"), device=str(device), progress=False))
    return model, history


def train(width=512, weight_decay=0.0, dropout=0.0, augmentation=None):
    """Train the setting once per seed; returns a Run."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a batch of 32 is too small a job to split between CPU threads
    try:
        return Run([train_one(s, width, weight_decay, dropout, augmentation) for s in SEEDS])
    finally:
        torch.set_num_threads(threads)


def report(name, run=None):
    run = run or runs[name]
    print(f"{name:<14} train {run.train_acc:.3f}, val {run.val_acc:.3f} ± "
          f"{mean_std(run.val_accs)[1]:.3f}, gap {run.gap:.3f}  (mean ± std of {len(SEEDS)} seeds)")


def paired(a, b):
    """Validation accuracy of run a minus run b, per seed (same start, same batches): mean, std."""
    return mean_std([x - y for x, y in zip(a.val_accs, b.val_accs)])


WHY = ("another seed count, width, data size or number of epochs moves these numbers; a "
       "difference smaller than its spread over seeds can change sign")


# %% [markdown]
# ## 1 · The baseline: no regularisation
#
# First the network with no regularisation at all. We measure the training accuracy again after
# training, with the final weights on the plain training images, next to the validation accuracy.
# The difference is the **generalisation gap** from lesson 12.

# %%
runs["none"] = train()
report("none")
expect(runs["none"].train_acc > 0.99, "every training image is learned",
       f"train accuracy {runs['none'].train_acc:.3f}", WHY)
expect(0.08 < runs["none"].gap < 0.13, "about 10 points are lost on new images",
       f"gap {runs['none'].gap:.3f}", WHY)

# %% [markdown]
# The network classifies all 1,000 training images correctly and about nine in ten validation
# images: a gap of about 10 points. Each regulariser below is judged by two numbers: how much it
# narrows that gap, and, more important, whether the validation accuracy goes up. A narrower gap
# alone is easy to get: a network that learns nothing has no gap at all.
#
# ## 2 · L2 weight decay
#
# An overfitting network tends to grow large weights: large weights make sharp, wiggly decision
# boundaries that can wrap around individual training images. **L2 regularisation** adds a
# penalty on the size of the weights to the loss:
#
# $$L_\text{total} = L_\text{data} + \frac{\lambda}{2} \sum_i w_i^2$$
#
# The gradient of the penalty is simply $\lambda w_i$, so one SGD step becomes
#
# $$w \leftarrow w - \eta\,(g + \lambda w) = (1 - \eta\lambda)\, w - \eta\, g .$$
#
# Before every step each weight shrinks by the factor $1 - \eta\lambda$, a little towards zero:
# hence the other name, **weight decay**. Only weights that the data keeps pushing up stay large.
# In PyTorch it is the optimiser's `weight_decay=λ` argument (our `OptimConfig(weight_decay=...)`),
# which adds $\lambda w$ to every gradient. Good values are small, between about 1e-5 and 1e-2;
# lesson 11 searched for one on a log scale. Here we use λ = 0.02, a strong setting, so that
# the effect shows in 15 epochs. (With Adam, adding $\lambda w$ to the gradient is not the same
# as shrinking the weights, because Adam rescales every gradient; AdamW applies the decay
# directly, which is why it exists.)

# %%
runs["L2"] = train(weight_decay=0.02)
report("L2")


def weight_norm(model):
    """sqrt of the sum of all squared weights (biases included)."""
    return torch.sqrt(sum((p.detach() ** 2).sum() for p in model.parameters())).item()


norm_none, norm_l2 = weight_norm(runs["none"].model), weight_norm(runs["L2"].model)
print(f"size of all weights: no penalty {norm_none:.1f}, L2 {norm_l2:.1f}")
l2_gain = paired(runs["L2"], runs["none"])
print(f"validation, L2 − none: {l2_gain[0]:+.3f} ± {l2_gain[1]:.3f} (paired over seeds)")
expect(norm_l2 < 0.5 * norm_none, "the penalty keeps the weights under half the size",
       f"{norm_l2:.1f} vs {norm_none:.1f}", "a smaller λ shrinks them less")
expect(runs["L2"].gap < runs["none"].gap - 0.015, "L2 narrows the gap",
       f"{runs['L2'].gap:.3f} vs {runs['none'].gap:.3f}", WHY)
expect(runs["L2"].train_acc < runs["none"].train_acc - 0.01, "...by lowering training accuracy",
       f"{runs['L2'].train_acc:.3f} vs {runs['none'].train_acc:.3f}", WHY)
expect(l2_gain[0] < l2_gain[1], "L2 buys no validation accuracy beyond noise",
       f"{l2_gain[0]:+.3f} ± {l2_gain[1]:.3f}", WHY)

# %% [markdown]
# Weight decay did what it promises: the weights are less than half as large, and the gap is
# narrower. But look at *how* the gap narrowed: the training accuracy dropped, and the validation
# accuracy did not rise (if anything it fell by half a point, paired over the seeds). On this
# network and data, L2 alone trades fitting the training set for nothing. That is a common
# outcome for small networks on MNIST. Weight decay earns its keep in
# longer runs and bigger models, usually at a small λ together with the other regularisers, and
# it is cheap, so most recipes keep a little of it.

# %% [raw]
# # BEGIN QUESTION
# name: q1_l2_penalty
# points: 1

# %% [markdown]
# **Exercise 1 · the L2 penalty.** Write `l2_penalty(params, weight_decay)`. `params` is a list of
# tensors (the weights and biases of a network), and the function returns the 0-d tensor
#
# $$\frac{\lambda}{2} \sum_{\text{tensors } p} \; \sum_{\text{entries}} p^2 ,$$
#
# with λ = `weight_decay`. Keep it differentiable (no `.item()`): the check also compares the
# gradient, which should come out as `weight_decay * p` for every tensor, exactly what
# PyTorch's `weight_decay` adds to the gradient.

# %% [raw]
# # BEGIN SOLUTION

# %%
def l2_penalty(params, weight_decay):
    """(weight_decay / 2) times the sum of the squares of all entries of all tensors."""
    # BEGIN SOLUTION
    return 0.5 * weight_decay * sum((p ** 2).sum() for p in params)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_l2_penalty_values_and_gradients(l2_penalty):
    import torch

    from mnist_lab import checks
    from mnist_lab.optim import l2_penalty as reference

    gen = torch.Generator().manual_seed(0)
    weight, bias = torch.randn(5, 4, generator=gen), torch.randn(5, generator=gen)
    checks.check_function(l2_penalty, reference,
                          [([weight, bias], 0.01), ([weight], 0.5), ([bias, weight, bias], 1e-3)],
                          name="l2_penalty",
                          hint="square every entry, add them all up over all tensors, then "
                               "multiply by weight_decay / 2 (the 1/2 makes the gradient "
                               "exactly weight_decay · p)")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_l2_penalty_edge_cases(l2_penalty):
    import torch

    from mnist_lab import checks
    from mnist_lab.optim import l2_penalty as reference

    gen = torch.Generator().manual_seed(1)
    big = torch.randn(3, 2, 4, generator=gen, dtype=torch.float64)
    checks.check_function(l2_penalty, reference,
                          [([big], 0.3), ([torch.tensor(2.5)], 2.0),
                           ([torch.randn(1, 7, generator=gen), torch.randn(7, generator=gen)],
                            5e-4)],
                          name="l2_penalty", quiet=True)
    checks.check_function(l2_penalty, reference, [([big], 0.0)], name="l2_penalty",
                          grad=False, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3 · Dropout
#
# **Dropout** switches off a random part of the hidden units at every training step: each unit's
# output is set to zero with probability $p$, a fresh choice for every image and every step. A
# unit can no longer count on any particular partner being there, so the network cannot build
# fragile, memorising combinations of units; it has to spread what it knows over many units.
# One way to see it: every step trains a different thinned network, and the full network at the
# end behaves like an average of all of them.
#
# At evaluation time nothing is dropped. To keep the expected value of each unit the same in
# both modes, the units that survive in training are scaled up by $1/(1-p)$. This is
# **inverted dropout**, what `torch.nn.Dropout` does: in `model.train()` mode it drops and
# scales, in `model.eval()` mode it is the identity. (`fit` and `metrics` switch the modes for
# you; in your own loops, forgetting `model.eval()` is a classic bug.) Below, 100,000 ones go
# through dropout with p = 0.5: half become 0, the rest 2, and the mean stays 1.

# %%
dropout_layer = torch.nn.Dropout(p=0.5)
ones = torch.ones(100_000)
seed_everything(0)
dropped = dropout_layer.train()(ones)
kept = (dropped > 0).float().mean().item()
print(f"training mode: kept {kept:.3f} of the units, each now {dropped.max().item():.1f}; "
      f"mean {dropped.mean().item():.2f}")
print(f"eval mode: unchanged? {torch.equal(dropout_layer.eval()(ones), ones)}")
assert abs(kept - 0.5) < 0.01 and abs(dropped.mean().item() - 1) < 0.01

# %% [markdown]
# The usual rates: **p = 0.5** is the classic, conservative choice for large hidden layers, where
# there are plenty of units to spread the knowledge over. **p = 0.2** suits small networks,
# whose few units cannot afford to lose half of themselves at every step. `MLPConfig(dropout=p)`
# puts a dropout layer after every hidden activation. We try both rates on the wide network,
# and, to check the advice for small networks, on a network with only 32 hidden units.

# %%
runs["dropout 0.2"] = train(dropout=0.2)
runs["dropout 0.5"] = train(dropout=0.5)
for name in ("dropout 0.2", "dropout 0.5"):
    report(name)
none, d2, d5 = runs["none"], runs["dropout 0.2"], runs["dropout 0.5"]
small = {p: train(width=32, dropout=p) for p in (0.0, 0.2, 0.5)}
for p, run in small.items():
    report(f"32 units, p={p}", run)
comparisons = {"512 units: 0.5 − none": paired(d5, none), "512 units: 0.2 − none": paired(d2, none),
               "32 units: 0.2 − none": paired(small[0.2], small[0.0]),
               "32 units: 0.2 − 0.5": paired(small[0.2], small[0.5])}
for name, (diff, spread) in comparisons.items():
    print(f"validation, {name:<22} {diff:+.3f} ± {spread:.3f} (paired over seeds)")
expect(d5.gap < none.gap - 0.005 and d5.gap < d2.gap, "0.5 narrows the gap of the wide net",
       f"gaps {none.gap:.3f} (none), {d2.gap:.3f} (0.2), {d5.gap:.3f} (0.5)", WHY)
expect(comparisons["512 units: 0.5 − none"][0] > comparisons["512 units: 0.5 − none"][1],
       "dropout 0.5 raises the wide net's validation accuracy by more than the spread over seeds",
       "{:+.3f} ± {:.3f}".format(*comparisons["512 units: 0.5 − none"]), WHY)
for name in ("32 units: 0.2 − none", "32 units: 0.2 − 0.5"):  # for 32 units, 0.2 is best
    expect(comparisons[name][0] > comparisons[name][1], f"{name}: positive beyond its spread",
           "{:+.3f} ± {:.3f}".format(*comparisons[name]), WHY)
expect(small[0.5].train_acc < small[0.0].train_acc - 0.02,
       "0.5 keeps the 32-unit network from fitting its training images",
       f"train {small[0.5].train_acc:.3f} vs {small[0.0].train_acc:.3f}", WHY)

# %% [markdown]
# Over three seeds the advice holds up. On the wide network, dropout 0.5 narrows the gap and
# lifts the validation accuracy by about a point, in every seed: its paired difference to no
# dropout is far larger than its spread. Dropout 0.2 is too gentle to matter for 512 units: its
# difference is within noise. On the small network it is the other way round: 0.2 is the best
# of the three, about a point ahead of both others (each paired difference larger than its
# spread, though with three seeds not by much), and 0.5 takes away so much that the network no
# longer fits its training images. Had we trained one seed only, differences of half a point
# could have pointed either way: one standard error on 2,000 validation images is about 0.65
# points. The rate is a hyperparameter
# like any other: start at 0.5 for wide layers and 0.2 for narrow ones, then let the validation
# set decide.

# %% [raw]
# # BEGIN QUESTION
# name: q2_dropout
# points: 2

# %% [markdown]
# **Exercise 2 · inverted dropout.** Write `dropout(x, mask, p, training=True)`. `mask` is a
# boolean tensor of the same shape as `x`, `True` where a unit is kept. (In a real layer it is
# drawn fresh at every step as `torch.rand(x.shape) >= p`; here it is given, so that your
# result can be checked exactly.) In training mode return `x` with the dropped units set to 0
# and the kept ones scaled by `1 / (1 - p)`; with `training=False` return `x` unchanged.
# Return a new tensor: do not change `x` in place.

# %% [raw]
# # BEGIN SOLUTION

# %%
def dropout(x, mask, p, training=True):
    """Inverted dropout with a given keep-mask: x · mask / (1 − p) in training, x in eval."""
    # BEGIN SOLUTION
    if not training:
        return x
    return x * mask / (1 - p)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_dropout_scales_kept_units(dropout):
    import torch

    from mnist_lab import checks
    from mnist_lab.models import dropout_with_mask as reference

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 6, generator=gen)
    mask = torch.rand(4, 6, generator=gen) >= 0.5
    checks.check_function(dropout, reference,
                          [(x, mask, 0.5), (x, torch.rand(4, 6, generator=gen) >= 0.2, 0.2),
                           (x, torch.rand(4, 6, generator=gen) >= 0.9, 0.9),
                           {"args": (x, mask, 0.5), "kwargs": {"training": False}}],
                          name="dropout",
                          hint="zero the dropped units (x * mask) and divide the kept ones by "
                               "1 - p, so the expected value stays x; at eval time return x")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_dropout_edge_cases(dropout):
    import torch

    from mnist_lab import checks
    from mnist_lab.models import dropout_with_mask as reference

    gen = torch.Generator().manual_seed(1)
    x64 = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    one = torch.randn(1, 9, generator=gen)
    checks.check_function(dropout, reference,
                          [(x64, torch.ones(3, 5, dtype=torch.bool), 0.0),  # p = 0: identity
                           (x64, torch.rand(3, 5, generator=gen) >= 0.9, 0.9),
                           (one, torch.rand(1, 9, generator=gen) >= 0.3, 0.3),  # batch of 1
                           {"args": (one, torch.zeros(1, 9, dtype=torch.bool), 0.3),
                            "kwargs": {"training": False}}],
                          name="dropout", quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 4 · Data augmentation
#
# The most effective regulariser for images changes the data instead of the network. A digit
# rotated by a few degrees, moved by a pixel or two, drawn a little bigger or with a wobblier
# hand is still the same digit. So every time the network sees a training image, we show it a
# fresh random variant: the network never sees exactly the same picture twice, and memorising
# pixels stops paying off. The distortions must be ones that keep the label right. For digits:
#
# - **small rotations** (here up to ±10°), **shifts** (up to ±2 pixels) and **zooms** (0.9–1.1×);
# - **elastic distortion** (Simard, Steinkraus and Platt, 2003): every pixel gets a random
#   displacement; a Gaussian blur (σ = 4 pixels) makes neighbouring pixels move together, and a
#   factor α = 34 sets the strength. The result looks like another person's handwriting;
# - optionally a little **noise** on the pixels (`AugmentConfig(noise_std=...)`).
#
# `mnist_lab.augment` does all of this **in batches on the device**: one sampling grid per image,
# all built at once, and one `torch.nn.functional.grid_sample` call reads every image of the
# batch through its own grid. No Python loop over images, no trip to the CPU, so the training
# loop is barely slower. Each row below is the same eight training digits.

# %%
AUG = AugmentConfig(max_rotation=10, max_shift=2, scale=(0.9, 1.1),
                    elastic_alpha=34, elastic_sigma=4)
AFFINE_ONLY = AugmentConfig(max_rotation=10, max_shift=2, scale=(0.9, 1.1))
gen = torch.Generator(device=x_train.device).manual_seed(0)
sample = x_train[::125][:8]  # eight training digits, (8, 784)
preview = {
    "original": sample,
    "rotate, shift, zoom": augment(sample, AFFINE_ONLY, gen),
    "elastic": elastic(sample, alpha=34, sigma=4, generator=gen),
    "all of them": augment(sample, AUG, gen),
    "all of them, again": augment(sample, AUG, gen),
}


def image_rows(rows, titles=None):
    """One row of digits per entry of rows (name -> (n, 784) images); optional titles per row."""
    names = list(rows)
    n = len(rows[names[0]])
    fig = Figure(figsize=(1.2 * n + 1.5, 1.35 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), n, squeeze=False)
    for r, name in enumerate(names):
        pictures = rows[name].detach().reshape(-1, 28, 28).cpu().numpy()
        for c, ax in enumerate(axes[r]):
            ax.imshow(pictures[c], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None:
                ax.set_title(titles[name][c], fontsize=9)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    return fig


# over all 1,000 training images the distortions keep the amount of ink (the sum of the pixels)
ink = augment(x_train, AUG, gen).sum().item() / x_train.sum().item()
print(f"ink after augmentation: {ink:.2f} of the original amount")
WHY_AUG = "stronger distortions (a larger α, rotation or zoom) change the ink and the strokes more"
expect(abs(ink - 1) < 0.05, "the same digits keep the same amount of ink (within 5%)",
       f"{ink:.3f}", WHY_AUG)
expect(bool((preview["elastic"] - sample).abs().max() > 0.5), "but the strokes really moved",
       f"largest pixel change {(preview['elastic'] - sample).abs().max():.2f}", WHY_AUG)
image_rows(preview)

# %% [markdown]
# Try the ranges yourself in the **augmentation preview** below: move a slider (rotation, shift,
# zoom, noise, elastic α and σ) and see the same eight digits distorted that much; "draw" picks
# new random distortions. Push the rotation to 45° or α to 60 and ask whether every digit still
# reads as itself: that is where an augmentation starts to teach wrong labels. (Where the notebook
# cannot show widgets, as in the static course pages, you see its first picture, with `AUG`.)

# %%
live = widgets.augmentation_preview(sample, AUG)
assert live.config == AUG  # it starts from the lesson's settings
live

# %% [markdown]
# ### Why no flips?
#
# Mirroring is the standard augmentation for photos: a mirrored cat is still a cat. A mirrored
# digit is not a digit any more, or it is a different one: a flipped 2 looks much like a 5 and a
# flipped 5 like a 2, a flipped 7 points the wrong way, a flipped 3 is an ε. Training on flipped
# digits would teach the network that these shapes carry the original labels. Below, the network
# from section 1 (no regularisation, never shown a flip) classifies mirrored validation images.

# %%
plain = runs["none"].model


def predict(images):
    return metrics.predict(plain, images).tolist()


def mirror(images):
    """Flip (n, 784) images left to right."""
    return images.view(-1, 28, 28).flip(dims=(2,)).reshape(-1, 784)


first = [int((y_val == d).nonzero()[0]) for d in (2, 3, 4, 5, 6, 7, 9)]  # one of each digit
originals, flipped = x_val[first], mirror(x_val[first])
rows = {"original": originals, "flipped": flipped}
titles = {"original": [f"{y} → {p}" for y, p in zip(y_val[first].tolist(), predict(originals))],
          "flipped": [f"{y} → {p}" for y, p in zip(y_val[first].tolist(), predict(flipped))]}
acc_plain = metrics.accuracy(plain, x_val, y_val)
acc_flipped = metrics.accuracy(plain, mirror(x_val), y_val)
print(f"validation accuracy: original images {acc_plain:.3f}, mirrored images {acc_flipped:.3f}")
expect(acc_flipped < 0.5 * acc_plain, "most mirrored digits are no longer their digit",
       f"{acc_flipped:.3f} vs {acc_plain:.3f}", "a network trained on flipped digits would "
       "learn to read them, and be confused by 2s and 5s instead")
image_rows(rows, titles)

# %% [markdown]
# Titles read "true label → prediction". A few digits survive mirroring (0, 1 and 8 are nearly
# symmetric, and this 4 and this 6 are still recognised), but most do not: the accuracy on
# mirrored validation images falls to less than half. The rule is
# general: an augmentation is allowed only if you, looking at the result, would still give it
# the same label. For the same reason rotations stay small: turned by 180°, a 6 becomes a 9.
#
# Now the real test: train the network with augmented images. `Augmented(model, AUG)` wraps the
# network so that, in training mode only, every batch is distorted before the forward pass;
# validation and the final accuracies see the plain images.

# %%
runs["augmentation"] = train(augmentation=AUG)
report("augmentation")
aug = runs["augmentation"]
aug_gain = paired(aug, none)
print(f"validation, augmentation − none: {aug_gain[0]:+.3f} ± {aug_gain[1]:.3f} (paired)")
expect(aug.gap < none.gap / 2, "augmentation shrinks the gap to less than half",
       f"{aug.gap:.3f} vs {none.gap:.3f}", WHY)
expect(aug_gain[0] > 0.01 and aug_gain[0] > 2 * aug_gain[1],
       "augmentation raises validation accuracy clearly: over a point, beyond twice the spread",
       f"{aug_gain[0]:+.3f} ± {aug_gain[1]:.3f}", WHY)

# %% [raw]
# # BEGIN QUESTION
# name: q3_random_shift
# points: 2

# %% [markdown]
# **Exercise 3 · shift without wrap-around.** The simplest augmentation moves each digit by a
# whole number of pixels. Write `shift(images, dx, dy)`: `images` is a batch `(B, 28, 28)`, and
# `dx`, `dy` are integer tensors of shape `(B,)`. Image `k` moves `dx[k]` pixels to the right and
# `dy[k]` pixels down (negative values: left and up), each image by its own amounts, with
# $|dx|, |dy| \le 27$. What moves out of the picture is lost and the uncovered pixels are 0
# (background). Careful: `torch.roll` is **not** the answer, because it wraps around, so what
# leaves on the right comes back on the left. A loop over the images is fine here; the library's
# `augment` does the same job for the whole batch at once.

# %% [raw]
# # BEGIN SOLUTION

# %%
def shift(images, dx, dy):
    """Move image k right by dx[k] and down by dy[k] pixels, filling with zeros."""
    # BEGIN SOLUTION
    out = torch.zeros_like(images)
    for k in range(len(images)):
        a, b = int(dx[k]), int(dy[k])
        # rows r of the output come from rows r - b of the input, columns c from c - a
        out[k, max(b, 0):28 + min(b, 0), max(a, 0):28 + min(a, 0)] = \
            images[k, max(-b, 0):28 + min(-b, 0), max(-a, 0):28 + min(-a, 0)]
    return out
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_shift_moves_each_image(shift):
    import torch

    from mnist_lab import checks
    from mnist_lab.augment import shift_pixels as reference

    gen = torch.Generator().manual_seed(0)
    images = torch.rand(4, 28, 28, generator=gen)
    checks.check_function(shift, reference,
                          [(images, torch.tensor([1, 0, -2, 3]), torch.tensor([0, 2, -1, -3])),
                           (images, torch.tensor([5, -5, 0, 1]), torch.tensor([0, 0, 4, -4]))],
                          name="shift", grad=False,
                          hint="copy the part of each image that stays inside into a zero image "
                               "at its new place; torch.roll wraps around and is wrong here")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_shift_edge_cases(shift):
    import torch

    from mnist_lab import checks
    from mnist_lab.augment import shift_pixels as reference

    gen = torch.Generator().manual_seed(1)
    one = torch.rand(1, 28, 28, generator=gen, dtype=torch.float64)
    many = torch.rand(6, 28, 28, generator=gen) + 0.5  # no zeros: wrapped pixels would show
    checks.check_function(shift, reference,
                          [(one, torch.tensor([0]), torch.tensor([0])),  # batch of 1, no move
                           (one, torch.tensor([27]), torch.tensor([-27])),
                           (many, torch.tensor([-1, 1, 0, 0, 13, -8]),
                            torch.tensor([0, 0, -1, 1, -7, 27]))],
                          name="shift", grad=False, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 5 · All of them on one chart
#
# Finally, all three together: L2 with λ = 0.02, dropout 0.2 and augmentation. Then every run on
# one chart: training accuracy, validation accuracy and the gap between them.

# %%
runs["all three"] = train(weight_decay=0.02, dropout=0.2, augmentation=AUG)
report("all three")
seconds = sum(run.seconds for run in runs.values()) + sum(r.seconds for r in small.values())
print(f"training time of all {len(runs) + len(small)} settings × {len(SEEDS)} seeds: "
      f"{seconds:.1f} s")

names = list(runs)
train_accs = np.array([runs[n].train_acc for n in names])
val_accs = np.array([runs[n].val_acc for n in names])
gaps = train_accs - val_accs

fig = Figure(figsize=(10, 4.5), layout="constrained")
ax_acc, ax_gap = fig.subplots(1, 2, width_ratios=(2, 1))
positions = np.arange(len(names))
plots.grouped_bars(ax_acc, {"train": train_accs, "validation": val_accs}, names, "%.3f")
ax_acc.set_ylim(0.8, 1.02)
ax_acc.set_xticks(positions, names, rotation=30, ha="right")
ax_acc.set_ylabel("accuracy")
ax_acc.set_title(f"1,000 training images, 784 → 512 → 10, 15 epochs, mean of {len(SEEDS)} seeds")
ax_acc.legend(loc="lower left")
bars = ax_gap.bar(positions, gaps, color="C3")
ax_gap.bar_label(bars, fmt="%.3f", fontsize=7)
ax_gap.set_xticks(positions, names, rotation=30, ha="right")
ax_gap.set_ylabel("train − validation")
ax_gap.set_title("generalisation gap")

best = names[int(val_accs.argmax())]
everything = runs["all three"]
expect(best == "augmentation", "augmentation has the best validation accuracy of all",
       f"best: {best}", WHY)
expect(all(runs[n].gap < none.gap for n in names if n not in ("none", "dropout 0.2")),
       "every regulariser but dropout 0.2 narrows the gap",
       f"gaps { {n: round(g, 3) for n, g in zip(names, gaps)} }", WHY)
expect(everything.gap == gaps.min() and everything.gap < 0.02, "all three leave no gap at all",
       f"{everything.gap:.3f}", WHY)
expect(everything.val_acc < aug.val_acc - 0.02 and everything.train_acc < none.train_acc - 0.05,
       "...but they are too much together: the network underfits",
       f"val {everything.val_acc:.3f} vs {aug.val_acc:.3f}, train {everything.train_acc:.3f}", WHY)
fig

# %% [markdown]
# Read the chart from the right panel: every regulariser narrows the gap, except dropout 0.2,
# too gentle for 512 units. Then the left panel, for what counts: only dropout 0.5 and
# augmentation raise the validation accuracy beyond noise, and **augmentation wins clearly**
# (+2.4 points over no regularisation, paired over the seeds, with a spread of 0.2). It is the only
# method that adds information: it teaches the network, by example, that digits may be a little
# turned, moved and wobbly. The others only restrain the network.
#
# All three together leave almost no gap, but the validation accuracy falls below the baseline:
# stacked regularisers add up, and here they add up to **underfitting** (lesson 12): the network
# cannot even fit its own training images any more. When you combine them, weaken each one
# (a smaller λ, a lower dropout rate, milder distortions, or more epochs to make up for them).
#
# The learning curves of the baseline and the best run show the same story over time. Mind the
# training curves: `History.train_acc` is measured while training, on the *dropped-out* or
# *augmented* batches, so for the augmented run it is the accuracy on the harder, distorted
# images.

# %%
fig = Figure(figsize=(10, 4), layout="constrained")
ax_a, ax_l = fig.subplots(1, 2)
epochs = np.arange(1, none.history.epochs + 1)
for run, name, colour in ((none, "none", "C0"), (aug, "augmentation", "C2")):
    ax_a.plot(epochs, run.history.train_acc, "--", color=colour, label=f"{name}, train")
    ax_a.plot(epochs, run.history.val_acc, "o-", color=colour, markersize=4,
              label=f"{name}, validation")
    ax_l.plot(epochs, run.history.train_loss, "--", color=colour, label=f"{name}, train")
    ax_l.plot(epochs, run.history.val_loss, "o-", color=colour, markersize=4,
              label=f"{name}, validation")
for ax, ylabel in ((ax_a, "accuracy"), (ax_l, "loss")):
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
ax_a.set_ylim(0.5, 1.01)  # the augmented run's first training epochs lie below

h_none, h_aug = none.history, aug.history
print(f"final training loss: none {h_none.train_loss[-1]:.2f}, "
      f"augmentation {h_aug.train_loss[-1]:.2f}")
expect(h_none.train_loss[-1] < 0.03, "the baseline drives its training loss to almost 0",
       f"{h_none.train_loss[-1]:.3f}", WHY)
expect(max(h_none.val_acc[4:]) < h_none.val_acc[4] + 0.01,
       "the baseline's validation accuracy gains under a point after epoch 5",
       f"{h_none.val_acc[4]:.3f} → best {max(h_none.val_acc[4:]):.3f}", WHY)
expect(h_aug.train_loss[-1] > 10 * h_none.train_loss[-1], "augmented: never an easy task",
       f"{h_aug.train_loss[-1]:.3f} vs {h_none.train_loss[-1]:.3f}", WHY)
expect(h_aug.val_acc[0] < h_none.val_acc[0] - 0.05, "the augmented run starts more slowly",
       f"epoch 1: {h_aug.val_acc[0]:.3f} vs {h_none.val_acc[0]:.3f}", WHY)
expect(np.mean(h_aug.val_acc[-5:]) > np.mean(h_none.val_acc[-5:]) + 0.01,
       "...and is ahead over the last five epochs",
       f"{np.mean(h_aug.val_acc[-5:]):.3f} vs {np.mean(h_none.val_acc[-5:]):.3f}", WHY)
expect(h_aug.val_loss[-1] < h_none.val_loss[-1], "the augmented run's validation loss ends lower",
       f"{h_aug.val_loss[-1]:.3f} vs {h_none.val_loss[-1]:.3f}", WHY)
fig

# %% [markdown]
# The baseline's training loss falls to almost zero: it has memorised its 1,000 images, and its
# validation accuracy stops improving after epoch 5. With augmentation the training task never
# becomes easy and the training loss stays far above zero. Because the task is harder, the
# augmented network starts more slowly, but from epoch 10 on its validation accuracy is higher
# at every epoch, and its validation loss ends lower. Augmented runs usually want more epochs
# than plain ones.
#
# ## 6 · The best regulariser: more data
#
# Everything above fights the symptoms of having too few images. Lesson 12 (section 3) measured
# the cure itself: the same 128-unit network trained on 500 to 20,000 images, where every step up
# in data raised the validation accuracy and the gap closed. No regulariser in this lesson comes
# close to what 20 times more real images do. So when more real data can be had, get it first.
# Augmentation is the next best thing, because it is a cheap imitation of more data; weight decay
# and dropout come after that.

# %% [markdown]
# ## Summary
# - **Regularisation** makes memorising the training set harder than generalising. Judge it by the
#   **validation accuracy**, not only by the gap: underfitting also closes the gap.
# - **L2 weight decay** adds $\frac{\lambda}{2}\sum w^2$ to the loss, i.e. $\lambda w$ to each
#   gradient, and shrinks every weight a little at each step. It keeps the weights small; on
#   its own here it narrowed the gap only by lowering the training accuracy.
# - **Dropout** zeroes each hidden unit with probability $p$ in training and scales the others
#   by $1/(1-p)$ (inverted dropout); at eval time it does nothing. 0.5 helped the wide network;
#   for a 32-unit network 0.2 was best and 0.5 too much.
# - **Data augmentation**, batched on the device, was the clear winner: small rotations, shifts,
#   zooms and elastic distortions that keep the label. **Never flip digits**: a mirrored digit
#   is no digit, or another one.
# - Stacking all of them at full strength **underfits**: weaken each when combining.
# - **More data** beats them all (lesson 12); augmentation imitates it cheaply.
