# %% [raw]
# # ASSIGNMENT CONFIG
# name: 12_learning_curves
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 12 · Reading learning curves: capacity, under- and overfitting
#
# **You will learn to**
# - recognise six classic shapes of train and validation curves, and say what each one asks you
#   to change: a bad initialisation, a plateau, a learning-rate decay that came too early, a run
#   that should train longer, overfitting and underfitting;
# - measure the **generalisation gap**, training accuracy minus validation accuracy;
# - see how model **capacity** (the width of the hidden layer) moves training and validation
#   accuracy, and where more capacity stops helping;
# - see what **more data** does: validation accuracy against the size of the training set;
# - write a small `diagnose` function that names the pattern in a pair of curves.
#
# After every epoch, `fit` records the training loss and accuracy and evaluates the model on the
# validation split, which it never trains on. Plotted against the epoch, these numbers are the
# **learning curves**. They are the most useful picture a training run gives you, because most of
# the things that go wrong leave a typical shape in them. This lesson produces each shape with a
# real, short run on MNIST, so you know what to look for in your own runs.
#
# All runs use a small part of the training set (500 to 20,000 images) and a validation set of
# 2,000 images held out of the 60,000 training images; the test set stays untouched. Every run is
# seeded, so every number below comes out the same each time on a given machine; sections 2 and
# 3 train three seeds per setting, so that differences can be compared with their spread.

# %%
# %matplotlib inline
import math

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import metrics
from mnist_lab.claims import expect
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.device import get_device, seed_everything
from mnist_lab.ensemble import mean_std, train_stacked
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig
from mnist_lab.train import TrainConfig, fit

device = get_device()
splits = load_splits(val_size=10_000, device=device)  # pixels / 255; 10,000 held out
x_pool, y_pool = splits.train  # the 50,000 images we may train on
val = (splits.val[0][:2000], splits.val[1][:2000])  # 2,000 are plenty to compare runs
print(f"training pool {tuple(x_pool.shape)}, validation {tuple(val[0].shape)}")


def subset(n: int) -> Splits:
    """n training images, equally many of each digit, and the fixed validation set."""
    idx = stratified_subset(y_pool, n, seed=0)
    return Splits(train=(x_pool[idx], y_pool[idx]), val=val)


def train(n, sizes=(784, 128, 10), epochs=8, optim=None, batch_size=128, schedule=None, **mlp):
    """Train a fresh ReLU MLP (logits, cross-entropy) on n images; returns (model, History).

    optim defaults to Adam with lr 3e-3, schedule to a constant LR."""
    optim = optim or OptimConfig(lr=3e-3)
    schedule = schedule or ScheduleConfig()
    cfg = MLPConfig(sizes=sizes, hidden_activation=mlp.pop("act", "relu"),
                    output_activation="none", **mlp)
    model = MLP(cfg)
    history = fit(model, subset(n), TrainConfig(
        epochs=epochs, batch_size=batch_size, loss="cross_entropy", optim=optim,
        schedule=schedule, device=str(device), progress=False))
    return model, history


SEEDS = 3  # sections 2 and 3 train each setting from 3 seeds at once (lesson 16's train_stacked)


def train_seeds(n, width, epochs):
    """Train SEEDS fresh 784→width→10 nets on n images together; (train accs, val accs)."""
    cfg = MLPConfig(sizes=(784, width, 10), hidden_activation="relu", output_activation="none")
    models = []
    for seed in range(SEEDS):
        seed_everything(seed)
        models.append(MLP(cfg))
    train_stacked(models, subset(n).train, TrainConfig(
        epochs=epochs, batch_size=128, loss="cross_entropy", optim=OptimConfig(lr=3e-3),
        device=str(device), progress=False))
    return ([metrics.accuracy(m, *subset(n).train) for m in models],
            [metrics.accuracy(m, *val) for m in models])


