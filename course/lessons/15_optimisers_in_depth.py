# %% [raw]
# # ASSIGNMENT CONFIG
# name: 15_optimisers_in_depth
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 15 · Optimisers in depth
#
# **You will learn to**
# - state the update rules of SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam and
#   AdamW, and what problem each one solves;
# - see how the adaptive methods set a step size per parameter, and why Adagrad's steps shrink;
# - compare all eight on one task: how fast the loss falls, and the accuracy they end with;
# - switch from Adam to SGD part-way through a run;
# - write one RMSprop step yourself.
#
# Lesson 04 introduced two optimisers, SGD with momentum and Adam, on a narrow valley and on the
# book's network. Between plain SGD and Adam lies a family of methods, each fixing one weakness
# of the one before. This lesson lines them up, explains each in one or two formulas, and races
# them on the same network, the same data, the same initial weights and the same batches.

# %%
# %matplotlib inline
import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import optim
from mnist_lab.claims import expect
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.device import get_device, seed_everything
from mnist_lab.ensemble import mean_std
from mnist_lab.metrics import evaluate
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.train import TrainConfig, fit

device = get_device()
splits = load_splits(val_size=10_000, device=device)  # pixels / 255; 50k train, 10k validation
keep = stratified_subset(splits.train[1], 10_000)  # 1,000 of each digit: short runs
data = Splits((splits.train[0][keep], splits.train[1][keep]), splits.val)  # no test set: we
# compare methods here, and choosing between them is the validation set's job
print(f"training images {tuple(data.train[0].shape)}, validation {tuple(data.val[0].shape)}")

# %% [markdown]
# ## 1 · The family, one formula each
#
# `g` is the gradient of the mini-batch loss, `lr` the learning rate, and every operation is per
# parameter (element-wise).
#
# | optimiser | update | fixes |
# |---|---|---|
# | SGD | `p ← p − lr·g` | (the baseline) |
# | momentum | `v ← μ·v + g`, `p ← p − lr·v` | zig-zag steps (lesson 04) |
# | Nesterov | `v ← μ·v + g`, `p ← p − lr·(g + μ·v)` | overshoot: looks ahead |
# | Adagrad | `s ← s + g²`, `p ← p − lr·g / (√s + ε)` | one rate for all parameters |
# | RMSprop | `s ← α·s + (1−α)·g²`, `p ← p − lr·g / (√s + ε)` | Adagrad's shrinking steps |
# | Adadelta | `s` as RMSprop; `Δ = √(u+ε)/√(s+ε)·g`; `u ← ρ·u + (1−ρ)·Δ²` | tuning a rate |
# | Adam | momentum's mean of `g` over RMSprop's `√s`, bias-corrected | both (lesson 04) |
# | AdamW | Adam, and `p ← p − lr·λ·p` outside the scaling | decay under Adam |
#
# The last five are **adaptive**: they divide each parameter's step by a running size of its own
# gradients, so each parameter gets its own effective learning rate. They differ in how that
# running size is kept. Adagrad *sums* every squared gradient since the start, so its steps can
# only shrink; RMSprop and Adam keep an exponential *moving average* that forgets; Adadelta also
# keeps a moving average of its own past steps and uses it in place of a learning rate, so the
# step has the units of the parameter.
#
# The difference is plain when the gradient never changes. The cell feeds a constant gradient of
# 1 to the reference step functions of `mnist_lab.optim` and records the size of each step.

# %%
STEPS = 300
one = torch.ones(1)
sizes = {name: [] for name in ("Adagrad lr 0.01", "RMSprop lr 0.01", "Adam lr 0.01",
                               "Adadelta lr 1")}
p = {name: torch.zeros(1) for name in sizes}
state = {"Adagrad lr 0.01": torch.zeros(1), "RMSprop lr 0.01": torch.zeros(1),
         "Adam lr 0.01": (torch.zeros(1), torch.zeros(1)),
         "Adadelta lr 1": (torch.zeros(1), torch.zeros(1))}
