# %% [raw]
# # ASSIGNMENT CONFIG
# name: 11_hyperparameter_search
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 11 · Hyperparameter search
#
# **You will learn to**
# - explain why learning rates and weight decays are searched on a log scale, and sample them so;
# - compare grid search with random search for the same budget, and see why random search
#   explores the important setting better (Bergstra & Bengio's picture, from real runs);
# - search coarse first, then fine around the best, and train the final choice longer;
# - stop hopeless trials early (pruning) to save most of their budget;
# - run a search with Optuna, and share one search between several machines.
#
# The learning rate, the weight decay, the batch size, the width of a layer: these
# **hyperparameters** are not learnt by gradient descent. We choose them, by training several
# networks and keeping the one that scores best on the validation set (lesson 09). Each trial costs
# a training run, so the question of this lesson is how to spend a fixed number of runs well.
#
# Every trial here is a deliberately tiny run: a 784→100→10 ReLU network, SGD with momentum 0.9,
# 2 epochs over 5,000 training images in batches of 256, scored by its accuracy on 2,000
# validation images. That takes about a tenth of a second, so we can afford about a hundred
# trials. Every trial starts from the same initial weights and sees the same batches, so two
# trials differ only in their hyperparameters.

# %%
# %matplotlib inline
import math
import tempfile
from pathlib import Path

import numpy as np
import optuna
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import search
from mnist_lab.claims import expect
from mnist_lab.data import load_splits

# One thread: for networks this small, threads cost more in waiting than they gain in speed,
# and the numbers do not depend on how many cores the machine has.
torch.set_num_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial

data = search.short_run_data(load_splits(val_size=10_000))  # 5,000 train, 2,000 validation
SPACE = search.SearchSpace(lr=(1e-3, 1.0), weight_decay=(1e-5, 1e-1))
objective = search.make_objective(data, SPACE)  # one trial = one short run (mnist_lab.search)
print(f"training images {tuple(data.train[0].shape)}, validation images "
      f"{tuple(data.val[0].shape)}")
print(f"search space: learning rate {SPACE.lr}, weight decay {SPACE.weight_decay}")
WHY = ("other ranges, budgets, sampler seeds or run lengths draw other trials; a search is "
       "itself random, and one search can be lucky or unlucky")

# %% [markdown]
# ## 1 · Why a log scale
#
# How different are the learning rates 0.0001 and 0.001? On a training run, about as different as
# 0.01 and 0.1: each is ten times the other, and a step ten times as large changes training by the
# same *factor* wherever we start. What matters is the ratio, not the difference. Weight decay and
# most other "rates" behave the same way.
#
# That decides how to sample them. Drawn **uniformly** from [0.0001, 1], nine values in ten land
# between 0.1 and 1: the three decades below get one sample in ten between them. Drawn
# **log-uniformly**, i.e. the *exponent* uniform, every decade gets the same share. `mnist_lab`
# does it as `exp(uniform(log low, log high))`:

# %%
gen = torch.Generator().manual_seed(0)
n = 10_000
uniform = 1e-4 + (1 - 1e-4) * torch.rand(n, generator=gen, dtype=torch.float64)
log_uniform = search.sample_log_uniform(1e-4, 1.0, n, gen)
decades = 10.0 ** np.arange(-4, 1)  # the edges 1e-4, 1e-3, ..., 1


def share_per_decade(samples):
    """The fraction of samples in each decade [1e-4, 1e-3), ..., [0.1, 1]."""
    return np.histogram(samples.numpy(), bins=decades)[0] / len(samples)


print("share per decade, 1e-4 … 1:")
print("  uniform    ", "  ".join(f"{s:.0%}" for s in share_per_decade(uniform)))
print("  log-uniform", "  ".join(f"{s:.0%}" for s in share_per_decade(log_uniform)))
WHY_RANGE = "another range has another number of decades, so other shares per decade"
expect(bool(share_per_decade(uniform)[-1] > 0.88), "uniform sampling puts ~90% in the top decade",
       f"{share_per_decade(uniform)[-1]:.0%}", WHY_RANGE)