# %% [markdown]
# ## 1 · Six shapes to know
#
# Each of the six runs below is set up to show one pattern. Read the recipe of each run, then
# the figure.
#
# 1. **Bad initialisation.** Three tanh layers whose weights start at `0.01·randn`. The signal
#    shrinks at every layer, so the output barely depends on the input and the gradients that
#    reach the first layers are tiny. The loss sits at the value of pure guessing,
#    log 10 ≈ 2.30 for 10 classes (lesson 08), for several epochs before the network finds its
#    way out (how many exactly depends on tiny rounding differences between machines). A
#    **flat start** means: check the initialisation (lesson 14).
# 2. **Plateau.** Adam with a learning rate that is too high for the end of training (0.03). The
#    validation loss stops improving and bounces around one level: the steps are too big to
#    settle into the minimum. The same run with the LR divided by 10 at epoch 4 drops at once.
#    A **plateau** means: try decaying the LR (lesson 10).
# 3. **Decay too early.** The same run, but the LR is divided by 100 half-way through the first
#    epoch, while the loss is still falling fast. From then on it only crawls. If the loss is
#    **still falling when the LR decays**, the decay came too early: move the milestone later.
# 4. **Train longer.** Plain SGD with a small LR for 5 epochs. Both curves are still rising when
#    the run ends, and they are close together. **Both still rising** means: train longer.
# 5. **Overfitting.** A 256-unit network on only 500 images for 25 epochs. Training accuracy
#    reaches 100% while validation accuracy stalls far below, and the validation loss starts to
#    rise again. A **big gap** means: regularise (lesson 13) or get more data (section 3).
# 6. **Underfitting.** A network with only 2 hidden units. Train and validation accuracy are
#    equal, and both are low: the model is too small to learn more. **No gap** at a low accuracy
#    means: a bigger model (section 2), or train longer.

# %%
N = 3000
STEPS = math.ceil(N / 128)  # optimiser steps per epoch
bad_init = train(1000, sizes=(784, 64, 64, 64, 10), act="tanh", init="normal", init_scale=0.01,
                 epochs=10, optim=OptimConfig(name="sgd", lr=0.1, momentum=0.9),
                 batch_size=32)[1]
too_high = train(N, sizes=(784, 64, 10), optim=OptimConfig(lr=0.03))[1]
decayed = train(N, sizes=(784, 64, 10), optim=OptimConfig(lr=0.03),
                schedule=ScheduleConfig(name="step", milestones=(4 * STEPS,), gamma=0.1))[1]