for t in range(1, STEPS + 1):
    new = {
        "Adagrad lr 0.01": optim.adagrad_step(p["Adagrad lr 0.01"], one, state["Adagrad lr 0.01"],
                                              lr=0.01),
        "RMSprop lr 0.01": optim.rmsprop_step(p["RMSprop lr 0.01"], one, state["RMSprop lr 0.01"],
                                              lr=0.01),
        "Adam lr 0.01": optim.adam_step(p["Adam lr 0.01"], one, *state["Adam lr 0.01"], t,
                                        lr=0.01),
        "Adadelta lr 1": optim.adadelta_step(p["Adadelta lr 1"], one, *state["Adadelta lr 1"]),
    }
    for name, (param, *rest) in new.items():
        sizes[name].append(float(p[name] - param))  # the step just taken
        p[name], state[name] = param, rest[0] if len(rest) == 1 else tuple(rest)
sizes = {name: np.array(s) for name, s in sizes.items()}

assert abs(sizes["Adagrad lr 0.01"][99] - 0.01 / 10) < 1e-6  # step t is lr/√t: shrinks forever
assert np.allclose(sizes["Adam lr 0.01"], 0.01, rtol=1e-3)  # bias-corrected: exactly lr
assert sizes["RMSprop lr 0.01"][0] > 5 * 0.01  # no bias correction: too big at first...
assert abs(sizes["RMSprop lr 0.01"][-1] / 0.01 - 1) < 0.1  # ...then about lr
assert sizes["Adadelta lr 1"][-1] > 1.8 * sizes["Adadelta lr 1"][0]  # starts tiny, grows slowly

fig = Figure(figsize=(10, 4), layout="constrained")
ax = fig.subplots()
for name, s in sizes.items():
    ax.plot(np.arange(1, STEPS + 1), s, label=name)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("size of the step")
ax.set_title("step sizes with a constant gradient of 1")
ax.grid(True, alpha=0.3)
ax.legend()
fig

# %% [markdown]
# Adagrad's step is `lr/√t`: after 100 steps a tenth of where it started, whatever the loss
# still needs. That suits problems where each feature appears rarely, and hurts long runs.
# RMSprop's average forgets, so its step settles at about `lr`; it has no bias correction, so
# its first steps are several times larger (the average of `g²` starts at zero). Adam's
# correction makes every step exactly `lr` here. Adadelta starts with steps of about
# `√ε / √0.1`, 0.003, and grows them as its record of past steps fills: it chooses its own
# scale, slowly.

# %% [markdown]
# ## 2 · Eight optimisers, one task
#
# Now the race. Every optimiser trains the same 784 → 128 → 10 ReLU network (logits and
# cross-entropy) from the same initial weights, on the same 10,000 images in the same
# mini-batches of 128, for 4 epochs. Each runs at a learning rate commonly used for it, not
# tuned: `mnist_lab.optim.DEFAULT_LR` for most, 0.05 for the momentum methods (their steps add
# up about ten past gradients, so they need a smaller rate than plain SGD's 0.1) and for Adagrad
# (its steps shrink, so it starts higher). AdamW decays the weights by 1%·lr per step.
#
# Each optimiser trains from three seeds (seed s gives every optimiser the same initial weights
# and batches), and every number is a mean over the three, with its standard deviation where two
# methods are close. The methods are ranked on the **validation** set. The test set stays out of
# this lesson: ranking eight methods on it would make it one more thing we tuned on, and its
# score would no longer be an honest estimate for new images.

# %%
EPOCHS = 4
NET = MLPConfig(sizes=(784, 128, 10), hidden_activation="relu", output_activation="none")
OPTIMISERS = {
    "SGD": OptimConfig("sgd", lr=0.1),
    "momentum": OptimConfig("sgd", lr=0.05, momentum=0.9),
    "Nesterov": OptimConfig("sgd", lr=0.05, momentum=0.9, nesterov=True),
    "Adagrad": OptimConfig("adagrad", lr=0.05),
    "RMSprop": OptimConfig("rmsprop", lr=1e-3),
    "Adadelta": OptimConfig("adadelta", lr=1.0),
    "Adam": OptimConfig("adam", lr=1e-3),
    "AdamW": OptimConfig("adamw", lr=1e-3, weight_decay=0.01),
}


SEEDS = (0, 1, 2)


