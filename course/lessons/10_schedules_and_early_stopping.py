# %% [raw]
# # ASSIGNMENT CONFIG
# name: 10_schedules_and_early_stopping
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 10 · Learning-rate schedules and early stopping
#
# **You will learn to**
# - draw the common learning-rate schedules: constant, step decay, linear, cosine, warm-up, and
#   reduce-on-plateau;
# - explain why a learning rate that is good early in training is too big late in training;
# - measure what a schedule does to the loss and the validation accuracy on MNIST;
# - stop training when the validation accuracy stops improving, and keep the best weights;
# - write a cosine schedule, a warm-up and an early-stopping rule yourself.
#
# The learning rate is the most important setting in training a network. So far it stayed fixed
# for the whole run. A large rate makes quick progress at first, but near a minimum every step
# jumps across the valley, and the loss stops falling. It bounces around at a level that depends on
# the step size. A small rate settles more precisely, but it crawls. A **schedule** gets both: it
# starts large and makes the rate smaller as training goes on.
#
# The second half of the lesson uses the validation set to decide *when to stop*. The validation
# set was held out of training in lesson 09. Here it decides when to lower the rate and when to
# stop.

# %%
# %matplotlib inline
import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import claims, plots, widgets
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.device import seed_everything
from mnist_lab.ensemble import train_stacked
from mnist_lab.losses import make_loss
from mnist_lab.metrics import evaluate
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig, lr_at
from mnist_lab.train import Callback, TrainConfig, fit

splits = load_splits(val_size=10_000)  # 50,000 train, 10,000 validation, pixels / 255
keep = stratified_subset(splits.train[1], 5_000)  # 500 of each digit: short runs
data = Splits((splits.train[0][keep], splits.train[1][keep]), splits.val)
print(f"training images {tuple(data.train[0].shape)}, validation images "
      f"{tuple(data.val[0].shape)}")

# %% [markdown]
# ## 1 · The shapes of the schedules
#
# A schedule is a function from the step number to the learning rate. `mnist_lab.schedules`
# writes each one as a pure function, `lr_at(config, base_lr, step, total_steps)`, so we can draw
# a schedule before training with it. The runs in section 2 take 8 epochs of 40 mini-batches each,
# 320 steps in all, starting from a base rate of 0.5.
#
# - **constant**: the base rate throughout.
# - **step decay**: multiply the rate by 0.1 at a few fixed *milestones*, here at 50% and 75%
#   of the run. It is the classic recipe for image networks.
# - **linear**: a straight line down to zero, common in large language models.
# - **cosine**: half a cosine wave down to zero. It stays high for longer than the line, then
#   falls faster, and flattens again at the end. It is the usual choice in vision, but no schedule
#   clearly wins everywhere.
# - **warm-up**: a linear ramp from almost 0 to the base rate over the first steps, here one
#   epoch, before any of the others. At the start the weights are random and the gradients are
#   large and unreliable; small first steps keep them from throwing the network somewhere bad.
#   Adam is often warmed up too. Not because its running averages start at zero (the bias
#   correction of lesson 04 takes care of that), but because in the first steps its estimate of
#   each weight's squared gradient, v, rests on only a few mini-batches: where it happens to be
#   small, dividing by √v gives a step much larger than intended. A warm-up keeps those steps
#   short until v has averaged over enough batches to be trusted.