decayed_early = train(N, sizes=(784, 64, 10), optim=OptimConfig(lr=0.03),
                      schedule=ScheduleConfig(name="step", milestones=(STEPS // 2,), gamma=0.01))[1]
short = train(2000, epochs=5, optim=OptimConfig(name="sgd", lr=0.02))[1]
overfit = train(500, sizes=(784, 256, 10), epochs=25, optim=OptimConfig(lr=1e-3),
                batch_size=64)[1]
tiny = train(2000, sizes=(784, 2, 10), optim=OptimConfig(lr=1e-2))[1]


def panel(ax, title, curves, ylabel):
    """One pattern: curves is {label: values per epoch}."""
    for (label, values), style in zip(curves.items(), ("o-", "s-", "^--", "v--")):
        ax.plot(range(1, len(values) + 1), values, style, markersize=4, label=label)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


fig = Figure(figsize=(13, 7.5), layout="constrained")
axes = fig.subplots(2, 3)
panel(axes[0, 0], "1 · bad initialisation: flat start",
      {"train loss": bad_init.train_loss, "val loss": bad_init.val_loss}, "loss")
axes[0, 0].axhline(math.log(10), color="grey", linestyle=":", label="log 10")
panel(axes[0, 1], "2 · plateau: try decaying the LR",
      {"val loss, constant LR": too_high.val_loss, "val loss, LR ÷10 at epoch 4": decayed.val_loss},
      "loss")
panel(axes[0, 2], "3 · decay too early",
      {"train loss, constant LR": too_high.train_loss,
       "train loss, LR ÷100 in epoch 1": decayed_early.train_loss}, "loss")
panel(axes[1, 0], "4 · both still rising: train longer",
      {"train acc": short.train_acc, "val acc": short.val_acc}, "accuracy")
panel(axes[1, 1], "5 · big gap: overfitting",
      {"train acc": overfit.train_acc, "val acc": overfit.val_acc}, "accuracy")
panel(axes[1, 2], "6 · no gap, low accuracy: underfitting",
      {"train acc": tiny.train_acc, "val acc": tiny.val_acc}, "accuracy")
fig

# %% [markdown]
# The cell below checks each pattern's defining property on these runs. Change a run's settings
# and a pattern may not appear: the check then tells you which property is missing. One detail:
# `History.train_acc` is a running average over the epoch, taken while the weights still change,
# so early in training it trails the validation accuracy, which is measured at the end of the
# epoch. Late in training the two are comparable.

# %%
LOG10 = math.log(10)
WHY = "each run was set up to show its pattern; other settings can hide it or show another"
flat = bad_init.val_loss[:3]
expect(all(abs(v - LOG10) < 0.02 for v in flat), "bad init: flat at the loss of guessing at first",
       "", WHY)
expect(bad_init.val_loss[-1] < LOG10 - 0.5, "bad init: and then it does learn", "", WHY)
# Where the escape from the flat start happens depends on the tiniest rounding differences
# (the number of CPU threads, the machine, a GPU), so only the first epochs are checked for
# flatness, and the final loss is checked, not printed.
print(f"1 bad init:     val loss within 0.02 of log 10 = {LOG10:.3f} for epochs 1-3, "
      f"below {LOG10 - 0.5:.2f} at the end")

before, after = np.mean(too_high.val_loss[4:]), np.mean(decayed.val_loss[4:])
print(f"2 plateau:      mean val loss over epochs 5-8: constant LR {before:.3f}, "
      f"decayed {after:.3f}")
expect(min(too_high.val_loss[4:]) > min(too_high.val_loss[:4]) - 0.01,
       "plateau: no progress after epoch 4 at the constant LR", "", WHY)
expect(after < before - 0.03, "decaying the LR breaks the plateau",
       f"{before:.3f} → {after:.3f}", WHY)

drop = too_high.train_loss[0] - too_high.train_loss[1]
print(f"3 decay early:  the loss still fell by {drop:.3f} in epoch 2 at the full LR; final train "
      f"loss {decayed_early.train_loss[-1]:.3f} against {too_high.train_loss[-1]:.3f}")
expect(drop > 0.3, "the loss was still falling fast when the early decay came", f"{drop:.3f}", WHY)
expect(decayed_early.train_loss[-1] > 3 * too_high.train_loss[-1],
       "decayed too early, the final training loss is over 3 times the constant LR's", "", WHY)

gain_train = short.train_acc[-1] - short.train_acc[-2]
gain_val = short.val_acc[-1] - short.val_acc[-2]
print(f"4 train longer: the last epoch still added {gain_train:.3f} (train) and {gain_val:.3f} "
      f"(val) accuracy")
expect(gain_train > 0.02 and gain_val > 0.02, "both curves still rose by over 2 points", "", WHY)

gap = overfit.train_acc[-1] - overfit.val_acc[-1]
print(f"5 overfitting:  train {overfit.train_acc[-1]:.3f}, val {overfit.val_acc[-1]:.3f}, "
      f"gap {gap:.3f}; val loss lowest {min(overfit.val_loss):.3f}, "
      f"last {overfit.val_loss[-1]:.3f}")
expect(overfit.train_acc[-1] > 0.99 and gap > 0.1, "overfitting: train over 99%, a gap over 10 "
       "points", "", WHY)
expect(overfit.val_loss[-1] > min(overfit.val_loss) + 0.01, "the validation loss turned upwards",
       "", WHY)

gap_tiny = tiny.train_acc[-1] - tiny.val_acc[-1]
print(f"6 underfitting: train {tiny.train_acc[-1]:.3f}, val {tiny.val_acc[-1]:.3f}, "
      f"gap {gap_tiny:+.3f}")
expect(abs(gap_tiny) < 0.03 and tiny.val_acc[-1] < 0.75,
       "underfitting: no gap (under 3 points) at a low accuracy (under 75%)", "", WHY)

# %% [markdown]
# The validation curve is what decides. The training loss of run 2 (constant LR) and of run 5
# falls at every single epoch, while their validation curves went flat or turned upwards: a
# falling training loss only tells you that the network keeps fitting its training images.

# %%
expect(bool(np.all(np.diff(too_high.train_loss) < 0) and np.all(np.diff(overfit.train_loss) < 0)),
       "the training loss of runs 2 and 5 falls at every epoch", "", WHY)

# %% [raw]
# # BEGIN QUESTION
# name: q1_generalisation_gap
# points: 1

# %% [markdown]
# **Exercise 1 · the generalisation gap.** Write `generalisation_gap(train_acc, val_acc, last=3)`.
# It takes two lists of per-epoch accuracies, of equal length, and returns the mean over the last
# `last` epochs of `train_acc − val_acc`, as a Python float. Averaging a few epochs smooths out
# the noise of a single one. With fewer than `last` epochs, average over all of them.
# The check compares yours with `mnist_lab.curves.generalisation_gap`.

# %% [raw]
# # BEGIN SOLUTION

# %%
def generalisation_gap(train_acc, val_acc, last=3):
    """Mean of train_acc − val_acc over the last `last` epochs."""
    # BEGIN SOLUTION
    gaps = [t - v for t, v in zip(train_acc, val_acc)][-last:]
    return sum(gaps) / len(gaps)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_generalisation_gap_on_curves(generalisation_gap):
    from mnist_lab import checks
    from mnist_lab.curves import generalisation_gap as reference

    train_acc = [0.5, 0.8, 0.9, 0.95, 0.99, 1.0]
    val_acc = [0.6, 0.78, 0.85, 0.86, 0.86, 0.85]
    hint = ("gaps = train − val per epoch; average the last `last` of them (all of them if "
            "there are fewer); return a Python float")
    # atol 1e-6: gaps computed in float32 (torch.tensor of the lists) are the same answer
    checks.check_function(generalisation_gap, reference,
                          [(train_acc, val_acc), (train_acc, val_acc, 1),
                           (train_acc[:2], val_acc[:2])],
                          name="generalisation_gap", grad=False, atol=1e-6, rtol=1e-6, hint=hint,
                          quiet=True)
    checks.check_type(generalisation_gap(train_acc, val_acc), float,
                      name="generalisation_gap(train_acc, val_acc)", wanted="a Python float",
                      hint=hint)
    print("✓ generalisation_gap matches the reference on 3 cases and returns a float.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_generalisation_gap_negative_and_long(generalisation_gap):
    from mnist_lab import checks
    from mnist_lab.curves import generalisation_gap as reference

    rising = [0.1 + 0.01 * k for k in range(40)]
    ahead = [a + 0.05 for a in rising]  # validation above training: a negative gap
    checks.check_function(generalisation_gap, reference,
                          [(rising, ahead), (rising, ahead, 10), ([0.7], [0.65], 3),
                           (tuple(rising), tuple(rising[::-1]), 5)],
                          name="generalisation_gap", grad=False, atol=1e-6, rtol=1e-6, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · Capacity: how big a network?
#
# A network's **capacity** is how complicated a function it can fit. For an MLP the simplest
# knob is the width of the hidden layer. Below, the same 2,000 images train networks with 4 to
# 256 hidden units for 12 epochs each, three seeds per width. After training, the accuracy on
# the whole training subset is measured again with the final weights (not the running average),
# next to the validation accuracy. Each point is the mean over the three seeds; the printout
# gives the spread too, because a difference smaller than the seed-to-seed spread is noise. (One
# standard error on 2,000 validation images is itself about 0.6 points near 92%.)

# %%
WIDTHS = (4, 8, 16, 32, 64, 128, 256)
capacity = {width: train_seeds(2000, width, epochs=12) for width in WIDTHS}  # (trains, vals)
train_accs = np.array([np.mean(capacity[w][0]) for w in WIDTHS])  # means over the seeds
val_accs = np.array([np.mean(capacity[w][1]) for w in WIDTHS])
for width, (trains, vals) in capacity.items():
    (tr, tr_sd), (va, va_sd) = mean_std(trains), mean_std(vals)
    print(f"width {width:>3}: train {tr:.3f} ± {tr_sd:.3f}, val {va:.3f} ± {va_sd:.3f}, "
          f"gap {tr - va:.3f}")

fig = Figure(figsize=(7, 4), layout="constrained")
ax = fig.subplots()
ax.plot(WIDTHS, train_accs, "o-", label="train (final weights)")
ax.errorbar(WIDTHS, val_accs, yerr=[mean_std(capacity[w][1])[1] for w in WIDTHS], fmt="s-",
            capsize=3, label="validation (± std over 3 seeds)")
ax.fill_between(WIDTHS, val_accs, train_accs, color="C3", alpha=0.1, label="gap")
ax.set_xscale("log", base=2)
ax.set_xticks(WIDTHS, [str(w) for w in WIDTHS])
ax.set_xlabel("hidden units")
ax.set_ylabel("accuracy")
ax.set_title("2,000 training images, 12 epochs, mean of 3 seeds")
ax.grid(True, alpha=0.3)
ax.legend()

WHY_SETTINGS = "fewer images, epochs or seeds, or another learning rate, move these curves"
expect(bool(np.all(np.diff(train_accs) > -0.005)), "more capacity never lowers training accuracy",
       f"train accuracy by width {np.round(train_accs, 3).tolist()}", WHY_SETTINGS)
expect(train_accs[0] < 0.9 and train_accs[-1] > 0.99,
       "4 units underfit (train < 0.9) and 256 units memorise (train > 0.99)",
       f"{train_accs[0]:.3f} and {train_accs[-1]:.3f}", WHY_SETTINGS)
expect(val_accs[2] > val_accs[0] + 0.1, "16 units generalise far better than 4 (> 10 points)",
       f"{val_accs[2]:.3f} vs {val_accs[0]:.3f}", WHY_SETTINGS)
expect(val_accs[-1] - val_accs[2] < 0.05, "from 16 to 256 units validation gains only a few points",
       f"{val_accs[2]:.3f} → {val_accs[-1]:.3f}", WHY_SETTINGS)
gaps = train_accs - val_accs
expect(gaps[-1] > gaps[0] and gaps.max() > 2 * gaps[0], "the gap opens with capacity",
       f"gaps {np.round(gaps, 3).tolist()}", WHY_SETTINGS)
fig

# %% [markdown]
# On the left, narrow networks **underfit**: with 4 units, training and validation accuracy are
# both low and close together. Adding units helps both, fast at first: 16 units are already far
# better than 4. Beyond that, training accuracy climbs to 100% while validation accuracy creeps
# up by only a few points, steps that are often no bigger than the seed-to-seed spread: most of
# the extra capacity goes into memorising the 2,000 training images, and the gap opens to more
# than twice that of the narrowest network. Bigger networks are not worse here, only a little
# better, and the remedy for their gap is regularisation (lesson 13) or more data.

# %% [markdown]
# ## 3 · More data
#
# The other cure for a gap is more training data. Here one network (128 hidden units, three
# seeds again) trains on 500 to 20,000 images. Every run gets about the same number of optimiser
# steps, so the larger sets are not simply trained longer: each run sees about 20,000 images (at
# least 2 epochs).

# %%
SIZES = (500, 1000, 2000, 5000, 10_000, 20_000)
by_size = {}  # n -> (train accuracies, validation accuracies), one per seed
for n in SIZES:
    epochs = max(2, 20_000 // n)
    by_size[n] = train_seeds(n, 128, epochs)
    (tr, tr_sd), (va, va_sd) = mean_std(by_size[n][0]), mean_std(by_size[n][1])
    print(f"{n:>6,} images, {epochs:>2} epochs: train {tr:.3f} ± {tr_sd:.3f}, "
          f"val {va:.3f} ± {va_sd:.3f}")
size_train = np.array([np.mean(by_size[n][0]) for n in SIZES])
size_val = np.array([np.mean(by_size[n][1]) for n in SIZES])

fig = Figure(figsize=(7, 4), layout="constrained")
ax = fig.subplots()
ax.plot(SIZES, size_train, "o-", label="train (final weights)")
ax.errorbar(SIZES, size_val, yerr=[mean_std(by_size[n][1])[1] for n in SIZES], fmt="s-",
            capsize=3, label="validation (± std over 3 seeds)")
ax.set_xscale("log")
ax.set_xlabel("training images")
ax.set_ylabel("accuracy")
ax.set_title("784 → 128 → 10, about 20,000 images seen per run, mean of 3 seeds")
ax.grid(True, alpha=0.3)
ax.legend()

expect(bool(np.all(np.diff(size_val) > -0.005)),
       "no step up in data lowers validation accuracy beyond noise (half a point)",
       f"validation accuracy by size {np.round(size_val, 3).tolist()}", WHY_SETTINGS)
expect(size_val[-1] > size_val[0] + 0.05, "40 times the data gains over 5 points",
       f"{size_val[0]:.3f} → {size_val[-1]:.3f}", WHY_SETTINGS)
size_gaps = size_train - size_val
expect(size_gaps[-1] < size_gaps[0] / 2, "the gap shrinks to under half",
       f"gaps {np.round(size_gaps, 3).tolist()}", WHY_SETTINGS)
fig

# %% [markdown]
# Validation accuracy climbs with the data and the gap closes: with 20,000 images the same
# network can no longer memorise its training set, so what it learns has to be general. A single
# step, such as 5,000 to 10,000 images here, can be within noise, which is why the seeds' spread
# is printed. Each doubling of the data buys less than the one before, which is why the x-axis
# is logarithmic. When collecting more real data is impossible, data augmentation (lesson 13) makes
# more from what you have.

# %% [raw]
# # BEGIN QUESTION
# name: q2_diagnose
# points: 2

# %% [markdown]
# **Exercise 2 · name the pattern.** Write `diagnose(train_acc, val_acc)`. It gets two equal-length
# lists of per-epoch accuracies (at least 2 epochs) and returns one of these strings. Apply the
# rules **in this order** and return at the first that matches:
#
# 1. `"bad init"`: the training accuracy of the first **two** epochs is below 0.2 (chance is 0.1);
# 2. `"overfitting"`: in the last epoch, `train_acc − val_acc > 0.05`;
# 3. `"train longer"`: in the last epoch, the validation accuracy rose by more than 0.005 over
#    the epoch before;
# 4. `"underfitting"`: the last training accuracy is below 0.9;
# 5. `"fine"` otherwise.
#
# Real diagnosis is a judgement call; fixed thresholds make it checkable. The check runs your
# function on synthetic curves, one per outcome and some close to the thresholds.

# %% [raw]
# # BEGIN SOLUTION

# %%
def diagnose(train_acc, val_acc):
    """Name the learning-curve pattern: bad init, overfitting, train longer, underfitting, fine."""
    # BEGIN SOLUTION
    if train_acc[0] < 0.2 and train_acc[1] < 0.2:
        return "bad init"
    if train_acc[-1] - val_acc[-1] > 0.05:
        return "overfitting"
    if val_acc[-1] - val_acc[-2] > 0.005:
        return "train longer"
    if train_acc[-1] < 0.9:
        return "underfitting"
    return "fine"
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_diagnose_names_each_pattern(diagnose):
    from mnist_lab import checks

    cases = [
        ([0.11, 0.12, 0.5, 0.8], [0.10, 0.11, 0.5, 0.8], "bad init"),
        ([0.8, 0.95, 0.99, 1.0], [0.85, 0.88, 0.88, 0.87], "overfitting"),
        ([0.5, 0.6, 0.7, 0.8], [0.55, 0.65, 0.72, 0.79], "train longer"),
        ([0.4, 0.5, 0.55, 0.55], [0.45, 0.52, 0.55, 0.55], "underfitting"),
        ([0.9, 0.96, 0.97, 0.97], [0.93, 0.95, 0.96, 0.96], "fine"),
        ([0.1, 0.25, 0.99], [0.1, 0.3, 0.5], "overfitting"),  # only epoch 1 near chance
        ([0.5, 1.0], [0.5, 0.9], "overfitting"),  # overfitting wins over a rising val curve
        ([0.5, 0.6, 0.85], [0.5, 0.9, 0.9], "underfitting"),  # the TRAINING accuracy is low
        ([0.1, 0.15, 0.3], [0.3, 0.35, 0.4], "bad init"),  # the TRAINING accuracy, not val's
        ([0.5, 0.6, 0.95], [0.5, 0.9, 0.904], "fine"),  # a val rise of 0.004 is no rise
    ]
    checks.require_attempt(diagnose)
    for train_acc, val_acc, expected in cases:
        got = diagnose(train_acc, val_acc)
        if got != expected:
            raise checks.CheckFailed(
                f"diagnose({train_acc}, {val_acc}) returned {got!r}, expected {expected!r}. "
                "Hint: apply the rules in order (bad init, overfitting, train longer, "
                "underfitting, fine) and return at the first that matches")
    print(f"✓ diagnose names all {len(cases)} patterns and applies the rules in order.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_diagnose_order_and_thresholds(diagnose):
    cases = [
        ([0.1, 0.1], [0.5, 0.1], "bad init"),  # bad init comes first, whatever follows
        ([0.1, 0.25, 0.99], [0.1, 0.3, 0.5], "overfitting"),  # only epoch 1 near chance
        ([0.5, 1.0], [0.5, 0.9], "overfitting"),  # overfitting wins over a rising val curve
        ([0.5, 0.92], [0.5, 0.9], "train longer"),  # gap 0.02 is no gap; val rose
        ([0.5, 0.6, 0.95], [0.5, 0.9, 0.904], "fine"),  # a val rise of 0.004 is no rise
        ([0.5, 0.6, 0.85], [0.5, 0.9, 0.9], "underfitting"),
        ((0.3, 0.5, 0.7), (0.3, 0.5, 0.7), "train longer"),  # tuples work as well
    ]
    for train_acc, val_acc, expected in cases:
        got = diagnose(train_acc, val_acc)
        if got != expected:
            from mnist_lab.checks import CheckFailed
            raise CheckFailed(f"diagnose({train_acc}, {val_acc}) returned {got!r}, expected "
                              f"{expected!r}. Hint: the rules in order, with strict thresholds")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - Learning curves are train and validation loss and accuracy per epoch. Read the validation
#   curve first: it is the only one that measures what the model will do on new images.
# - Six shapes and their remedies: **flat start** → fix the initialisation; **plateau** → decay
#   the LR; **loss still falling at the decay** → decay later; **both still rising** → train
#   longer; **big gap** → regularise or get more data; **no gap at a low accuracy** → a bigger
#   model or longer training.
# - **Capacity** (here: hidden units) first lifts training and validation accuracy together.
#   Past the point the data supports, it only lifts training accuracy, and the gap grows.
# - **More data** raises validation accuracy and closes the gap, with diminishing returns per
#   doubling.
# - Lesson 13 attacks the gap directly: weight decay, dropout and data augmentation.