def race(optim_cfg: OptimConfig, seed: int = 0) -> tuple:
    """Train a fresh NET from `seed` with `optim_cfg`; (history, train accuracy)."""
    seed_everything(seed)  # the same initial weights for every optimiser
    model = MLP(NET)
    config = TrainConfig(epochs=EPOCHS, batch_size=128, loss="cross_entropy", log_every=2,
                         optim=optim_cfg, seed=seed, progress=False)
    history = fit(model, data, config)
    return history, evaluate(model, *data.train)["acc"]


runs = {name: [race(cfg, seed) for seed in SEEDS] for name, cfg in OPTIMISERS.items()}
history = {name: seeds[0][0] for name, seeds in runs.items()}  # seed 0's curves for the figures
first_loss = {name: [h.train_loss[0] for h, _ in seeds] for name, seeds in runs.items()}
val = {name: [h.val_acc[-1] for h, _ in seeds] for name, seeds in runs.items()}
first_epoch_loss = {name: np.mean(v) for name, v in first_loss.items()}  # means over the seeds
val_acc = {name: np.mean(v) for name, v in val.items()}
train_acc = {name: np.mean([t for _, t in seeds]) for name, seeds in runs.items()}
for name, seeds in runs.items():
    print(f"{name:<9} loss after epoch 1 {first_epoch_loss[name]:.2f}, epoch {EPOCHS} "
          f"{np.mean([h.train_loss[-1] for h, _ in seeds]):.2f}; accuracy: train "
          f"{train_acc[name]:.1%}, validation {val_acc[name]:.1%} ± {mean_std(val[name])[1]:.1%}")
seconds = sum(sum(h.seconds) for seeds in runs.values() for h, _ in seeds)
print(f"training time of all 24 runs: {seconds:.1f} s")


def paired(a, b):
    """Mean ± std over the seeds of a's minus b's validation accuracy (same start, same batches)."""
    return mean_std([x - y for x, y in zip(val[a], val[b])])


for a, b in (("momentum", "Adam"), ("Nesterov", "momentum"), ("Adagrad", "Nesterov"),
             ("AdamW", "Adam")):
    diff, spread = paired(a, b)
    print(f"{a} − {b}: {diff:+.2%} ± {spread:.2%} (paired over {len(SEEDS)} seeds)")

ADAPTIVE = ("Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW")
WHY = ("each method's ranking depends on the learning rate it gets, on the number of epochs and "
       "on the seeds; at another rate the order can change")
for name in OPTIMISERS:
    if name != "SGD":  # every other method makes faster early progress than plain SGD...
        expect(first_epoch_loss[name] < 0.75 * first_epoch_loss["SGD"],
               f"{name}'s first epoch ends at under 3/4 of plain SGD's loss",
               f"{first_epoch_loss[name]:.2f} vs {first_epoch_loss['SGD']:.2f}", WHY)
        expect(val_acc[name] > val_acc["SGD"] + 0.01, f"{name} ends over a point ahead of SGD",
               f"{val_acc[name]:.1%} vs {val_acc['SGD']:.1%}", WHY)
fastest = sorted(first_epoch_loss, key=first_epoch_loss.get)
expect(set(fastest[:2]) <= set(ADAPTIVE), "the two fastest first epochs are adaptive methods",
       f"fastest first: {fastest[:3]}", WHY)
expect(first_epoch_loss["Adam"] > first_epoch_loss["momentum"],
       "Adam at lr 1e-3 has a slower first epoch than momentum at 0.05",
       f"{first_epoch_loss['Adam']:.2f} vs {first_epoch_loss['momentum']:.2f}", WHY)
expect(paired("momentum", "Adam")[0] > paired("momentum", "Adam")[1],
       "momentum ends ahead of Adam by more than the spread of the paired differences",
       f"{paired('momentum', 'Adam')[0]:+.2%} ± {paired('momentum', 'Adam')[1]:.2%}", WHY)
expect(max(val_acc, key=val_acc.get) == "Adagrad", "Adagrad, at a high rate, ends first",
       f"best: {max(val_acc, key=val_acc.get)}", WHY)
expect(abs(paired("AdamW", "Adam")[0]) < 0.003, "AdamW and Adam end within 0.3 points",
       f"{paired('AdamW', 'Adam')[0]:+.2%}", "a larger weight decay or a longer run separates them")