# %%
EPOCHS, BATCH, BASE_LR = 8, 128, 0.5
STEPS_PER_EPOCH = -(-len(data.train[0]) // BATCH)  # ceil(5,000 / 128) = 40
TOTAL = EPOCHS * STEPS_PER_EPOCH  # 320 optimiser steps

SCHEDULES = {
    "constant": ScheduleConfig(),
    "step": ScheduleConfig("step", milestones=(TOTAL // 2, 3 * TOTAL // 4), gamma=0.1),
    "linear": ScheduleConfig("linear"),
    "cosine": ScheduleConfig("cosine"),
    "warm-up + cosine": ScheduleConfig("cosine", warmup_steps=STEPS_PER_EPOCH),
}
steps = np.arange(TOTAL)
curves = {name: np.array([lr_at(cfg, BASE_LR, int(s), TOTAL) for s in steps])
          for name, cfg in SCHEDULES.items()}

# a few values that define the shapes (they hold for the schedules as defined above)
why = "the claim is about the schedules as SCHEDULES defines them; changed ones have other shapes"
claims.expect(abs(curves["step"][-1] - BASE_LR * 0.1**2) < 1e-12,
              "after two milestones the step schedule is at 0.01 × the base rate",
              f"{curves['step'][-1]:g}", why)
claims.expect(abs(curves["cosine"][TOTAL // 2] - BASE_LR / 2) < 1e-9
              and abs(curves["linear"][TOTAL // 2] - BASE_LR / 2) < 1e-9,
              "cosine and linear are halfway down at half-time",
              f"{curves['cosine'][TOTAL // 2]:g} and {curves['linear'][TOTAL // 2]:g}", why)
claims.expect(curves["cosine"][TOTAL // 4] > curves["linear"][TOTAL // 4],
              "cosine stays higher than linear early on", "", why)
claims.expect(abs(curves["warm-up + cosine"][0] - BASE_LR / STEPS_PER_EPOCH) < 1e-12,
              "the warm-up ramp starts tiny, at base rate / warm-up steps",
              f"{curves['warm-up + cosine'][0]:g}", why)

fig = Figure(figsize=(11, 3.8), layout="constrained")
axes = fig.subplots(1, 2)
for name, lr in curves.items():
    for ax in axes:
        ax.plot(steps, lr, label=name, linestyle="--" if name == "warm-up + cosine" else "-")
axes[0].set_title("learning rate per step")
axes[1].set_yscale("log")
axes[1].set_ylim(1e-4, 1)
axes[1].set_title("the same, log scale")
for ax in axes:
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
axes[0].set_ylabel("learning rate")
axes[0].legend()
fig

# %% [markdown]
# On the log scale the step schedule is three flat stairs, one power of ten apart. Cosine and
# linear both end at zero, which only a log axis shows: the last few dozen steps are very small
# and polish the solution.
#
# The sixth schedule, **reduce on plateau**, cannot be drawn in advance. It watches the validation
# accuracy after each epoch, and when it has not improved for `patience` epochs it divides the rate
# by a factor, typically 2 to 5. In `mnist_lab` that is
# `ScheduleConfig(plateau_patience=0, plateau_factor=0.2)`: divide by 5 after each epoch without a
# new best. Its curve appears in section 2, after the run.
#
# To get a feel for the parameters, try the **schedule preview** below. Pick a schedule from the
# list, then move its sliders: the warm-up length, the step schedule's two milestones and its
# factor `gamma`, the floor of cosine and linear (`min lr ×`), one-cycle's peak and the length of a
# cyclic schedule's cycle. The curve is `lr_at` for every step of the runs in section 2. (Where the
# notebook cannot show widgets, you see its first picture: warm-up + cosine.)

# %%
preview = widgets.schedule_preview(SCHEDULES["warm-up + cosine"], base_lr=BASE_LR, epochs=EPOCHS,
                                   steps_per_epoch=STEPS_PER_EPOCH)
assert np.allclose(preview.curve(), curves["warm-up + cosine"])  # the same lr_at as above
preview

# %% [raw]
# # BEGIN QUESTION
# name: q1_cosine_lr
# points: 2

# %% [markdown]
# **Exercise 1 · a cosine schedule.** Write `cosine_lr(step, total_steps, base_lr, min_lr=0.0)`:
# the learning rate of step `step` (counted from 0) in a run of `total_steps` steps that falls along
# half a cosine from `base_lr` at step 0 to `min_lr` at step `total_steps`:
#
# ```
# t  = step / total_steps                                    progress, 0 → 1
# lr = min_lr + (base_lr − min_lr) · (1 + cos(π·t)) / 2
# ```
#
# Return a Python number. `math.cos` and `math.pi` do the job. The check compares your function
# with `mnist_lab.schedules.lr_at` for every 20th step of a run.

# %% [raw]
# # BEGIN SOLUTION

# %%
import math


def cosine_lr(step, total_steps, base_lr, min_lr=0.0):
    """The learning rate at `step` of a cosine schedule from base_lr down to min_lr."""
    # BEGIN SOLUTION
    t = step / total_steps  # progress through the run, 0 → 1
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * t)) / 2
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_cosine_lr_matches_reference(cosine_lr):
    import numbers

    from mnist_lab import checks
    from mnist_lab.schedules import ScheduleConfig, lr_at

    def reference(step, total_steps, base_lr, min_lr=0.0):
        cfg = ScheduleConfig("cosine", min_lr_factor=min_lr / base_lr)
        return lr_at(cfg, base_lr, step, total_steps)

    hint = "t = step / total_steps; min_lr + (base_lr - min_lr) * (1 + cos(pi * t)) / 2"
    cases = [(s, 200, 0.5) for s in range(0, 201, 20)]
    cases += [{"args": (s, 37, 1e-3), "kwargs": {"min_lr": 1e-5}} for s in (0, 10, 36, 37)]
    # atol 1e-9 and rtol 1e-5: a cosine computed in float32 and returned with .item() passes
    checks.check_function(cosine_lr, reference, cases, name="cosine_lr", grad=False, atol=1e-9,
                          rtol=1e-5, hint=hint)
    checks.check_type(cosine_lr(3, 10, 0.1), numbers.Real, name="cosine_lr(3, 10, 0.1)",
                      wanted="a Python number (use math.cos, or .item() on a tensor)", hint=hint)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_cosine_lr_with_a_floor(cosine_lr):
    from mnist_lab import checks
    from mnist_lab.schedules import ScheduleConfig, lr_at

    def reference(step, total_steps, base_lr, min_lr=0.0):
        cfg = ScheduleConfig("cosine", min_lr_factor=min_lr / base_lr)
        return lr_at(cfg, base_lr, step, total_steps)

    # a floor above zero, a one-step run, odd lengths, tiny and large base rates;
    # atol 1e-7 is float32's rounding of cos for a base rate of 3
    cases = [{"args": (s, 37, 1e-3), "kwargs": {"min_lr": 1e-5}} for s in range(38)]
    cases += [(0, 1, 0.1), (1, 1, 0.1), (500, 1000, 3.0), (999, 1000, 3.0)]
    checks.check_function(cosine_lr, reference, cases, name="cosine_lr", grad=False, atol=1e-7,
                          rtol=1e-5, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2_warmup_lr
# points: 1

# %% [markdown]
# **Exercise 2 · warm-up.** Write `warmup_lr(step, warmup_steps, base_lr)` for a constant rate
# with a linear warm-up. During the first `warmup_steps` steps the rate climbs in equal steps,
# `base_lr · (step + 1) / warmup_steps`, so step 0 already takes a small step rather than none, and
# the last warm-up step reaches `base_lr`. After that it stays at `base_lr`. With
# `warmup_steps = 0` there is no warm-up at all: every step gets `base_lr` (and nothing is divided
# by 0). Return a Python number. The check compares with
# `lr_at(ScheduleConfig(warmup_steps=...), ...)`.

# %% [raw]
# # BEGIN SOLUTION

# %%
def warmup_lr(step, warmup_steps, base_lr):
    """A constant base_lr, ramped up linearly over the first warmup_steps steps."""
    # BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_warmup_lr_matches_reference(warmup_lr):
    import numbers

    from mnist_lab import checks
    from mnist_lab.schedules import ScheduleConfig, lr_at

    def reference(step, warmup_steps, base_lr):
        return lr_at(ScheduleConfig(warmup_steps=warmup_steps), base_lr, step, 1000)

    hint = ("base_lr * (step + 1) / warmup_steps while step < warmup_steps, then base_lr; "
            "warmup_steps = 0 means base_lr from step 0")
    cases = [(s, 10, 0.1) for s in range(15)] + [(0, 0, 0.3), (5, 0, 0.3)]
    # atol 1e-9, rtol 1e-6: (step + 1) / warmup_steps * base_lr rounds differently
    checks.check_function(warmup_lr, reference, cases, name="warmup_lr", grad=False, atol=1e-9,
                          rtol=1e-6, hint=hint)
    checks.check_type(warmup_lr(3, 10, 0.1), numbers.Real, name="warmup_lr(3, 10, 0.1)",
                      wanted="a Python number", hint=hint)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_warmup_lr_edge_cases(warmup_lr):
    from mnist_lab import checks
    from mnist_lab.schedules import ScheduleConfig, lr_at

    def reference(step, warmup_steps, base_lr):
        return lr_at(ScheduleConfig(warmup_steps=warmup_steps), base_lr, step, 100_000)

    # no warm-up at all, a one-step warm-up, and a long one far into the run
    cases = [(0, 0, 1e-3), (0, 1, 0.3), (1, 1, 0.3), (999, 1000, 1e-3),
             (1000, 1000, 1e-3), (40_000, 1000, 1e-3)]
    checks.check_function(warmup_lr, reference, cases, name="warmup_lr", grad=False, atol=1e-12,
                          rtol=1e-6, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · What a schedule does to training
#
# Now each schedule trains the same network from the same initial weights on the same batches:
# 784→100→10 with ReLU, cross-entropy loss, SGD with momentum 0.9, on 5,000 training images for
# 8 epochs. The base rate, 0.5, is deliberately on the high side. That is the situation a schedule
# is for: the rate makes fast progress at the start and is too large at the end.
#
# One run per schedule would be one draw. So each schedule also trains from two more seeds (other
# initial weights, the same batches), and we compare schedules by the mean over the three and by
# the gain over the constant rate seed by seed. The extra seeds are trained together as one
# batched computation, `ensemble.train_stacked` (lesson 16 explains it), which gives the same
# result as separate `fit` runs in less time. It cannot run reduce-on-plateau, which needs the
# validation accuracy of each network after each epoch, so that schedule gets one seed here.
#
# A small callback records the learning rate of every step, so we see what reduce-on-plateau
# actually did. A callback is an object whose hooks `fit` calls during training (`on_train_begin`,
# `on_step_end`, `on_epoch_end`, ...); lessons 14 and 16 write more of them.

# %%
class RecordLR(Callback):
    """Keep the learning rate of every optimiser step."""

    def on_train_begin(self, state):
        self.lrs = []

    def on_step_end(self, state):
        self.lrs.append(state.lr)


SCHEDULES["plateau ÷5"] = ScheduleConfig(plateau_patience=0, plateau_factor=0.2)
SEEDS = (0, 1, 2)
net = MLPConfig(sizes=(784, 100, 10), hidden_activation="relu", output_activation="none")
loss_fn = make_loss("cross_entropy")


def seeded_net(seed):
    """A fresh 784→100→10 network with the initial weights of `seed`."""
    seed_everything(seed)
    return MLP(net)


runs, used_lr, val_acc, train_loss = {}, {}, {}, {}
for name, schedule in SCHEDULES.items():
    model, recorder = seeded_net(SEEDS[0]), RecordLR()
    config = TrainConfig(epochs=EPOCHS, batch_size=BATCH, loss="cross_entropy", log_every=1,
                         optim=OptimConfig("sgd", lr=BASE_LR, momentum=0.9), schedule=schedule)
    runs[name] = fit(model, data, config, callbacks=[recorder])  # seed 0: its curves are drawn
    used_lr[name] = recorder.lrs
    models = [model]
    if schedule.plateau_patience is None:  # the other seeds, as one batched computation
        models += train_stacked([seeded_net(seed) for seed in SEEDS[1:]], data, config)
    val_acc[name] = torch.tensor([evaluate(m, *data.val)["acc"] for m in models])
    # the loss over the whole training set with the final weights (not a running mean)
    train_loss[name] = torch.tensor([evaluate(m, *data.train, loss_fn)["loss"] for m in models])
    acc = f"{100 * val_acc[name].mean():.1f}"
    acc += f" ± {100 * val_acc[name].std():.1f}% ({len(models)} seeds)" if len(models) > 1 else (
        "% (1 seed)")
    print(f"{name:<17} final training loss {train_loss[name].mean():.2f}, "
          f"validation accuracy {acc}")

assert np.allclose(used_lr["cosine"], curves["cosine"])  # fit follows lr_at step by step
why = "at a lower base rate, or with more epochs, the constant rate suffers less"
claims.expect(min(used_lr["plateau ÷5"]) < BASE_LR, "the plateau rule fired",
              f"the smallest rate used: {min(used_lr['plateau ÷5']):g}", why)
for name in SCHEDULES:
    if name == "constant":
        continue
    n = len(val_acc[name])  # paired by seed with the constant rate's runs
    gain = val_acc[name] - val_acc["constant"][:n]
    claims.expect(gain.min() > 0.01, f"{name} beats the constant rate by more than a point, for "
                  "every seed", f"gains {[round(100 * g, 1) for g in gain.tolist()]} points", why)
    ratio = (train_loss[name] / train_loss["constant"][:n]).max()
    claims.expect(ratio < 1 / 1.5, f"{name} ends with a training loss under two-thirds of the "
                  "constant rate's", f"at most {ratio:.2f} of it", why)
bumpy = runs["constant"].train_loss  # constant rate: the epoch's mean loss even rose once
claims.expect(any(later > earlier for earlier, later in zip(bumpy, bumpy[1:])),
              "with the constant rate the epoch's mean loss rose at least once",
              "it fell every epoch", why)

# %%
def moving_average(values, n):
    """Mean of each n consecutive values: the trend under the mini-batch noise."""
    return np.convolve(values, np.ones(n) / n, mode="valid")


SMOOTH = 20  # half an epoch of steps
fig = Figure(figsize=(12, 4), layout="constrained")
axes = fig.subplots(1, 2)
for name, history in runs.items():
    style = "--" if name == "warm-up + cosine" else "-"
    axes[0].plot(np.arange(TOTAL), used_lr[name], style, label=name)
    axes[1].plot(history.steps[SMOOTH - 1:], moving_average(history.step_losses, SMOOTH), style,
                 label=name)
axes[0].set_yscale("log")
axes[0].set_ylim(1e-4, 1)
axes[0].set_title("learning rate used")
axes[0].set_ylabel("learning rate")
axes[1].set_yscale("log")
axes[1].set_title(f"training loss, mean of {SMOOTH} mini-batches")
axes[1].set_ylabel("cross-entropy")
for ax in axes:
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
axes[1].legend()
fig

# %% [markdown]
# With a constant rate the loss falls slowly and with large bumps: many steps overshoot, and in
# one epoch the mean loss even rose. Each decaying schedule drives the loss down where its
# learning rate drops. Look at the step schedule: at each milestone its loss falls off a cliff.
# Reduce-on-plateau (÷5) did the same on its own, after the epoch where the validation accuracy
# failed to improve. The validation accuracy tells the same story:

# %%
fig = plots.plot_comparison({name: acc.mean().item() for name, acc in val_acc.items()},
                            ylabel="validation accuracy after 8 epochs (mean of seeds)")
fig.axes[0].set_ylim(0.85, 1.0)
fig

# %% [markdown]
# Every schedule that lowers the rate beats the constant rate by more than a point of validation
# accuracy for every seed, and ends with a training loss less than two-thirds as large
# (reduce-on-plateau with its one seed too). The constant rate is also the least repeatable: its
# seeds differ by a few points, the decaying schedules' by a few tenths. Between the decaying
# schedules the differences are smaller than their gain over the constant rate: linear, cosine and
# warm-up + cosine end within noise of each other, while step decay and reduce-on-plateau trail
# them by about a point in this short run, a gap that changes with the base rate and the
# milestones. That matches experience: cosine, linear and step decay all work, and the choice
# matters far less than having *some* decay.
#
# Two diagnoses from the learning curves:
# - **A loss that has flattened** while the rate is still high is the sign to decay it. That is
#   exactly what reduce-on-plateau automates.
# - **A loss still falling when the rate drops** means the decay came too early: the run would
#   have profited from more time at the high rate.

# %% [markdown]
# ## 3 · Early stopping
#
# How many epochs should we train? With few training images a network soon learns them by heart:
# the training accuracy reaches 100%, and from then on further training mostly fits noise. The
# validation set shows when that happens. **Early stopping** watches the validation accuracy after
# each epoch. When it has not improved for `patience` epochs, training stops, and the weights of
# the best epoch are put back, since the last epoch is not the best one.
#
# In `mnist_lab` this is two fields of the config: `TrainConfig(early_stopping=5,
# restore_best=True)`. Below, a 784→200→10 network with Adam learns from only 1,000 images (100 per
# digit), once for a full 30 epochs, and once with early stopping. Both start from the same
# weights and see the same batches, so the early-stopped run is the same run cut short.

# %%
few = stratified_subset(splits.train[1], 1_000)
small = Splits((splits.train[0][few], splits.train[1][few]), splits.val)
wide = MLPConfig(sizes=(784, 200, 10), hidden_activation="relu", output_activation="none")
PATIENCE = 5
histories = {}
for name, patience in (("full", None), ("early stopping", PATIENCE)):
    seed_everything(0)
    model = MLP(wide)
    config = TrainConfig(epochs=30, batch_size=64, loss="cross_entropy", early_stopping=patience,
                         restore_best=patience is not None)
    histories[name] = fit(model, small, config)
stopped = histories["early stopping"]
best = stopped.best_epoch
restored_acc = evaluate(model, *small.val)["acc"]  # `model` is the early-stopped one
print(f"best epoch {best} ({stopped.val_acc[best - 1]:.1%}), stopped after epoch "
      f"{stopped.stopped_epoch}; the restored model scores {restored_acc:.1%}")
full = histories["full"]
print(f"the full run: best {max(full.val_acc):.1%} at epoch {full.best_epoch}, "
      f"{full.val_acc[-1]:.1%} after epoch 30")

why = "another seed, patience or learning rate changes where the curves turn"
claims.expect(stopped.stopped_epoch is not None and stopped.stopped_epoch < 30,
              "early stopping ended the run before epoch 30", f"{stopped.stopped_epoch}", why)
if stopped.stopped_epoch is not None:  # the rule: `patience` epochs without a new best
    assert stopped.stopped_epoch == best + PATIENCE
assert restored_acc == stopped.val_acc[best - 1]  # the best epoch's weights are back
claims.expect(stopped.val_acc == full.val_acc[:len(stopped.val_acc)],
              "the early-stopped run is the full run cut short",
              "the two runs differ", "both runs must start from the same seed and config")
claims.expect(full.train_acc[-1] == 1.0, "the 1,000 images are learnt by heart",
              f"training accuracy {full.train_acc[-1]:.1%}", why)
claims.expect(max(full.val_acc) - max(stopped.val_acc) < 0.005,
              "the full run's extra epochs add under half a point",
              f"{max(full.val_acc):.2%} against {max(stopped.val_acc):.2%}", why)
val_loss_best = int(np.argmin(full.val_loss)) + 1
claims.expect(val_loss_best < best, "the validation loss turns before the validation accuracy "
              "peaks", f"loss lowest at epoch {val_loss_best}, accuracy best at {best}", why)
claims.expect(full.val_loss[-1] > min(full.val_loss) + 0.03,
              "the validation loss keeps rising: overfitting",
              f"{min(full.val_loss):.3f} → {full.val_loss[-1]:.3f}", why)

# %%
fig = Figure(figsize=(12, 4), layout="constrained")
axes = fig.subplots(1, 2)
epochs = np.arange(1, 31)
for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "acc", "accuracy")):
    ax.plot(epochs, getattr(full, f"train_{key}"), "o-", markersize=3, color="C0",
            label="train")
    ax.plot(epochs, getattr(full, f"val_{key}"), "o-", markersize=3, color="C1",
            label="validation")
    ax.axvline(best, color="C2", label=f"best epoch ({best})")
    ax.axvspan(stopped.stopped_epoch, 30, color="grey", alpha=0.15,
               label="skipped by early stopping")
    ax.set_xlabel("epoch")
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
axes[0].set_yscale("log")
axes[1].set_ylim(0.75, 1.005)
axes[1].legend(loc="lower right")
fig

# %% [markdown]
# The training accuracy reaches 100% and the training loss keeps falling towards zero. The
# validation loss turns upwards after about ten epochs: the network grows ever more confident,
# and on the validation images it is sometimes confidently wrong. The validation *accuracy*,
# however, barely moves after its best epoch. Early stopping skipped the rest of the 30 epochs,
# and the full run's extra epochs gained less than half a point. (Which epoch is best depends on
# the seed and even on the device: the validation accuracy moves by a few tenths of a point from
# epoch to epoch, so many epochs near the top are "best" within noise.)
#
# Which number to watch is a choice: `TrainConfig(monitor="val_loss")` stops on the validation
# loss, which here would have stopped earlier still. Patience is a choice too. The validation
# accuracy is noisy, so a patience of 1 or 2 epochs would stop at the first random dip.

# %% [raw]
# # BEGIN QUESTION
# name: q3_should_stop
# points: 2

# %% [markdown]
# **Exercise 3 · the stopping rule.** Write `should_stop(val_accs, patience)`. `val_accs` is the
# list of validation accuracies so far, one per epoch. Return `True` when the best of them is at
# least `patience` epochs old, i.e. when the last `patience` epochs brought no new best. A tie with
# the best is *not* an improvement: the best epoch is the first one that reached the highest value.
# For example `should_stop([0.90, 0.93, 0.92, 0.93], 2)` is `True` (the best, 0.93, was two epochs
# ago) and `should_stop([0.90, 0.93, 0.92], 2)` is `False`.
# The check compares yours with `mnist_lab.curves.should_stop`, the rule `fit` applies when
# `early_stopping` is set.

# %% [raw]
# # BEGIN SOLUTION

# %%
def should_stop(val_accs, patience):
    """True when the last `patience` epochs brought no new best validation accuracy."""
    # BEGIN SOLUTION
    best_epoch = val_accs.index(max(val_accs))  # the first epoch that reached the best
    return len(val_accs) - 1 - best_epoch >= patience
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_should_stop_on_examples(should_stop):
    from mnist_lab import checks

    checks.require_attempt(should_stop)
    cases = [([0.90, 0.93, 0.92, 0.93], 2, True), ([0.90, 0.93, 0.92], 2, False),
             ([0.5, 0.6, 0.7], 1, False), ([0.7, 0.6, 0.5], 2, True), ([0.7, 0.6, 0.5], 3, False),
             ([0.8], 1, False), ([0.8, 0.8], 1, True),
             ([0.9, 0.5, 0.6, 0.7], 2, True)]  # still climbing, but below an older best
    hint = ("find the FIRST epoch with the highest accuracy; stop when at least `patience` "
            "epochs came after it; return True or False")
    for accs, patience, expected in cases:
        # a bool answer: True/False (NumPy's or a one-element bool tensor pass too)
        checks.check_close(should_stop(list(accs), patience), expected,
                           name=f"should_stop({accs}, {patience})", quiet=True, hint=hint)
    print(f"✓ should_stop gives the expected answer on {len(cases)} examples.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_should_stop_agrees_with_fit(should_stop):
    from mnist_lab import checks
    from mnist_lab.curves import should_stop as reference  # the rule fit's early_stopping applies

    histories = [[0.8, 0.8, 0.8], [0.1, 0.9, 0.2, 0.3, 0.4, 0.5, 0.6],
                 [0.5, 0.6, 0.6, 0.6, 0.61], [0.95] + [0.94] * 10]
    for accs in histories:
        for patience in (1, 2, 3, 5, 10):
            checks.check_close(should_stop(list(accs), patience), reference(accs, patience),
                               name=f"should_stop({accs}, {patience})", quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - A learning rate that makes fast progress early is too large late: the loss stops falling and
#   hovers. A **schedule** lowers it as training goes on: step decay (× 0.1 at milestones), linear,
#   cosine, often after a short **warm-up**.
# - On MNIST at a high base rate, every decaying schedule ended with a far lower training loss and
#   a higher validation accuracy than the constant rate, for every seed. The differences between
#   the decaying schedules were a point or less: having a decay matters more than its exact shape.
# - **Reduce on plateau** lets the validation accuracy decide: divide the rate by 2–5 when it stops
#   improving.
# - **Early stopping** ends training when the validation accuracy has not improved for `patience`
#   epochs, and restores the best epoch's weights.
# - The validation set decides when to lower the rate and when to stop; the test set stays
#   untouched for the final report. Lesson 11 uses it for the next decision: choosing the
#   hyperparameters themselves.
