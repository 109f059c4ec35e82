# %% [raw]
# # ASSIGNMENT CONFIG
# name: 08_training_recipe
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 08 · The training recipe: sanity checks before a long run
#
# **You will learn to**
# - predict the loss of an untrained network before you train it, `log C` for softmax
#   cross-entropy over C classes, and use the prediction to catch bugs and bad initialisations;
# - overfit a tiny subset to 100% as the first real test of a training setup;
# - read a loss that stays flat, one that explodes and one that drops to zero at once;
# - find a good learning rate with an **LR range test**;
# - watch the ratio of update size to weight size, which should be about 1e-3;
# - check a gradient against **finite differences**, and write the check yourself.
#
# A full training run can take hours. Most of the ways it can fail show up in the first
# minute, if you look. Experienced practitioners follow a short recipe before they commit to a
# long run: check the loss at step 0, make the network memorise a handful of images, pick the
# learning rate with a quick measurement, and only then train for real. This lesson walks
# through those checks on MNIST. Every check takes seconds.
#
# From here on the course trains with mini-batches (`mnist_lab.train.fit`), not one image per
# step, and mostly with a modern network: 784 → 200 → 10 with LeakyReLU and raw scores
# (**logits**) as outputs, trained with softmax cross-entropy (lesson 02).

# %%
# %matplotlib inline
import math

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import claims, metrics, plots, recipe
from mnist_lab.data import load_splits, one_hot, stratified_subset
from mnist_lab.device import get_device, seed_everything
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.train import TrainConfig, TrainingDiverged, UpdateRatio, fit

device = get_device()
splits = load_splits(val_size=10_000, device=device)  # pixels / 255; 50k train, 10k validation
x_train, y_train = splits.train
x_val, y_val = splits.val
MODERN = MLPConfig(hidden_activation="leaky_relu", output_activation="none")  # logits out
print(f"train {tuple(x_train.shape)}, validation {tuple(x_val.shape)}")


def fresh(cfg: MLPConfig = MODERN, seed: int = 0) -> MLP:
    """A new network with seeded initial weights, so every run in this lesson is repeatable."""
    seed_everything(seed)
    return MLP(cfg).to(device)


# %% [markdown]
# ## 1 · Check the loss before the first step
#
# An untrained network knows nothing, so its loss is predictable. With small random weights
# its ten logits are all close to 0. Softmax turns ten equal logits into ten probabilities of
# 1/10. Cross-entropy is −log of the probability given to the right class, so the loss at step 0
# should be about −log(1/10) = **log 10 ≈ 2.303**. In general it is log C for C classes.
#
# The book's network has sigmoid outputs, not softmax. Its outputs start near σ(0) = 0.5 each,
# whatever the class. Under MSE each output then costs (0.5 − target)², which is 0.25 for a
# target of 0 and for a target of 1, so the loss starts at **0.25**. Under BCE each output costs
# −log 0.5, so the loss starts at **log 2 ≈ 0.693**. Neither depends on the number of classes.
#
# The cell measures all three on 2,000 training images, before any training. It also measures a
# network whose initial weights are far too large (`init="normal"` with standard deviation 1,
# where PyTorch's default gives this layer weights with a standard deviation of about 0.02: the
# cell measures it).

# %%
x_some, y_some = x_train[:2000], y_train[:2000]
book = MLPConfig()  # the book's baseline: sigmoid hidden and output
too_large = MLPConfig(hidden_activation="leaky_relu", output_activation="none", init="normal",
                      init_scale=1.0)
measured = {
    "logits, cross-entropy": recipe.initial_loss(fresh(), x_some, y_some, "cross_entropy"),
    "book's net, MSE": recipe.initial_loss(fresh(book), x_some, y_some, "mse"),
    "book's net, BCE": recipe.initial_loss(fresh(book), x_some, y_some, "bce"),
}
expected = {
    "logits, cross-entropy": recipe.expected_initial_loss("cross_entropy", 10),
    "book's net, MSE": recipe.expected_initial_loss("mse"),
    "book's net, BCE": recipe.expected_initial_loss("bce"),
}
for name, loss in measured.items():
    print(f"{name:<22} initial loss {loss:.4f}, expected {expected[name]:.4f}")