expect(all(0.88 < acc < 0.96 for acc in val_acc.values()), "every method lands at 88–96%",
       f"{ {n: round(a, 3) for n, a in val_acc.items()} }", WHY)


# %%
def moving_average(values, n):
    """Mean of each n consecutive values: the trend under the mini-batch noise."""
    return np.convolve(values, np.ones(n) / n, mode="valid")


SMOOTH = 10  # 20 steps: a quarter of an epoch
fig = Figure(figsize=(12, 4.5), layout="constrained")
axes = fig.subplots(1, 2)
for k, (name, h) in enumerate(history.items()):
    style = "--" if name in ADAPTIVE else "-"
    axes[0].plot(h.steps[SMOOTH - 1:], moving_average(h.step_losses, SMOOTH), style,
                 color=f"C{k}", label=name)
    axes[1].plot(np.arange(1, EPOCHS + 1), h.val_acc, style, marker="o", color=f"C{k}",
                 label=name)
axes[0].set_yscale("log")
axes[0].set_xlabel("step")
axes[0].set_ylabel("cross-entropy (mean of 10 logged steps)")
axes[0].set_title("training loss (dashed: adaptive)")
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("validation accuracy")
axes[1].set_title("validation accuracy after each epoch")
for ax in axes:
    ax.grid(True, alpha=0.3)
axes[1].legend(fontsize=8)
fig

# %%
fig = Figure(figsize=(12, 4), layout="constrained")
ax = fig.subplots()
positions = np.arange(len(runs))
for offset, (label, values) in zip((-0.27, 0, 0.27), (
        ("train (10,000 images)", list(train_acc.values())),
        ("validation", list(val_acc.values())))):
    bars = ax.bar(positions + offset, values, 0.27, label=label)
    ax.bar_label(bars, fmt="%.3f", fontsize=7)
ax.set_xticks(positions, list(runs))
ax.set_ylim(0.85, 1.0)
ax.set_ylabel("accuracy")
ax.set_title(f"after {EPOCHS} epochs, mean of {len(SEEDS)} seeds")
ax.legend(loc="upper left")
fig

# %% [markdown]
# What these runs show:
#
# - **Speed.** Plain SGD is by far the slowest start. The two fastest first epochs belong to
#   adaptive methods (RMSprop and Adagrad): each parameter gets a step scaled to its own
#   gradients, so rarely active weights (those of rarely inked pixels, say) move as much as the
#   busy ones. But being adaptive is not enough: Adam at its usual 1e-3 has a *slower* first
#   epoch than momentum at 0.05. How fast a method starts depends on its learning rate as much
#   as on its update rule.
# - **Final accuracy.** After 4 epochs every method except plain SGD lands within a few points
#   of the others. At these untuned rates momentum and Nesterov end ahead of Adam and AdamW, by
#   more than the spread over seeds, and Adagrad, started at a high rate, ends first. Nesterov
#   against momentum is within noise: their paired difference is about as large as its spread.
# - **AdamW against Adam.** The same within noise here: over 316 steps a decay of 1%·lr per step
#   shrinks the weights by about 0.3% in all. Decoupled weight decay matters in long runs with
#   larger decay, as a regulariser (lesson 13).
#
# Be careful with what these runs do *not* show. A common observation is that adaptive methods
# converge faster but that well-tuned SGD with momentum often **generalises** better: it reaches
# a similar training loss and then a higher test accuracy. Here the momentum runs are ahead on
# the training set *and* on the validation set, so they simply trained further in 4 epochs;
# there is no sign of a generalisation gap between the methods in a run this short. Testing
# that claim needs every method trained to convergence, with its learning rate tuned (lesson
# 10), over several seeds. Also, every ranking here holds for these learning rates: at another
# rate the order can change.

# %% [markdown]
# ## 3 · Adam first, SGD later
#
# If adaptive methods start fast and SGD with momentum finishes well, why not use both? That is
# the idea behind switching part-way: Adam for the first epochs, then SGD with momentum from
# Adam's weights. In `mnist_lab` it is `OptimConfig("adam", switch_to_sgd_epoch=2, sgd_lr=0.05,
# sgd_momentum=0.9)`: after epoch 2, `fit` builds a fresh SGD optimiser (no Adam state is
# carried over) and trains on. The run starts exactly like the Adam run above.