expect(bool(np.allclose(share_per_decade(log_uniform), 0.25, atol=0.02)),
       "log-uniform sampling gives each of the 4 decades a quarter",
       f"{np.round(share_per_decade(log_uniform), 3).tolist()}", WHY_RANGE)

fig = Figure(figsize=(11, 3.2), layout="constrained")
axes = fig.subplots(1, 2, sharey=True)
bins = np.logspace(-4, 0, 41)  # equal widths on the log axis
for ax, samples, title in ((axes[0], uniform, "uniform in [1e-4, 1]"),
                           (axes[1], log_uniform, "log-uniform in [1e-4, 1]")):
    ax.hist(samples.numpy(), bins=bins, color="C0")
    ax.set_xscale("log")
    ax.set_title(title)
    ax.set_xlabel("learning rate (log scale)")
axes[0].set_ylabel(f"count of {n:,} samples")
fig

# %% [markdown]
# With uniform sampling a search would spend almost all its trials on rates between 0.1 and 1
# and barely look at the three decades below. Optuna does the log-uniform draw for us when we
# write `trial.suggest_float("lr", 1e-3, 1.0, log=True)`, but it is worth writing once by hand.

# %% [raw]
# # BEGIN QUESTION
# name: q1_sample_log_uniform
# points: 3

# %% [markdown]
# **Exercise 1 · log-uniform sampling.** Write `sample_log_uniform(low, high, n, generator)`:
# a tensor of `n` random numbers between `low` and `high` whose logarithms are uniformly spread,
# drawn with the given `torch.Generator` so that the same seed gives the same numbers. One way:
# draw `u = torch.rand(n, generator=generator)`, map it to the interval
# `[log(low), log(high)]`, and take `exp`. (`10 ** ...` with `log10` works just as well.)
#
# The check draws 20,000 samples and compares their *distribution* with the log-uniform one, so
# any correct method passes; it also checks the range and that the generator decides the numbers.

# %% [raw]
# # BEGIN SOLUTION