default_std = fresh().hidden[0].linear.weight.std().item()  # PyTorch's default init
print(f"first-layer weight std: PyTorch's default {default_std:.3f}; too_large 1.0")
bad_start = recipe.initial_loss(fresh(too_large), x_some, y_some, "cross_entropy")
print(f"weights far too large: initial loss {bad_start:.0f}, expected {math.log(10):.3f}")
why = "the prediction assumes small initial weights; a larger init_scale or another init moves it"
for name, loss in measured.items():
    claims.expect(abs(loss - expected[name]) < 0.05, f"{name}: within a few hundredths of "
                  f"{expected[name]:.3f}", f"{loss:.4f}", why)
claims.expect(bad_start > 10 * math.log(10), "a badly scaled start is wildly off",
              f"{bad_start:.1f}", "a smaller init_scale brings the start back towards log 10")

plots.plot_comparison(measured, reference=expected, ylabel="loss before training")

# %% [markdown]
# All three land within a few hundredths of the prediction. The network with huge initial
# weights starts near 180: its logits are in the hundreds, so softmax is already sure of
# something, usually wrong, and cross-entropy punishes confident mistakes hard. It would spend
# its first epoch undoing its own start. The check costs one forward pass. If the loss at step
# 0 is far from the prediction, look for a bug in the loss, a wrong label encoding, unscaled
# inputs or an initialisation that is too large, *before* you start training.

# %% [raw]
# # BEGIN QUESTION
# name: q1_expected_initial_loss
# points: 1

# %% [markdown]
# **Exercise 1 · the expected initial loss.** Write `expected_initial_loss(loss, num_classes)`.
# It returns the loss an untrained network should score, as a Python float: for
# `"cross_entropy"` over `num_classes` equal probabilities, for `"mse"` and for `"bce"` with
# every sigmoid output at 0.5 against one-hot targets. Use the reasoning above, not a network.

# %% [raw]
# # BEGIN SOLUTION