# %%
switch_cfg = OptimConfig("adam", lr=1e-3, switch_to_sgd_epoch=2, sgd_lr=0.05, sgd_momentum=0.9)
switched_runs = [race(switch_cfg, seed)[0] for seed in SEEDS]
switched, adam = switched_runs[0], history["Adam"]  # seed 0, for the figure
switch_gain = mean_std([s.val_acc[-1] - a for s, a in zip(switched_runs, val["Adam"])])
print(f"Adam → SGD after epoch {switched.extras['switched_to_sgd_epoch']}: validation "
      f"{np.mean([s.val_acc[-1] for s in switched_runs]):.1%} (Adam throughout: "
      f"{val_acc['Adam']:.1%}); paired difference {switch_gain[0]:+.2%} ± {switch_gain[1]:.2%}")

assert switched.extras["switched_to_sgd_epoch"] == 2
assert switched.val_acc[:2] == adam.val_acc[:2]  # identical until the switch
assert switched.lr[-1] == 0.05  # then SGD's learning rate
expect(abs(switch_gain[0]) < 0.01, "in 4 epochs the switch ends within a point of Adam's result",
       f"{switch_gain[0]:+.2%}", "a longer run after the switch, or another SGD rate, changes it")

fig = Figure(figsize=(10, 4), layout="constrained")
ax = fig.subplots()
for name, h, colour in (("Adam", adam, "C6"), ("momentum", history["momentum"], "C1"),
                        ("Adam → SGD", switched, "k")):
    ax.plot(h.steps[SMOOTH - 1:], moving_average(h.step_losses, SMOOTH), color=colour,
            label=name)