# %%
def sample_log_uniform(low, high, n, generator):
    """n samples between low and high, uniform on a log scale, drawn with `generator`."""
    # BEGIN SOLUTION
    u = torch.rand(n, generator=generator, dtype=torch.float64)  # uniform in [0, 1)
    return torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_sample_log_uniform_distribution(sample_log_uniform):
    from mnist_lab import checks
    from mnist_lab.search import check_log_uniform_sampler

    checks.require_attempt(sample_log_uniform)
    check_log_uniform_sampler(sample_log_uniform, 1e-4, 1.0)
    check_log_uniform_sampler(sample_log_uniform, 3e-5, 0.7, n=5, seed=3, quiet=True)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_sample_log_uniform_other_ranges(sample_log_uniform):
    from mnist_lab.search import check_log_uniform_sampler

    # not whole decades, a narrow range of tiny numbers, and a range above 1
    for low, high in ((3e-5, 0.7), (1e-8, 3e-8), (0.5, 200.0)):
        check_log_uniform_sampler(sample_log_uniform, low, high, seed=7, quiet=True)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_sample_log_uniform_small_n(sample_log_uniform):
    from mnist_lab.search import check_log_uniform_sampler

    for n in (1, 2, 5):  # tiny draws: right count, in range, reproducible
        check_log_uniform_sampler(sample_log_uniform, 1e-3, 1e-1, n=n, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2_grid_points
# points: 1

# %% [markdown]
# **Exercise 2 · a log-scale grid.** A grid search needs the opposite: not random values but `n`
# evenly spaced ones. Write `grid_points(low, high, n)` (for `n ≥ 2`): `n` numbers from `low` to
# `high`, both included, equally spaced on a log scale, so that each is the previous one times the
# same factor. For example `grid_points(0.001, 1, 4)` is `[0.001, 0.01, 0.1, 1]`. Return a tensor
# or a list. `torch.logspace` or `np.geomspace` do it, and so does a line of arithmetic.

# %% [raw]
# # BEGIN SOLUTION

# %%
def grid_points(low, high, n):
    """n values from low to high (included), equally spaced on a log scale."""
    # BEGIN SOLUTION
    ratio = (high / low) ** (1 / (n - 1))  # the constant factor between neighbours
    return torch.tensor([low * ratio**i for i in range(n)], dtype=torch.float64)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_grid_points_matches_reference(grid_points):
    import numpy as np
    import torch

    from mnist_lab import checks
    from mnist_lab.search import log_grid

    def as_tensor(low, high, n):  # a list, an array or a tensor are all fine answers
        out = grid_points(low, high, n)
        return None if out is None else torch.as_tensor(np.asarray(out, dtype=np.float64))

    checks.require_attempt(grid_points)
    # rtol 1e-5: torch.logspace in float32 passes
    checks.check_function(as_tensor, log_grid, [(1e-3, 1.0, 4), (1e-5, 1e-1, 3), (3e-5, 0.7, 5)],
                          name="grid_points", grad=False, atol=0.0, rtol=1e-5,
                          hint="equal steps in log(value): low * (high / low) ** (i / (n - 1)) "
                               "for i = 0 … n-1")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_grid_points_other_ranges(grid_points):
    import numpy as np
    import torch

    from mnist_lab import checks
    from mnist_lab.search import log_grid

    def as_tensor(low, high, n):
        out = grid_points(low, high, n)
        return None if out is None else torch.as_tensor(np.asarray(out, dtype=np.float64))

    # two points only, ranges that are not whole decades, a narrow range, many points
    cases = [(3e-5, 0.7, 2), (3e-5, 0.7, 7), (1e-6, 1.5e-6, 3), (0.5, 200.0, 25)]
    checks.check_function(as_tensor, log_grid, cases, name="grid_points", grad=False,
                          atol=0.0, rtol=1e-5, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · Grid search against random search
#
# Two ways to spend a budget of 9 trials on two hyperparameters, the learning rate and the weight
# decay, both on a log scale:
#
# - **Grid search** tries every combination of 3 learning rates and 3 weight decays.
# - **Random search** draws 9 pairs log-uniformly from the same ranges.
#
# Optuna runs both: a *study* repeatedly asks a *sampler* for the next trial's values and records
# the score. `GridSampler` walks through a fixed grid; `RandomSampler(seed=...)` draws at random.
# `mnist_lab.search.grid_study` and `random_study` wrap them.

# %%
BUDGET = 9
grid = search.trials_table(search.grid_study(objective, SPACE, points_per_axis=3))
SEEDS = range(5)  # five independent random searches, to see more than one lucky draw
randoms = [search.trials_table(search.random_study(objective, BUDGET, seed=s))
           for s in SEEDS]

print(f"grid search:   best {grid['value'].max():.1%}, "
      f"{len(np.unique(grid['lr']))} distinct learning rates tried")
for seed, table in zip(SEEDS, randoms):
    best = np.argmax(table["value"])
    print(f"random seed {seed}: best {table['value'][best]:.1%} at lr {table['lr'][best]:.3f}, "
          f"{len(np.unique(table['lr']))} distinct learning rates tried")

assert len(grid["value"]) == BUDGET and all(len(t["value"]) == BUDGET for t in randoms)
assert len(np.unique(grid["lr"])) == 3  # the grid tests only 3 learning rates...
assert all(len(np.unique(t["lr"])) == BUDGET for t in randoms)  # random search tests 9
wins = sum(t["value"].max() > grid["value"].max() for t in randoms)
expect(bool(wins >= 4), "random search found a better model than the grid in 4 of 5 searches",
       f"{wins} of {len(randoms)}", WHY)
expect(bool(grid["value"].max() < 0.84),
       "the grid's best stays below 84%: its rates, 0.03 or 1, are far from the best",
       f"{grid['value'].max():.1%}", WHY)
expect(bool(all(0.87 <= t["value"].max() <= 0.89 for t in randoms if t["value"].max() > 0.84)),
       "the winning random searches reach 87–89%",
       f"{[round(float(t['value'].max()), 3) for t in randoms]}", WHY)
expect(bool(randoms[1]["lr"].max() < 0.02), "the search with seed 1 drew only rates below 0.02",
       f"its largest: {randoms[1]['lr'].max():.3f}", WHY)

# %% [markdown]
# With the same 9 runs, random search found a better network than the grid in 4 of the 5 random
# searches; their best runs reached 87–89% where the grid stopped below 84%. Not always: the
# search with seed 1 happened to draw all its 9 rates below 0.02, and lost. Random search wins
# *on average*, not every time.
#
# The reason is in the picture below, Bergstra and Bengio's picture made from the real trials.
# Each dot is one trial in the plane of the two hyperparameters, coloured by its accuracy. Above
# the plane, the accuracy of each trial is plotted against its learning rate alone; to the right,
# against its weight decay alone.

# %%
def plot_trials(fig, cell, table, title):
    """One search: trials in the (lr, weight decay) plane, with the score along each axis."""
    inner = cell.subgridspec(2, 2, width_ratios=(3, 1), height_ratios=(1, 3))
    plane = fig.add_subplot(inner[1, 0])
    top = fig.add_subplot(inner[0, 0], sharex=plane)
    side = fig.add_subplot(inner[1, 1], sharey=plane)
    dots = plane.scatter(table["lr"], table["weight_decay"], c=table["value"], cmap="viridis",
                         vmin=0.7, vmax=0.9, s=60, edgecolors="k")
    plane.set_xscale("log")
    plane.set_yscale("log")
    plane.set_xlim(SPACE.lr[0] / 1.6, SPACE.lr[1] * 1.6)  # room for the dots on the edges
    plane.set_ylim(SPACE.weight_decay[0] / 2, SPACE.weight_decay[1] * 2)
    plane.set_xlabel("learning rate")
    plane.set_ylabel("weight decay")
    top.scatter(table["lr"], table["value"], color="C1", s=20)
    side.scatter(table["value"], table["weight_decay"], color="C1", s=20)
    top.set_ylim(0, 0.95)
    side.set_xlim(0, 0.95)
    top.set_ylabel("accuracy")
    side.set_xlabel("accuracy")
    top.set_title(title)
    for ax in (plane, top, side):
        ax.grid(True, alpha=0.3)
    top.tick_params(labelbottom=False)
    side.tick_params(labelleft=False)
    return dots


# the grid as a 3 × 3 table: one row per weight decay, one column per learning rate
score = dict(zip(zip(grid["lr"], grid["weight_decay"]), grid["value"]))
lrs, wds = np.unique(grid["lr"]), np.unique(grid["weight_decay"])
grid_table = np.array([[score[lr, wd] for lr in lrs] for wd in wds])
expect(bool(np.all(np.ptp(grid_table, axis=1) > 0.5)),
       "at any weight decay, the learning rate moves the accuracy by over 50 points", why=WHY)
expect(bool(np.ptp(grid_table[:, 1]) < 0.05),
       "at lr 0.03, the weight decay moves it by under 5 points", why=WHY)
expect(bool(grid_table[:, 0].max() < 0.3), "lr 0.001 barely learns in 2 epochs (under 30%)",
       why=WHY)

fig = Figure(figsize=(12, 5.2), layout="constrained")
cells = fig.add_gridspec(1, 3, width_ratios=(1, 1, 0.03))
plot_trials(fig, cells[0], grid, f"grid search, {BUDGET} trials")
dots = plot_trials(fig, cells[1], randoms[0], f"random search (seed 0), {BUDGET} trials")
fig.colorbar(dots, cax=fig.add_subplot(cells[2]),
             label="validation accuracy (70% and below: darkest)")
fig

# %% [markdown]
# Look at the margins. Along the learning-rate axis (top) the accuracy climbs from about 25% at
# the smallest rates to nearly 90%. Along the weight-decay axis (right) the dots spread too, but
# that spread comes from the learning rates: in the grid, at a rate of 0.03 the three weight
# decays score within 5 points of each other, while at any weight decay the three rates differ by
# more than 50 points. Only the largest weight decay does harm, and only with the largest rate,
# where training diverged. The learning rate is the **important** hyperparameter here, the weight
# decay nearly irrelevant for such short runs.
#
# The grid spends its 9 trials on only 3 learning rates, each tried three times with weight
# decays that barely matter: for the important axis it is a 3-trial search. The random search
# tries 9 different learning rates, so it samples the important axis three times as densely. In
# real problems we rarely know in advance which hyperparameters are the important ones, and with
# more hyperparameters the grid's waste grows: a 3×3×3×3 grid tries each value of any one
# hyperparameter 27 times. Random search needs no such knowledge.

# %% [markdown]
# ## 3 · Coarse to fine
#
# The 54 trials so far (the grid and five random searches) together form a **coarse search**:
# wide ranges, short runs. The next step narrows the ranges around the best trial and searches
# again, a **fine search**. Here the new learning-rate range is the best rate ×÷ 3, and the new
# weight-decay range the best weight decay ×÷ 10, both clipped to the old ranges: on a log scale a
# range around a value is a *factor* on either side, not a fixed distance. For the fine search we
# use Optuna's `TPESampler`, which learns from the trials so far and draws more often where the
# scores were good (its first 4 trials are random).

# %%
coarse = {key: np.concatenate([grid[key]] + [t[key] for t in randoms])
          for key in ("lr", "weight_decay", "value")}
best = np.argmax(coarse["value"])
fine_space = SPACE.refine(coarse["lr"][best], coarse["weight_decay"][best], factor=3.0,
                          wd_factor=10.0)
sampler = optuna.samplers.TPESampler(n_startup_trials=4, seed=0)
fine_study = search.run_study(search.make_objective(data, fine_space), sampler, n_trials=12)
fine = search.trials_table(fine_study)
print(f"coarse: {len(coarse['value'])} trials, best {coarse['value'][best]:.1%} at lr "
      f"{coarse['lr'][best]:.3f}, weight decay {coarse['weight_decay'][best]:.1e}")
print(f"fine ranges: lr {fine_space.lr[0]:.3f} … {fine_space.lr[1]:.3f}, weight decay "
      f"{fine_space.weight_decay[0]:.1e} … {fine_space.weight_decay[1]:.1e}")
print(f"fine: {len(fine['value'])} trials, best {fine_study.best_value:.1%} at lr "
      f"{fine_study.best_params['lr']:.3f}, weight decay "
      f"{fine_study.best_params['weight_decay']:.1e}")
print(f"median trial: coarse {np.median(coarse['value']):.1%}, fine {np.median(fine['value']):.1%}")

assert len(coarse["value"]) == 54
assert np.all((fine["lr"] >= fine_space.lr[0]) & (fine["lr"] <= fine_space.lr[1]))
expect(bool(np.median(fine["value"]) > np.median(coarse["value"]) + 0.08),
       "the fine search's median trial is over 8 points better than the coarse one's",
       f"{np.median(fine['value']):.1%} vs {np.median(coarse['value']):.1%}", WHY)
expect(bool(fine_study.best_value >= coarse["value"].max() - 0.01),
       "the fine search's best matches the coarse best within noise (a point) or beats it",
       f"{fine_study.best_value:.1%} vs {coarse['value'].max():.1%}", WHY)

# %% [markdown]
# The fine search spends its whole budget in the good region: its median trial is about ten
# points better than the coarse search's median, and its best matches the coarse best. The
# difference at the top is a fraction of a point, within the noise of a 2,000-image validation
# set (one standard error is about 0.7 points near 88%), so do not read it as a gain.
# Coarse-to-fine is mostly insurance that no much better region was missed close to the best.
#
# The last step of the recipe (lesson 08) is to **train the chosen settings longer**. Twice as
# many epochs:

# %%
chosen = fine_study.best_params
longer = search.ShortRun(epochs=4)
final_acc = search.train_short_run(data, chosen["lr"], chosen["weight_decay"], longer)
print(f"the chosen settings: {fine_study.best_value:.1%} after 2 epochs, {final_acc:.1%} after "
      f"{longer.epochs}")
expect(bool(final_acc > fine_study.best_value + 0.005),
       "twice the epochs add over half a point", f"{fine_study.best_value:.1%} → {final_acc:.1%}",
       "at a high learning rate more epochs can also bounce around instead of improving")

# %% [markdown]
# A caution: a search with short runs prefers settings that learn *fast*. For a run many times
# longer, the best constant learning rate is usually lower, or the rate should decay (lesson 10):
# check the choice with a run of the length you will actually use.
#
# All the searches of this lesson in one picture, the best accuracy found after each trial:

# %%
fig = Figure(figsize=(8, 4), layout="constrained")
ax = fig.subplots()
steps = np.arange(1, BUDGET + 1)
ax.plot(steps, search.best_so_far(grid["value"]), "s-", color="C3", lw=2, label="grid 3 × 3")
for seed, table in zip(SEEDS, randoms):
    ax.plot(steps, search.best_so_far(table["value"]), "o-", color="C0", alpha=0.5, markersize=3,
            label="random (5 seeds)" if seed == 0 else None)
ax.plot(BUDGET + np.arange(1, len(fine["value"]) + 1), search.best_so_far(fine["value"]), "^-",
        color="C2", label="fine search (TPE), after the coarse one")
ax.axhline(final_acc, color="k", ls="--", label=f"final choice, {longer.epochs} epochs")
ax.set_xticks(range(1, BUDGET + len(fine["value"]) + 1, 2))
ax.set_xlabel("trial")
ax.set_ylabel("best validation accuracy so far")
ax.set_ylim(0.6, 0.93)
ax.grid(True, alpha=0.3)
ax.legend(loc="lower right")
fig

# %% [raw]
# # BEGIN QUESTION
# name: q3_refine_range
# points: 1

# %% [markdown]
# **Exercise 3 · the next, finer range.** Write `refine_range(best, factor, low, high)`: the
# range for a fine search around the value `best`, from `best / factor` to `best * factor`, but
# never outside the old range `[low, high]`. Return the pair `(new_low, new_high)`. For example
# `refine_range(0.3, 3, 0.001, 1)` is `(0.1, 0.9)` and `refine_range(0.5, 3, 0.001, 1)` is
# `(0.1667, 1)`: the old upper end stops it.

# %% [raw]
# # BEGIN SOLUTION

# %%
def refine_range(best, factor, low, high):
    """(best / factor, best * factor), clipped to [low, high]."""
    # BEGIN SOLUTION
    return max(best / factor, low), min(best * factor, high)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_refine_range_examples(refine_range):
    from mnist_lab import checks
    from mnist_lab.search import refine_range as reference

    def as_pair(best, factor, low, high):  # a tuple, a list or an array of two numbers
        out = refine_range(best, factor, low, high)
        return None if out is None else tuple(float(v) for v in out)

    checks.require_attempt(refine_range)
    checks.check_function(as_pair, lambda b, f, lo, hi: reference(b, f, (lo, hi)),
                          [(0.3, 3.0, 1e-3, 1.0), (0.5, 3.0, 1e-3, 1.0), (1e-4, 10.0, 1e-5, 0.1),
                           (2e-3, 3.0, 1e-3, 1.0)],  # rtol 1e-6: float32 arithmetic passes
                          name="refine_range", grad=False, atol=0.0, rtol=1e-6,
                          hint="divide and multiply by the factor (a log-scale range), then "
                               "clip with max(..., low) and min(..., high)")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_refine_range_edges(refine_range):
    from mnist_lab import checks
    from mnist_lab.search import refine_range as reference

    def as_pair(best, factor, low, high):  # a tuple, a list or an array of two numbers
        out = refine_range(best, factor, low, high)
        return None if out is None else tuple(float(v) for v in out)

    # clipped at the lower end, at both ends, a best value sitting on an end, a factor of 10
    cases = [(2e-3, 3.0, 1e-3, 1.0), (0.05, 100.0, 0.01, 0.2), (1e-3, 2.0, 1e-3, 1.0),
             (1.0, 2.0, 1e-3, 1.0), (3e-4, 10.0, 1e-6, 1.0)]
    checks.check_function(as_pair, lambda b, f, lo, hi: reference(b, f, (lo, hi)), cases,
                          name="refine_range", grad=False, atol=0.0, rtol=1e-6, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 4 · Pruning: stop hopeless trials early
#
# Most trials of a wide search are bad, and most of them look bad early. In the coarse trials the
# validation accuracy after epoch 1 already ranks the trials almost exactly as after epoch 2
# (Optuna kept each trial's per-epoch values):

# %%
def ranks(values):
    return np.argsort(np.argsort(values))


epoch1, epoch2 = [], []
for table in [grid] + randoms:
    epoch1 += list(table["first"])
    epoch2 += list(table["value"])
rank_corr = np.corrcoef(ranks(epoch1), ranks(epoch2))[0, 1]
print(f"rank correlation of the {len(epoch1)} coarse trials, epoch 1 against epoch 2: "
      f"{rank_corr:.2f}")
expect(bool(rank_corr > 0.9), "epoch 1 ranks the trials almost as epoch 2 does (over 0.9)",
       f"{rank_corr:.2f}", WHY)

# %% [markdown]
# So a trial that is far behind after one epoch can be stopped. That is **pruning**. The trial
# reports its validation accuracy after each epoch with `trial.report(acc, step=epoch)` and asks
# `trial.should_prune()`; `mnist_lab.search.train_short_run` does both through a callback. Optuna's
# `MedianPruner` stops a trial whose accuracy is below the median of the earlier trials at the same
# epoch (after a few `n_startup_trials` that always run to the end).
#
# Here is a random search of 12 trials of 4 epochs each, with the median rule:

# %%
run4 = search.ShortRun(epochs=4)
pruner = optuna.pruners.MedianPruner(n_startup_trials=4)
pruned_study = search.run_study(search.make_objective(data, SPACE, run4),
                                optuna.samplers.RandomSampler(seed=10), n_trials=12,
                                pruner=pruner)
pruned = search.trials_table(pruned_study)
full_budget = run4.epochs * len(pruned["epochs"])
used = int(pruned["epochs"].sum())
print(f"{int(pruned['pruned'].sum())} of {len(pruned['pruned'])} trials pruned; "
      f"{used} of {full_budget} epochs trained ({1 - used / full_budget:.0%} saved)")
print(f"best trial: {pruned_study.best_value:.1%} after {run4.epochs} epochs")

expect(bool(pruned["pruned"].sum() >= 4), "at least 4 of the 12 trials are pruned",
       f"{int(pruned['pruned'].sum())}", WHY)
expect(bool(used <= 0.75 * full_budget), "a quarter of the budget or more saved", why=WHY)
finished_best = pruned["value"][~pruned["pruned"]].max()
expect(bool(pruned["value"][pruned["pruned"]].max() < finished_best),
       "no pruned trial led the field", why=WHY)
expect(bool(pruned_study.best_value > 0.9), "the best finished trial scores above 90%",
       f"{pruned_study.best_value:.1%}", WHY)

# %%
fig = Figure(figsize=(8, 4), layout="constrained")
ax = fig.subplots()
for trial in pruned_study.trials:
    epochs = sorted(trial.intermediate_values)
    accs = [trial.intermediate_values[e] for e in epochs]
    is_pruned = trial.state == optuna.trial.TrialState.PRUNED
    ax.plot(epochs, accs, "--" if is_pruned else "-", color="C3" if is_pruned else "C0",
            marker="x" if is_pruned else "o", markersize=5)
ax.plot([], [], "o-", color="C0", label="ran to the end")
ax.plot([], [], "x--", color="C3", label="pruned")
ax.set_xticks(range(1, run4.epochs + 1))
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title("MedianPruner: trials below the median stop early")
ax.grid(True, alpha=0.3)
ax.legend(loc="lower right")
fig

# %% [markdown]
# The pruned trials (red) stop after one to three epochs; the budget they would have used goes to
# new trials instead. The first 4 trials always run to the end, which is why one poor trial
# finished: the pruner needs them to know what the median is. The pruner can be wrong, since a
# slow starter may have finished well, but the rank correlation above says that for these runs
# that is rare. The best finished trial (four epochs) scores above 90%, ahead of everything
# pruned.

# %% [markdown]
# ## 5 · One search, several machines
#
# Trials are independent training runs, so a search spreads easily over several machines (or
# GPUs). Optuna keeps a study in a **storage** that all workers share: each worker runs the same
# script,
#
# ```python
# study = optuna.create_study(study_name="mnist-lr-wd", direction="maximize",
#                             storage="postgresql://user:pass@db-host/optuna",  # or "sqlite:///search.db"
#                             load_if_exists=True)   # the first worker creates it, others join
# study.optimize(objective, n_trials=50)
# ```
#
# and asks the storage which trials exist before sampling its next one. A database server
# (PostgreSQL, MySQL) suits many machines; a SQLite file suits several processes on one machine;
# `optuna.storages.JournalStorage` with a file on a disk all machines mount (NFS) needs no
# database at all. Each worker seeds its sampler differently, otherwise they propose the same
# trials.
#
# Below, two "workers" share a journal file in a temporary folder. To keep it quick their
# objective is a cheap stand-in for a training run (a smooth bump around lr 0.3); in real use it
# would be `objective` from above.

# %%
def stand_in(trial):
    """A cheap stand-in for a training run: best at lr = 0.3, whatever the weight decay."""
    lr = trial.suggest_float("lr", *SPACE.lr, log=True)
    trial.suggest_float("weight_decay", *SPACE.weight_decay, log=True)
    return -(math.log10(lr / 0.3)) ** 2


with tempfile.TemporaryDirectory() as folder:
    backend = optuna.storages.journal.JournalFileBackend(str(Path(folder) / "journal.log"))
    storage = optuna.storages.JournalStorage(backend)
    for worker in range(2):  # in real use: two machines, at the same time
        study = optuna.create_study(study_name="shared", storage=storage, direction="maximize",
                                    load_if_exists=True,
                                    sampler=optuna.samplers.RandomSampler(seed=worker))
        study.optimize(stand_in, n_trials=5)
        print(f"worker {worker} sees {len(study.trials)} trials in the shared study")
    shared = optuna.load_study(study_name="shared", storage=storage)
    assert len(shared.trials) == 10  # both workers' trials are in one study
    print(f"shared study: {len(shared.trials)} trials, best lr {shared.best_params['lr']:.3f}")

# %% [markdown]
# ## Summary
# - Learning rates and weight decays act by **factors**, so search them on a **log scale**:
#   sample the exponent uniformly, and space grid points by a constant ratio.
# - With the same budget, **random search** beats **grid search** when some hyperparameters
#   matter more than others: 9 random trials test 9 learning rates, a 3 × 3 grid only 3. On MNIST
#   it found the better network in 4 of 5 searches.
# - Search **coarse to fine**: wide ranges and short runs first, then a narrow range around the
#   best (a factor either side), then train the choice longer. Check that settings found with
#   short runs still hold for the real run length.
# - **Pruning** stops trials that trail the median early; early scores rank trials almost as the
#   final ones do, and here it saved about 30% of the epochs.
# - Optuna runs all of it: samplers (grid, random, TPE), pruners, and a shared storage that lets
#   many machines work on one study.