# %%
def expected_initial_loss(loss, num_classes):
    """The loss at step 0: log C for cross-entropy, 0.25 for MSE, log 2 for BCE."""
    # BEGIN SOLUTION
    if loss == "cross_entropy":
        return math.log(num_classes)  # −log(1/C)
    if loss == "mse":
        return 0.25  # (0.5 − 0)² = (0.5 − 1)² = 0.25 for every output
    if loss == "bce":
        return math.log(2)  # −log(0.5) for every output
    raise ValueError(f"unknown loss {loss!r}")
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_expected_initial_loss_for_ten_classes(expected_initial_loss):
    from mnist_lab import checks, recipe

    checks.require_attempt(expected_initial_loss)
    hint = ("softmax over C equal logits gives 1/C per class, so −log(1/C); sigmoid outputs "
            "start at 0.5 whatever C is; return a Python float (math.log, not torch.log)")
    for loss, c in (("cross_entropy", 10), ("mse", 10), ("bce", 10), ("cross_entropy", 2)):
        value = expected_initial_loss(loss, c)
        name = f"expected_initial_loss({loss!r}, {c})"
        checks.check_type(value, float, name=name, wanted="a Python float", hint=hint)
        # rtol 1e-3: the lesson's own rounded "log 2 ≈ 0.693", typed in, is the same answer
        checks.check_close(value, recipe.expected_initial_loss(loss, c), name=name, hint=hint,
                           atol=1e-9, rtol=1e-3, quiet=True)
    print("✓ expected_initial_loss is right for cross_entropy, mse and bce.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_expected_initial_loss_other_class_counts(expected_initial_loss):
    from mnist_lab import checks, recipe

    # a thousand classes for softmax; sigmoid losses must not depend on C
    for loss, c in (("cross_entropy", 1000), ("mse", 3), ("bce", 100), ("mse", 2)):
        value = expected_initial_loss(loss, c)
        name = f"expected_initial_loss({loss!r}, {c})"
        checks.check_type(value, float, name=name, wanted="a Python float")
        checks.check_close(value, recipe.expected_initial_loss(loss, c), name=name, atol=1e-9,
                           rtol=1e-3, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · Overfit a tiny subset
#
# The second check: can the network learn *anything*? Take 100 training images, 10 of each
# digit, switch off everything that fights memorisation (no weight decay, no dropout, no
# augmentation), and train until the loss is near zero. A network with 159,010 parameters
# can memorise 100 images easily. If it cannot, something is broken: labels that do not
# match the images, a loss applied to the wrong outputs, a missing `zero_grad`, or a learning
# rate far from sensible. It takes seconds, while a full run that fails silently can waste
# hours.

# %%
tiny = stratified_subset(y_train, 100)  # 10 images of each digit
x_tiny, y_tiny = x_train[tiny], y_train[tiny]
memoriser = fresh()
overfit = fit(memoriser, (x_tiny, y_tiny),
              TrainConfig(epochs=10, batch_size=10, loss="cross_entropy", log_every=1,
                          progress=False))  # Adam lr 1e-3, no regularisation: 100 steps
tiny_acc = metrics.accuracy(memoriser, x_tiny, y_tiny)
val_acc_tiny = metrics.accuracy(memoriser, x_val, y_val)
print(f"after {overfit.steps[-1]} steps: loss {overfit.step_losses[-1]:.4f}, "
      f"accuracy on the 100 images {tiny_acc:.0%}, on the validation set {val_acc_tiny:.1%}")
why = "fewer epochs, a smaller learning rate or regularisation slow the memorising down"
claims.expect(tiny_acc == 1.0 and overfit.step_losses[-1] < 0.2,
              "every one of the 100 images is memorised, the loss below 0.2",
              f"accuracy {tiny_acc:.0%}, loss {overfit.step_losses[-1]:.3f}", why)
claims.expect(val_acc_tiny < 0.8, "memorising 100 images is not learning MNIST: validation "
              "accuracy far below what 50,000 images give", f"{val_acc_tiny:.1%}",
              "more images per digit teach more")

fig = plots.plot_loss(overfit, ylim=None)
fig.axes[0].set_yscale("log")
fig.axes[0].set_title("100 images, no regularisation: the loss heads for zero")
fig

# %% [markdown]
# The training loss falls by more than a factor of ten and every image is classified right.
# The validation accuracy shows what memorising is worth: about 70% on images the network has
# not seen, far below what it reaches with all 50,000. The point of this check is not the
# accuracy. It shows that data, model, loss and optimiser are wired together correctly.

# %% [markdown]
# ## 3 · Flat, exploding, and too good to be true
#
# The shape of the first few hundred steps of the loss says a lot. The cell below trains the same
# network for one epoch on 5,000 images (100 steps of 50) with plain SGD at three learning rates.
#
# - **lr 1e-5**: each step changes the weights by almost nothing. The loss stays **flat** at
#   log 10. A flat start can also mean a bad initialisation, for example saturated sigmoids whose
#   gradients are nearly zero (lesson 14).
# - **lr 0.1**: a sensible rate. The loss falls steadily.
# - **lr 10,000**: each step overshoots by so much that the weights grow without bound. The
#   loss **explodes**, first to huge numbers, then to `inf` and `NaN`. `fit` checks for this
#   and stops with a `TrainingDiverged` error that says what to try.

# %%
sub = stratified_subset(y_train, 5000, seed=1)
x_sub, y_sub = x_train[sub], y_train[sub]


def train_sgd(lr: float) -> tuple:
    """One epoch of SGD at `lr` on the 5,000 images; (history, model). Also records the
    update ratios of section 5."""
    config = TrainConfig(epochs=1, batch_size=50, loss="cross_entropy", log_every=1,
                         optim=OptimConfig(name="sgd", lr=lr), check_every=1, progress=False)
    model = fresh()
    return fit(model, (x_sub, y_sub), config, callbacks=[UpdateRatio(every=2)]), model


lr_runs = {}
for lr in (1e-5, 0.1, 1e4):
    try:
        lr_runs[lr] = train_sgd(lr)
    except TrainingDiverged as error:  # check_every=1: stop at the first non-finite loss
        print(error)
        diverged = error
claims.expect(1e4 not in lr_runs, "lr 1e4 blows up", "it stayed finite",
              "with gradient clipping or a tiny init even a huge rate can stay finite for a while")
flat, good = (np.array(lr_runs[lr][0].step_losses) for lr in (1e-5, 0.1))
print(f"lr 1e-5: loss {flat[:10].mean():.3f} over the first 10 steps, "
      f"{flat[-10:].mean():.3f} over the last 10")
print(f"lr 0.1:  loss {good[:10].mean():.3f} over the first 10 steps, "
      f"{good[-10:].mean():.3f} over the last 10")
claims.expect(abs(flat[-10:].mean() - flat[:10].mean()) < 0.02, "at lr 1e-5 the loss stays flat",
              f"{flat[:10].mean():.3f} → {flat[-10:].mean():.3f}", "a larger rate learns")
claims.expect(good[-10:].mean() < 0.5 * good[:10].mean(), "at lr 0.1 the loss halves or better",
              f"{good[:10].mean():.3f} → {good[-10:].mean():.3f}", "a smaller rate learns slower")

# %% [markdown]
# The error message names the step where the loss stopped being finite and lists the likely
# causes in order: the learning rate first, then missing gradient clipping, then the
# initialisation.
#
# A loss that drops to almost **zero** within a few steps is the third warning sign. On a tiny
# data set it means memorising, which is what section 2 asked for on purpose: its loss is in the
# plot below too (100 steps of 10 images). On a full data set it is too good to be
# true, and it nearly always means a bug: the answer leaks into the input (a label column left in
# a table, a test set that overlaps the training set). A learning rate that is too high can also
# produce a sudden drop, usually to a constant prediction, right before the loss explodes.

# %%
memorised = np.array(overfit.step_losses)  # section 2: 100 images, 100 steps of 10
claims.expect(len(memorised) == len(good) and memorised[-10:].mean() < 0.25 * good[-10:].mean(),
              "the memorising run ends far lower than the steady one, in as many steps",
              f"{memorised[-10:].mean():.3f} against {good[-10:].mean():.3f}",
              "the two runs must have the same number of steps to share the plot")

fig = Figure(figsize=(10, 4), layout="constrained")
ax = fig.subplots()
steps = np.arange(1, len(good) + 1)
ax.plot(steps, flat, label="lr 1e-5: flat")
ax.plot(steps, good, label="lr 0.1: falls steadily")
ax.plot(steps, memorised, label="100 images memorised (Adam): drops to ~0")
ax.axhline(math.log(10), color="gray", linestyle=":", label="log 10")
ax.set_xlabel("step (mini-batch of 50)")
ax.set_ylabel("cross-entropy loss")
ax.set_title("lr 1e4 is missing: it diverged to NaN within the first 50 steps")
ax.grid(True)
ax.legend()
fig

# %% [markdown]
# ## 4 · Find the learning rate: the LR range test
#
# Guessing learning rates one run at a time is slow. The **LR range test** measures a whole range
# in one short run: start with a tiny learning rate and multiply it by the same factor after
# every mini-batch, so that 200 steps sweep from 1e-6 to 1. Record the loss at each step. While
# the rate is tiny the loss stays flat. Once it is large enough the loss starts to fall, and
# eventually the rate is too large and the loss shoots up (the test stops there).
#
# The best rate is *not* the one with the lowest loss: at that point the rate is already close
# to blowing up. A good choice is where the loss **falls fastest**, the steepest downward slope
# of the curve against log(LR). `recipe.suggest_lr` smooths the noisy mini-batch losses and picks
# that point. The optimiser is Adam with a little weight decay (1e-4), as the recipe suggests.

# %%
range_cfg = recipe.RangeTestConfig(lr_min=1e-6, lr_max=1.0, steps=200, batch_size=64)
sweep = recipe.lr_range_test(fresh(), x_train[:10_000], y_train[:10_000], range_cfg)
suggested = recipe.suggest_lr(sweep)
print(f"{len(sweep.losses)} steps (stopped early: {sweep.stopped_early}); "
      f"suggested Adam learning rate {suggested:.1e}")
claims.expect_between(suggested, 1e-4, 1e-2, "the suggested rate is within a small factor of "
                      "Adam's default, 1e-3", "another optimiser or batch size has its own range")

fig = Figure(figsize=(10, 4), layout="constrained")
ax = fig.subplots()
ax.plot(sweep.lrs, sweep.losses, alpha=0.3, label="loss of each mini-batch")
ax.plot(sweep.lrs, recipe.smooth_losses(sweep.losses), color="C1", label="smoothed")
ax.axvline(suggested, color="C3", linestyle="--", label=f"steepest fall: {suggested:.1e}")
ax.set_xscale("log")
ax.set_ylim(0, 4)
ax.set_xlabel("learning rate (log scale)")
ax.set_ylabel("cross-entropy loss")
ax.grid(True)
ax.legend()
fig

# %% [markdown]
# The curve is flat on the left and slides steeply in the middle. Past the slide the loss stops
# falling and turns noisy, and the test stops at the first mini-batch whose loss is several times
# the best so far (`RangeTestConfig.stop_factor`): that is why the plot ends after fewer than 200
# steps with a flat tail, not with the sharp rise that would follow if the rate kept growing. The
# suggested rate lands within a small factor of 1e-3, Adam's default, which is why that default
# works so often. The test takes a few seconds. The recipe then runs a coarse grid of short
# trainings around this rate (lesson 11) before training long.

# %% [markdown]
# ## 5 · Watch the size of the updates
#
# During training, one number tells you whether the learning rate suits each layer: the size of
# a step relative to the size of the weights, `‖ΔW‖ / ‖W‖`. A common rule of thumb says about
# **1e-3** is healthy. Far below, the weights hardly move and learning is slow; far above, each
# step rewrites a large part of the weights and training is unstable.
#
# The callback `UpdateRatio` records this ratio for each weight matrix every few steps. The SGD
# runs of section 3 already carried it (lr 1e-5 and lr 0.1; lr 1e4 diverged). The cell adds one
# more run at lr 3, too large, though its loss stays finite, and scores all three on the
# validation set.

# %%
lr_runs[3.0] = train_sgd(3.0)  # too large, though it stays finite
ratio_runs = {lr: (history, metrics.accuracy(model, x_val, y_val))
              for lr, (history, model) in lr_runs.items()}
median_ratio = {lr: float(np.median([np.median(v) for v in h.extras["update_ratio"].values()]))
                for lr, (h, _) in ratio_runs.items()}
for lr, (_, acc) in ratio_runs.items():  # one digit: the last ones differ between devices
    print(f"SGD lr {lr:<6g} median update ratio {median_ratio[lr]:.0e}, "
          f"validation accuracy {acc:.0%}")
why = "the ratios follow the learning rates; other rates give other ratios"
claims.expect(median_ratio[1e-5] < 1e-3 < median_ratio[0.1] < 0.1 < median_ratio[3.0],
              "lr 1e-5 far below 1e-3, lr 0.1 between 1e-3 and 0.1, lr 3 above 0.1",
              ", ".join(f"{r:.1e}" for r in median_ratio.values()), why)
accs = {lr: acc for lr, (_, acc) in ratio_runs.items()}
# Gaps of 30 points: far beyond the point or two that another seed moves a one-epoch run.
claims.expect(accs[0.1] > 0.7 and accs[0.1] > accs[1e-5] + 0.3 and accs[0.1] > accs[3.0] + 0.3,
              "the working rate beats both others by more than 30 points",
              ", ".join(f"lr {lr:g}: {a:.1%}" for lr, a in accs.items()), why)

fig = Figure(figsize=(12, 3.8), layout="constrained")
axes = fig.subplots(1, 3, sharey=True)
for ax, (lr, (history, acc)) in zip(axes, ratio_runs.items()):
    for layer, values in history.extras["update_ratio"].items():
        ax.plot(history.extras["update_ratio_steps"], values, label=layer.replace(".weight", ""))
    ax.axhline(1e-3, color="gray", linestyle=":", label="1e-3")
    ax.set_yscale("log")
    ax.set_title(f"SGD lr {lr:g}: validation {acc:.0%}")
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
axes[0].set_ylabel("‖update‖ / ‖weights‖")
axes[0].legend()
fig

# %% [markdown]
# At lr 1e-5 the ratio sits near 1e-6 and the network has learned nothing after an epoch. At
# lr 3 every step changes the weights by a fifth of their own size: the loss stays finite, but
# training thrashes and ends far below the working rate. The working rate, 0.1, has ratios of
# about 1e-2 in this first epoch, while the weights are still small and changing fast. That is
# above the rule of thumb, which is a guide for the bulk of training rather than a law. What
# the ratio gives you is a *direction*: four orders of magnitude below 1e-3 means raise the rate,
# two above means lower it.

# %% [markdown]
# ## 6 · Check gradients with finite differences
#
# Autograd computes gradients for you, but sooner or later you write a backward pass by hand: a
# custom layer, a loss with a special trick, a kernel such as the course's own fast path. The
# standard test is to compare it with a **numerical gradient**. For each input entry xᵢ, nudge it
# up and down by a small ε and measure the slope:
#
# ```
# ∂f/∂xᵢ ≈ (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε        (central difference, error ∝ ε²)
# ```
#
# Then compare with the **relative error** `|a − n| / (|a| + |n|)`, which does not care whether
# the gradient is 1e-6 or 1e6. Two things matter: ε, and the floating-point precision. Too large
# an ε and the curve's bending spoils the slope. Too small and f(x + ε) and f(x − ε) agree in all
# their digits but the last few, so their difference is mostly round-off. The cell checks the
# cross-entropy of a small linear layer, as a function of its weights, for a range of ε in
# float32 and float64.

# %%
gen = torch.Generator().manual_seed(0)
w64 = torch.randn(10, 5, generator=gen, dtype=torch.float64) * 0.1  # a small weight matrix
x64 = torch.randn(8, 10, generator=gen, dtype=torch.float64)
labels = torch.randint(0, 5, (8,), generator=gen)
epsilons = 10.0 ** np.arange(-10, 0)
errors = {}
for dtype in (torch.float32, torch.float64):
    xs, ws = x64.to(dtype), w64.to(dtype)
    loss_of_w = lambda w, xs=xs: torch.nn.functional.cross_entropy(xs @ w, labels)  # noqa: E731
    errors[str(dtype).removeprefix("torch.")] = [recipe.gradient_check(loss_of_w, ws, eps)
                                                 for eps in epsilons]
best = {name: min(errs) for name, errs in errors.items()}
# Round-off differs between machines and libraries, so print what holds, not the digits.
for name in errors:
    verdict = "below" if best[name] < 1e-7 else "above"
    print(f"{name}: best relative error {verdict} 1e-7 (see the plot for the values)")
why = "a range of eps that misses the tip of the V finds a larger error"
claims.expect(best["float64"] < 1e-7, "in float64 a correct backward pass agrees to 7 digits or "
              "more", f"{best['float64']:.1e}", why)
claims.expect(best["float32"] > 100 * best["float64"], "float32 cannot confirm as many digits",
              f"float32 {best['float32']:.1e}, float64 {best['float64']:.1e}", why)

fig = Figure(figsize=(8, 4), layout="constrained")
ax = fig.subplots()
for name, errs in errors.items():
    ax.plot(epsilons, errs, "o-", label=name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("ε")
ax.set_ylabel("relative error: autograd vs finite differences")
ax.grid(True, alpha=0.3)
ax.legend()
fig

# %% [markdown]
# Both curves are V-shaped: round-off on the left, the ε² error of the formula on the right.
# float64 agrees to seven digits or more for every weight around ε ≈ 1e-5 to 1e-6. float32
# agrees to two or three digits at best, which is not enough to tell a subtle bug from noise. So
# gradient checks are done in **float64**, with ε around 1e-6, on a few inputs small enough to
# loop over (one pair of function calls per entry). A correct backward pass gives a relative
# error of 1e-7 or less; a wrong one gives 1e-2 or more. The next cell checks a deliberately
# wrong backward pass: a square function whose hand-written gradient forgot the factor 2.

# %%
class WrongSquare(torch.autograd.Function):
    """x², with a backward pass that forgot the 2 of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be grad * 2 * x


point = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
wrong = recipe.gradient_check(lambda v: WrongSquare.apply(v).sum(), point)
right = recipe.gradient_check(lambda v: (v**2).sum(), point)
print(f"relative error: correct backward below 1e-8: {right < 1e-8}; wrong backward {wrong:.2f}")
claims.expect(right < 1e-8 and wrong > 0.1, "the check passes the right backward pass and "
              "catches the wrong one", f"{right:.1e} and {wrong:.2f}",
              "a changed point or eps can blur the difference")

# %% [raw]
# # BEGIN QUESTION
# name: q2_numerical_gradient
# points: 2

# %% [markdown]
# **Exercise 2 · a numerical gradient.** Write `numerical_gradient(f, x, eps=1e-6)`. `f` takes a
# tensor shaped like `x` and returns a scalar. Return a tensor shaped like `x` whose entry i is
# the central difference `(f(x + eps·eᵢ) − f(x − eps·eᵢ)) / (2·eps)`, where eᵢ is 1 at entry i
# and 0 elsewhere. `x` can have any shape (loop over `x.numel()` entries; `x.view(-1)` or
# `x.flatten()` helps). Do not change `x` itself: work on a copy. The check compares your result
# with autograd's gradient on a few functions in float64.

# %% [raw]
# # BEGIN SOLUTION

# %%
def numerical_gradient(f, x, eps=1e-6):
    """∂f/∂x by central differences, one entry at a time."""
    # BEGIN SOLUTION
    x = x.detach().clone()
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)  # views: changing flat changes x
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old  # put the entry back before the next one
        flat_grad[i] = (up - down) / (2 * eps)
    return grad
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_numerical_gradient_matches_autograd(numerical_gradient):
    import torch

    from mnist_lab import checks, recipe

    def autograd_gradient(f, x):
        x = x.clone().requires_grad_(True)
        return torch.autograd.grad(f(x), x)[0]

    checks.require_attempt(numerical_gradient)
    hint = ("for each i: copy x, add eps at entry i, call f; subtract eps instead, call f; "
            "the difference over 2*eps is entry i of the gradient, shaped like x")
    x = torch.linspace(-2, 2, 6, dtype=torch.float64)
    before = x.clone()
    matrix = torch.randn(2, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    for f, v, name in ((lambda v: (v**2).sum(), x, "sum(x²)"),
                       (lambda v: (v.sin() * v).sum(), x, "sum(sin(x)·x)"),
                       (lambda v: (v.exp() * v).sum(), matrix, "sum(exp(x)·x) of a (2, 3) x")):
        # float64 central differences with eps = 1e-6 are good to about 1e-9
        checks.check_close(numerical_gradient(f, v), autograd_gradient(f, v),
                           name=f"numerical_gradient of {name}", atol=1e-6, rtol=1e-5,
                           hint=hint, quiet=True)
    checks.check_close(x, before, name="x after your function (it must not change)",
                       atol=0, rtol=0, hint="work on x.clone(), not on x itself", quiet=True)
    # for x³ the central difference is 3x² + eps² exactly; a forward difference is 3x² + 3x·eps
    cube = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    checks.check_close(numerical_gradient(lambda v: (v**3).sum(), cube, 1e-2),
                       recipe.numerical_gradient(lambda v: (v**3).sum(), cube, 1e-2),
                       name="numerical_gradient of sum(x³) with eps=0.01", atol=1e-9, rtol=1e-7,
                       quiet=True, hint="use the eps you are given, and the CENTRAL difference "
                                        "(f(x + eps·eᵢ) − f(x − eps·eᵢ)) / (2·eps)")
    print("✓ numerical_gradient matches autograd on 3 functions and leaves x unchanged.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_numerical_gradient_of_a_matrix_loss(numerical_gradient):
    import torch

    from mnist_lab import checks

    gen = torch.Generator().manual_seed(5)
    w = torch.randn(4, 3, generator=gen, dtype=torch.float64)  # 2-D input
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])

    def loss(v):
        return torch.nn.functional.cross_entropy(x @ v, labels)

    leaf = w.clone().requires_grad_(True)
    expected = torch.autograd.grad(loss(leaf), leaf)[0]
    before = w.clone()
    checks.check_close(numerical_gradient(loss, w), expected, name="gradient of a (4, 3) matrix",
                       atol=1e-6, rtol=1e-5, quiet=True)
    checks.check_close(w, before, name="x after your function (it must not change)", atol=0,
                       rtol=0, quiet=True, hint="work on x.clone(), not on x itself")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_numerical_gradient_uses_the_given_eps(numerical_gradient):
    import torch

    from mnist_lab import checks, recipe

    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    for eps in (1e-1, 1e-3):
        checks.check_close(numerical_gradient(lambda v: (v**3).sum(), x, eps),
                           recipe.numerical_gradient(lambda v: (v**3).sum(), x, eps),
                           name=f"numerical_gradient with eps={eps}", atol=1e-9, rtol=1e-7,
                           quiet=True, hint="use the eps you are given")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - **Check the initial loss.** An untrained softmax classifier over C classes scores about
#   log C (2.303 for MNIST); sigmoid outputs score 0.25 under MSE and log 2 under BCE. A very
#   different number points to a bug or a bad initialisation before any training is spent.
# - **Overfit a tiny subset** (100 images, no regularisation) to 100% training accuracy. If the
#   network cannot memorise 100 images, something in the pipeline is broken.
# - **Read the first steps of the loss.** Flat: the LR is too small (or the initialisation is
#   bad). Exploding to NaN: the LR is too large; `fit` stops with `TrainingDiverged` and says so.
#   Straight to zero: too good to be true; look for a leak.
# - **The LR range test** sweeps the learning rate exponentially over a few hundred steps; pick
#   the rate where the loss falls fastest, not where it is lowest.
# - **The update ratio** ‖ΔW‖/‖W‖ should be near 1e-3: far below, learning is slow; far above,
#   it is unstable.
# - **Gradient checks** compare a backward pass with central differences in float64 with ε near
#   1e-6; a relative error of 1e-7 or less means the gradient is right.
# - Lesson 09 turns to the data side of training: mini-batches, shuffling, scaling and honest
#   splits.