steps_per_epoch = -(-len(data.train[0]) // 128)  # ceil(10,000 / 128) = 79
ax.axvline(2 * steps_per_epoch, color="gray", linestyle=":", label="switch to SGD")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy (smoothed)")
ax.grid(True, alpha=0.3)
ax.legend()
fig

# %% [markdown]
# Until the switch the curve is Adam's. After it, SGD with momentum continues from Adam's
# weights. In a run this short the end result is within a point of Adam's: the switch is a tool
# for long runs, where Adam's fast start saves time and SGD's finish is reported to generalise
# better. Two details matter when you use it: SGD needs its own learning rate (Adam's 1e-3
# would be far too small for SGD), and the switch throws away Adam's running averages, so the
# first SGD steps can shake the loss for a moment.

# %% [raw]
# # BEGIN QUESTION
# name: q1_rmsprop_step
# points: 3

# %% [markdown]
# **Exercise 1 · one RMSprop step.** Write `rmsprop_step(param, grad, square_avg, lr=1e-2,
# alpha=0.99, eps=1e-8, weight_decay=0.0)` returning `(param, square_avg)`, the update
# `torch.optim.RMSprop` makes (without momentum):
#
# 1. with `weight_decay > 0`, first add `weight_decay · param` to the gradient;
# 2. `square_avg ← α · square_avg + (1 − α) · grad²`, the running mean of squared gradients;
# 3. `param ← param − lr · grad / (√square_avg + ε)`. Note that ε is added *after* the root.
#
# Return new tensors and leave the inputs unchanged. `square_avg` starts at zeros and is the state
# you pass to the next step. The check compares your function with `mnist_lab.optim.rmsprop_step`
# on single steps and on several steps in a row.

# %% [raw]
# # BEGIN SOLUTION

# %%
def rmsprop_step(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    """One RMSprop step; returns (new param, new square_avg)."""
    # BEGIN SOLUTION
    grad = grad + weight_decay * param  # L2 penalty's gradient
    square_avg = alpha * square_avg + (1 - alpha) * grad**2  # forgets old gradients
    return param - lr * grad / (square_avg.sqrt() + eps), square_avg
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_rmsprop_step_matches_reference(rmsprop_step):
    import torch

    from mnist_lab import checks, optim

    hint = ("grad = grad + weight_decay*param; square_avg = alpha*square_avg + (1-alpha)*grad**2; "
            "param - lr*grad/(sqrt(square_avg) + eps), eps AFTER the root; "
            "return (param, square_avg); use the alpha and eps you are given")
    gen = torch.Generator().manual_seed(0)
    p, g = torch.randn(3, 4, generator=gen), torch.randn(3, 4, generator=gen)
    s = torch.rand(3, 4, generator=gen)  # a mean of squares is never negative
    tiny = torch.full((3, 4), 1e-6)  # gradients so small that where eps goes matters
    checks.check_function(rmsprop_step, optim.rmsprop_step,
                          [(p, g, torch.zeros(3, 4)), (p, g, s),
                           {"args": (p, g, s), "kwargs": {"lr": 0.1}},
                           {"args": (p, g, s), "kwargs": {"weight_decay": 0.1}},
                           {"args": (p, g, s), "kwargs": {"alpha": 0.5}},  # not 0.99 written in
                           {"args": (p, tiny, torch.zeros(3, 4)), "kwargs": {"eps": 1e-6}}],
                          name="rmsprop_step", grad=False, hint=hint, quiet=True)
    grads = torch.randn(5, 3, 4, generator=gen)
    checks.check_function(optim.steps_in_a_row(rmsprop_step),
                          optim.steps_in_a_row(optim.rmsprop_step),
                          [{"args": (p, grads), "kwargs": {"lr": 0.01}}],
                          name="rmsprop_step, 5 steps in a row", grad=False, hint=hint)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_rmsprop_step_other_settings(rmsprop_step):
    import torch

    from mnist_lab import checks, optim

    gen = torch.Generator().manual_seed(4)
    p, g = torch.randn(2, 5, generator=gen), torch.randn(2, 5, generator=gen)
    s = torch.rand(2, 5, generator=gen)
    tiny = torch.full((2, 5), 1e-6)
    checks.check_function(rmsprop_step, optim.rmsprop_step,
                          [{"args": (p, g, s), "kwargs": {"alpha": 0.9, "eps": 1e-3}},
                           {"args": (p, tiny, torch.zeros(2, 5)),
                            "kwargs": {"lr": 0.5, "alpha": 0.5, "eps": 1e-6}}],
                          name="rmsprop_step", grad=False, quiet=True)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_rmsprop_step_float64_state_over_many_steps(rmsprop_step):
    import torch

    from mnist_lab import checks, optim

    gen = torch.Generator().manual_seed(5)
    p = torch.randn(7, generator=gen, dtype=torch.float64)
    grads = torch.randn(20, 7, generator=gen, dtype=torch.float64)
    settings = {"lr": 0.003, "alpha": 0.95, "weight_decay": 0.01}  # the state must carry over
    # float64 over 20 steps: atol 1e-10, rtol 1e-8 leave room for another order of operations
    checks.check_function(optim.steps_in_a_row(rmsprop_step),
                          optim.steps_in_a_row(optim.rmsprop_step),
                          [{"args": (p, grads), "kwargs": settings}],
                          name="rmsprop_step, 20 float64 steps", grad=False,
                          atol=1e-10, rtol=1e-8, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - **Momentum** and **Nesterov** average the direction of past gradients; Nesterov corrects the
#   step with a look ahead. **Adagrad**, **RMSprop**, **Adadelta** and **Adam** scale each
#   parameter's step by its own gradient history: Adagrad's steps shrink as `1/√t`, RMSprop and
#   Adam forget, Adadelta picks its own step scale. **AdamW** keeps weight decay out of Adam's
#   scaling.
# - On MNIST with a 784→128→10 network and 4 epochs (3 seeds, ranked on validation), every
#   method beat plain SGD by far; two adaptive methods made the fastest start, but Adam at 1e-3
#   started slower than momentum at 0.05. Momentum and Nesterov, at common untuned rates, ended
#   ahead of Adam.
# - Rank methods on the validation set, over several seeds; keep the test set for the one model
#   you finally choose.
# - "Adaptive methods converge faster, SGD with momentum generalises better" is a statement about
#   long, tuned runs; a short run can show the first half, not the second.
# - `OptimConfig(switch_to_sgd_epoch=...)` starts with Adam and finishes with SGD + momentum,
#   with its own learning rate and a fresh state.
# - Rankings of optimisers depend on the learning rate each one gets: compare them only after
#   tuning each one's rate (lesson 11).
