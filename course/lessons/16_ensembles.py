# %% [raw]
# # ASSIGNMENT CONFIG
# name: 16_ensembles
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 16 · Ensembles
#
# **You will learn to**
# - combine several networks into one classifier, by averaging their probabilities or by
#   letting them vote;
# - report a result as mean ± standard deviation over several seeds, and compare methods that
#   way;
# - train K networks at once as one batched computation with `torch.func` and `torch.vmap`, and
#   check that it gives the same weights as K separate runs;
# - build a snapshot ensemble from a single run with a cyclic learning rate;
# - average the *weights* of one run (Polyak / EMA averaging) with `torch.optim.swa_utils`;
# - write the averaging, the vote and an EMA step yourself.
#
# Train the same network twice from two different random initialisations and you get two
# different networks. Their accuracies are almost equal, but they do not make the same
# mistakes: an image that confuses one is often read correctly by the other. An **ensemble** asks
# several networks and combines their answers. The part of each network's error that the others
# do not share partly cancels out, so the ensemble is usually better than any of its members.
# The price is K times the training and K times the work at prediction time.
#
# Random seeds also make single results noisy. One run saying 93.1% and another 93.3% may be
# luck. In this lesson every comparison is reported as **mean ± std over seeds**, and a claim is
# made only when the difference is larger than that spread.

# %%
# %matplotlib inline
import time

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures
from torch.func import functional_call, stack_module_state

from mnist_lab import ensemble, plots
from mnist_lab.claims import expect
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.device import seed_everything
from mnist_lab.ensemble import mean_std
from mnist_lab.metrics import evaluate, predict, predict_proba
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig, lr_at
from mnist_lab.train import Callback, TrainConfig, fit

splits = load_splits(val_size=10_000)  # 50,000 train, 10,000 validation, pixels / 255
keep = stratified_subset(splits.train[1], 10_000)  # 1,000 of each digit: short runs
data = Splits((splits.train[0][keep], splits.train[1][keep]), splits.val)
x_val, y_val = data.val
print(f"training images {tuple(data.train[0].shape)}, validation images {tuple(x_val.shape)}")

NET = MLPConfig(sizes=(784, 100, 10), hidden_activation="relu", output_activation="none")
TRAIN = TrainConfig(epochs=3, batch_size=128, loss="cross_entropy",
                    optim=OptimConfig("sgd", lr=0.1, momentum=0.9))


def make_model(seed):
    """A fresh 784→100→10 network whose initial weights depend only on `seed`."""
    seed_everything(seed)
    return MLP(NET)


def val_accuracy(predictions):
    """The fraction of validation images whose predicted class is right."""
    return (predictions.to(y_val.device) == y_val).double().mean().item()  # model may be on a GPU


def show(name, values):
    """Print one result as mean ± std over the runs in `values`."""
    mean, std = mean_std(values)
    print(f"{name:<28} {mean:.2%} ± {std:.2%}  ({len(values)} runs)")

# %% [markdown]
# ## 1 · K networks as one computation
#
# The plan: three ensembles of K = 5 networks each, 15 networks in all, every one 784→100→10
# with ReLU, trained for 3 epochs with SGD and momentum. The networks differ only by the seed of
# their initial weights. They see the same mini-batches in the same order.
#
# Training them one after the other works, but each network is small. A mini-batch step of a
# 784→100→10 network is a few small matrix products plus a few dozen tiny operations, and on a
# CPU (and even more on a GPU) much of the time goes into the overhead of launching each
# operation, not into arithmetic. Fifteen networks of *one architecture* can share that overhead:
#
# 1. **Stack** the networks' parameters: `torch.func.stack_module_state(models)` turns the 15
#    weight matrices of shape (100, 784) into one tensor of shape (15, 100, 784), and so on for
#    every parameter.
# 2. **Call the network as a function** of its parameters: `torch.func.functional_call(net,
#    params, (x,))` runs `net`'s forward pass with the weights in `params` instead of its own.
# 3. **Vectorise** that call over the new leading axis with `torch.vmap`: one call computes all
#    15 networks' outputs, shape (15, B, 10), as a few batched matrix products.
#
# Here is that forward pass on its own, checked against the networks' own outputs:

# %%
demo = [make_model(seed) for seed in range(3)]
params, _ = stack_module_state(demo)  # name → tensor with a leading axis of 3
print({name: tuple(p.shape) for name, p in params.items()})
template = make_model(0).to("meta")  # the structure only; the weights come from `params`


def one_network(member_params, x):
    return functional_call(template, member_params, (x,))


xb = data.train[0][:128]  # one mini-batch (128, 784)
outputs = torch.vmap(one_network, in_dims=(0, None))(params, xb)  # params batched, x shared
print(f"all three networks at once: {tuple(outputs.shape)}")
for k, model in enumerate(demo):
    assert torch.allclose(outputs[k], model(xb), atol=1e-5)  # the same as each network alone

# %% [markdown]
# Training works the same way. The loss is the **sum** of the K networks' mean losses. Network
# k's weights appear only in its own term, so `backward()` gives each network exactly its own
# gradient. One optimiser then steps the stacked tensors. SGD (and Adam too) updates each number
# on its own, so one optimiser over the stacked tensors *is* K independent optimisers.
# `mnist_lab.ensemble.train_stacked(models, data, config)` does this with the same mini-batches,
# learning rate schedule and optimiser as `fit`, and copies the trained weights back into the K
# networks at the end.
#
# First, 5 networks trained separately with `fit`, one after the other, and timed. Then all 15
# networks, seeds 0 to 14, in one stacked run. Seeds 0–4 are in both, so we can check that the
# stacked run trains exactly the same networks.

# %%
# Warm-up, untimed: the first run in a fresh kernel pays one-time costs (lazy imports, memory,
# vmap's first trace) that would otherwise be charged to whichever method is timed first.
WARM = TrainConfig(epochs=1, batch_size=128, loss="cross_entropy",
                   optim=OptimConfig("sgd", lr=0.1, momentum=0.9))
small = (data.train[0][:512], data.train[1][:512])
fit(make_model(0), small, WARM)
ensemble.train_stacked([make_model(0), make_model(1)], small, WARM)

start = time.perf_counter()
separate = []
for seed in range(5):
    model = make_model(seed)
    fit(model, data.train, TRAIN)
    separate.append(model)
separate_s = time.perf_counter() - start

start = time.perf_counter()
members = ensemble.train_stacked([make_model(seed) for seed in range(15)], data.train, TRAIN)
stacked_s = time.perf_counter() - start

per_separate, per_stacked = separate_s / 5, stacked_s / 15
print(f"5 separate runs: {separate_s:.1f} s, or {per_separate:.2f} s per network")
print(f"15 stacked networks: {stacked_s:.1f} s, or {per_stacked:.2f} s per network: "
      f"{per_separate / per_stacked:.1f}× faster per network")

largest = max((a - b).abs().max().item() for m1, m2 in zip(separate, members[:5])
              for a, b in zip(m1.parameters(), m2.parameters()))
agree = min((predict(a, x_val) == predict(b, x_val)).double().mean().item()
            for a, b in zip(separate, members[:5]))
print(f"stacked and separate weights agree to within 0.1: {largest < 0.1}; "
      f"the same prediction on at least 99% of the validation images: {agree >= 0.99}")
expect(largest < 0.1 and agree >= 0.99,
       "stacked and separate training give the same networks, up to float rounding",
       f"largest weight difference {largest:.2g}, predictions agree on {agree:.2%}",
       "float rounding differs between batched and single kernels (more so on a GPU), and a "
       "higher learning rate or more steps lets those tiny differences grow")

# %% [markdown]
# The stacked run trains the same networks as the separate runs, up to rounding: the batched
# matrix products add the same numbers in a different order, so the first steps differ in the
# last digits. SGD with momentum at this learning rate then lets those differences grow: after
# 240 steps the largest weight difference on the course's CPU was about 0.03 (weights are around
# 0.1 in size), and about 99.5% of the 10,000 validation predictions were the same. A GPU's
# kernels round differently again. The check asks for what holds on both: weights within 0.1
# and the same prediction on at least 99% of the images. Identical to the last bit is never the
# promise; the same training up to rounding is.
#
# The speed-up depends on the machine. On a CPU it is modest: it comes from doing one call where
# `fit` makes fifteen, while each network's matrix products are already big enough to keep
# the cores busy (on a 2-core CPU, `benchmarks/bench_ensemble.py` measured 1.15× for K = 5
# and 1.34× for K = 10; run it on yours). On a GPU a single small network leaves most of the
# chip idle, and stacking fills it, so the gain grows with K.
#
# There are limits. The networks must share one architecture. BatchNorm's running statistics
# are updated in place during training, which `vmap` cannot do for 15 networks at once, so
# `train_stacked` refuses models with buffers. Gradient clipping by the global norm is per
# network too, so it is not supported either.

# %% [markdown]
# ## 2 · Averaging and voting
#
# Two ways to combine the members' answers for an image:
# - **averaging**: take the mean of the K probability vectors, then the argmax. A member that is
#   sure of its answer counts for more than one that hesitates.
# - **voting**: each member names its class (its argmax), and the class with the most votes wins.
#   A tie needs a rule; `mnist_lab.ensemble.vote` gives it to the smallest tied class, so the
#   answer never depends on the order of the members.
#
# `ensemble.average_probs(models, x)` and `ensemble.vote(models, x)` do each. Each of our three
# ensembles gets both, and each of the 15 networks is also scored on its own:

# %%
groups = [members[5 * g:5 * g + 5] for g in range(3)]  # three ensembles of 5
singles = [evaluate(model, x_val, y_val)["acc"] for model in members]
probs = [[predict_proba(model, x_val) for model in group] for group in groups]  # 3 × 5 × (N, 10)
preds = [[p.argmax(dim=1) for p in group] for group in probs]
averaged = [val_accuracy(ensemble.average_probs(group, x_val).argmax(dim=1)) for group in groups]
voted = [val_accuracy(ensemble.vote(group, x_val)) for group in groups]
show("single network", singles)
show("average of 5 networks", averaged)
show("vote of 5 networks", voted)

single_mean, single_std = mean_std(singles)
beats_best = sum(averaged[g] > max(singles[5 * g:5 * g + 5]) for g in range(3))
avg_minus_vote = mean_std([a - v for a, v in zip(averaged, voted)])  # paired: same members
print(f"averaged ensembles that beat their best member: {beats_best} of 3; average − vote: "
      f"{avg_minus_vote[0]:+.2%} ± {avg_minus_vote[1]:.2%}")
WHY = ("fewer seeds, other settings or a longer training change the spread between networks; "
       "with less disagreement between members an ensemble has less to gain")
expect(0.91 < single_mean < 0.95, "a single network reaches 91–95%", f"{single_mean:.2%}", WHY)
expect(mean_std(averaged)[0] > single_mean + 2 * single_std,
       "averaging beats the mean single network by more than two seed-to-seed std",
       f"{mean_std(averaged)[0]:.2%} vs {single_mean:.2%} ± {single_std:.2%}", WHY)
expect(mean_std(voted)[0] > single_mean + single_std,
       "voting beats the mean single network by more than one seed-to-seed std",
       f"{mean_std(voted)[0]:.2%} vs {single_mean:.2%} ± {single_std:.2%}", WHY)
expect(beats_best >= 2, "most averaged ensembles beat even their best member",
       f"{beats_best} of 3", WHY)

# %% [markdown]
# Both kinds of ensemble beat the average single network by more than the seed-to-seed spread of
# the single networks (averaging by more than two standard deviations), and an averaged ensemble
# usually beats even its own best member. Averaging against voting is a different matter: the
# paired difference (the same five members, combined both ways) is a tenth of a point or so,
# about as large as its own spread over the three ensembles. That is **within noise**: on these
# numbers we cannot say that one beats the other. The usual advice still prefers averaging,
# because it uses how sure each member is, where a vote throws that away.
#
# How many members are worth it? The next figure adds the members one at a time. Each point is
# the mean over the three ensembles, and the bars show ± one standard deviation.

# %%
sizes = range(1, 6)
by_size = {"average": [], "vote": []}
for k in sizes:
    avg_k = [val_accuracy(ensemble.mean_probs(group[:k]).argmax(dim=1)) for group in probs]
    vote_k = [val_accuracy(ensemble.majority_vote(group[:k], num_classes=10)) for group in preds]
    by_size["average"].append(mean_std(avg_k))
    by_size["vote"].append(mean_std(vote_k))

expect(by_size["average"][-1][0] > by_size["average"][0][0], "5 averaged members beat 1",
       f"{by_size['average'][-1][0]:.2%} vs {by_size['average'][0][0]:.2%}", WHY)
expect(by_size["vote"][1][0] <= by_size["vote"][0][0] + single_std,
       "two voters are no better than one, beyond the seed-to-seed spread",
       f"{by_size['vote'][1][0]:.2%} vs {by_size['vote'][0][0]:.2%}",
       "every tie between two voters goes to the smaller class, which is right only by chance")

fig = Figure(figsize=(7, 4), layout="constrained")
ax = fig.subplots()
for offset, (name, values) in zip((-0.05, 0.05), by_size.items()):
    means, stds = np.array(values).T
    ax.errorbar(np.array(sizes) + offset, means, yerr=stds, marker="o", capsize=3, label=name)
ax.axhline(single_mean, color="grey", linestyle="--", label="mean single network")
ax.set_xticks(list(sizes))
ax.set_xlabel("members in the ensemble (K)")
ax.set_ylabel("validation accuracy")
ax.grid(True, alpha=0.3)
ax.legend()
fig

# %% [markdown]
# Averaging gains from the second member on, and most of the gain comes from the first few
# members: each new one has less left to correct. Voting with *two* members is no better than
# one: when they disagree, the tie goes to the smaller class, which is right only by chance.
# Votes need an odd number of voters, or many of them.

# %% [raw]
# # BEGIN QUESTION
# name: q1_ensemble_average
# points: 1

# %% [markdown]
# **Exercise 1 · averaging.** Write `ensemble_average(prob_list)`. `prob_list` is a list of K
# tensors, each (N, C): the probabilities of one member for N images. Return their mean, one
# tensor (N, C). The check compares your function with `mnist_lab.ensemble.mean_probs`, values
# and gradients.

# %% [raw]
# # BEGIN SOLUTION

# %%
def ensemble_average(prob_list):
    """The mean (N, C) of K members' probabilities, each (N, C)."""
    # BEGIN SOLUTION
    return torch.stack(prob_list).mean(dim=0)  # (K, N, C) → (N, C)
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_ensemble_average_matches_reference(ensemble_average):
    import torch

    from mnist_lab import checks, ensemble

    gen = torch.Generator().manual_seed(0)
    probs = [torch.rand(4, 10, generator=gen).softmax(dim=1) for _ in range(3)]
    checks.check_function(ensemble_average, ensemble.mean_probs, [(probs,)],
                          name="ensemble_average",
                          hint="stack the K tensors into (K, N, C) and take the mean over dim 0")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_ensemble_average_one_member_and_float64(ensemble_average):
    import torch

    from mnist_lab import checks, ensemble

    gen = torch.Generator().manual_seed(1)
    one = [torch.rand(5, 10, generator=gen)]  # K = 1: the member itself
    doubles = [torch.rand(1, 3, generator=gen, dtype=torch.float64) for _ in range(7)]
    checks.check_function(ensemble_average, ensemble.mean_probs, [(one,), (doubles,)],
                          name="ensemble_average", atol=1e-12, rtol=1e-10, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2_majority_vote
# points: 2

# %% [markdown]
# **Exercise 2 · the vote.** Write `majority_vote(pred_list, num_classes=10)`. `pred_list` is a
# list of K int64 tensors, each (N,): the class each member predicts for N images. Return an int64
# tensor (N,) with the class that most members chose for each image. When classes tie, return the
# **smallest** of the tied classes. For example, with the three members' predictions `[2, 4]`,
# `[1, 4]` and `[0, 9]`, the first image is a three-way tie (answer 0) and the second goes to 4.
# `torch.nn.functional.one_hot` counts votes without a loop over images, and `argmax` returns the
# first of equal maxima. The check compares with `mnist_lab.ensemble.majority_vote`.

# %% [raw]
# # BEGIN SOLUTION

# %%
def majority_vote(pred_list, num_classes=10):
    """The class (N,) most members predict; a tie goes to the smallest tied class."""
    # BEGIN SOLUTION
    preds = torch.stack(pred_list)  # (K, N)
    votes = torch.nn.functional.one_hot(preds, num_classes).sum(dim=0)  # (N, C) vote counts
    return votes.argmax(dim=1)  # the first maximum: the smallest tied class
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_majority_vote_on_examples(majority_vote):
    import torch

    from mnist_lab import checks, ensemble

    preds = [torch.tensor([2, 4, 3, 7]), torch.tensor([1, 4, 3, 7]), torch.tensor([0, 9, 5, 1])]
    gen = torch.Generator().manual_seed(1)
    two = [torch.randint(0, 10, (30,), generator=gen) for _ in range(2)]  # ties everywhere
    # dtype int64: the prompt asks for class indices as int64
    checks.check_function(majority_vote, ensemble.majority_vote, [(preds, 10), (two, 10)],
                          name="majority_vote", grad=False, dtype=torch.int64,
                          hint="count the votes per class for each image, e.g. one_hot(...)"
                               ".sum(dim=0), then take the argmax; a tie goes to the smallest "
                               "class")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_majority_vote_ties_and_one_member(majority_vote):
    import torch

    from mnist_lab import checks, ensemble

    gen = torch.Generator().manual_seed(0)
    two = [torch.randint(0, 10, (50,), generator=gen) for _ in range(2)]  # ties everywhere
    four = [torch.randint(0, 3, (40,), generator=gen) for _ in range(4)]  # 2–2 ties, 3 classes
    cases = [([torch.tensor([6, 0, 9])],), (two,), (two[::-1],),
             {"args": (four,), "kwargs": {"num_classes": 3}}]
    checks.check_function(majority_vote, ensemble.majority_vote, cases, name="majority_vote",
                          grad=False, dtype=torch.int64, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3 · A snapshot ensemble from one run
#
# Fifteen networks cost fifteen trainings. A **snapshot ensemble** gets several members out of a
# single run. It uses the **cyclic** schedule of `mnist_lab.schedules` (lesson 10): the learning
# rate falls along a cosine to nearly zero and then jumps back up, again and again. At the end of
# each cycle, where the rate is lowest, the network has settled into a minimum: we keep a copy, a
# *snapshot*. The jump back up then throws it out again, towards a different minimum.
#
# The `ensemble.Snapshots(every=...)` callback keeps a copy of the model every `every` steps; with
# `every` equal to the cycle length that is one snapshot at the end of each cycle. Each run has 4
# cycles of 3 epochs each, from a high base rate of 0.5 so that each restart moves the network
# well away. To keep the 12 epochs short, the runs use 5,000 of the training images. Three runs,
# three seeds:

# %%
few = stratified_subset(splits.train[1], 5_000)  # 500 of each digit
small = (splits.train[0][few], splits.train[1][few])
CYCLE = 3 * -(-len(few) // 128)  # 3 epochs of 40 mini-batches: 120 steps
CYCLES = 4
cyclic = ScheduleConfig("cyclic", cycle_steps=CYCLE)
snapshot_train = TrainConfig(epochs=3 * CYCLES, batch_size=128, loss="cross_entropy",
                             optim=OptimConfig("sgd", lr=0.5, momentum=0.9), schedule=cyclic)
snapshot_runs = []
for seed in range(3):
    snapshots = ensemble.Snapshots(every=CYCLE)
    fit(make_model(100 + seed), small, snapshot_train, callbacks=[snapshots])
    snapshot_runs.append(snapshots.models)  # 4 networks from one run
assert all(len(run) == CYCLES for run in snapshot_runs)

snapshot_acc = [[evaluate(m, x_val, y_val)["acc"] for m in run] for run in snapshot_runs]
final_snapshot = [accs[-1] for accs in snapshot_acc]  # what the run gives as a single model
snapshot_ensemble = [val_accuracy(ensemble.average_probs(run, x_val).argmax(dim=1))
                     for run in snapshot_runs]
show("final snapshot", final_snapshot)
show("snapshot ensemble (4)", snapshot_ensemble)


def disagreement(models):
    """The mean fraction of validation images on which two of the models disagree."""
    labels = [predict(m, x_val) for m in models]
    pairs = [(a != b).double().mean().item()
             for i, a in enumerate(labels) for b in labels[i + 1:]]
    return sum(pairs) / len(pairs)


snap_disagree = np.mean([disagreement(run[1:]) for run in snapshot_runs])
independent_disagree = np.mean([disagreement(group) for group in groups])
print(f"pairs of networks disagree on {snap_disagree:.1%} of the images (last 3 snapshots of a "
      f"run) and on {independent_disagree:.1%} (independent networks of section 2)")

snapshot_gain = mean_std([e - f for e, f in zip(snapshot_ensemble, final_snapshot)])  # paired
independent_gain = mean_std(averaged)[0] - single_mean
print(f"gain over the final snapshot: {snapshot_gain[0]:+.2%} ± {snapshot_gain[1]:.2%} (paired, "
      f"3 runs); section 2's ensembles over a single network: {independent_gain:+.2%}")
expect(sum(e > f for e, f in zip(snapshot_ensemble, final_snapshot)) >= 2 and snapshot_gain[0] > 0,
       "the snapshot ensemble beats its own final snapshot, on average and in most runs",
       f"paired gain {snapshot_gain[0]:+.2%} ± {snapshot_gain[1]:.2%}", WHY)
expect(snap_disagree > independent_disagree,
       "the snapshots of a run disagree more often than independent networks",
       f"{snap_disagree:.1%} vs {independent_disagree:.1%}",
       "a lower restart rate (try 0.1) sends each cycle less far, so the snapshots agree more")

# %%
steps = np.arange(CYCLES * CYCLE)  # every step of a run
fig = Figure(figsize=(12, 4), layout="constrained")
axes = fig.subplots(1, 2)
axes[0].plot(steps, [lr_at(cyclic, 0.5, int(s), len(steps)) for s in steps])
ends = np.arange(1, CYCLES + 1) * CYCLE - 1
axes[0].plot(ends, [lr_at(cyclic, 0.5, int(s), len(steps)) for s in ends], "o", color="C3",
             label="snapshot")
axes[0].set_xlabel("step")
axes[0].set_ylabel("learning rate")
axes[0].set_title("the cyclic schedule")
axes[0].legend()
for g, accs in enumerate(snapshot_acc):
    so_far = [val_accuracy(ensemble.average_probs(snapshot_runs[g][:k + 1], x_val).argmax(1))
              for k in range(CYCLES)]
    axes[1].plot(range(1, CYCLES + 1), accs, "o--", color=f"C{g}", alpha=0.6,
                 label=f"seed {g}: snapshot k alone")
    axes[1].plot(range(1, CYCLES + 1), so_far, "o-", color=f"C{g}",
                 label=f"seed {g}: ensemble of snapshots 1..k")
axes[1].set_xticks(range(1, CYCLES + 1))
axes[1].set_xlabel("snapshot k (end of cycle k)")
axes[1].set_ylabel("validation accuracy")
axes[1].legend(fontsize=7)
for ax in axes:
    ax.grid(True, alpha=0.3)
fig

# %% [markdown]
# The snapshots tend to improve from cycle to cycle, since training is still making progress. Yet
# after the last cycle the ensemble of the four snapshots beats the final snapshot alone, on
# average and in most runs, at no extra training cost: four members for the price of one run.
# Its gain over the single final network is of the same order as the gain of section 2's
# ensembles of five independent networks (with three runs each, their difference is within
# noise: do not read a ranking into it). The settings differ (half the training images, a five
# times higher rate), so this is no clean race, but the reason is visible: an ensemble gains
# only where its
# members disagree, and the high restart rate sends each cycle to a network that disagrees with
# the others at least as often as independently trained networks do. What would a gentle restart
# rate, such as 0.1, do to the disagreement and to the gain? Try it.

# %% [markdown]
# ## 4 · Averaging the weights: EMA
#
# An ensemble of K networks costs K forward passes for every prediction. Can we average the
# *weights* instead, and keep one network? Not for independent networks: their hidden units can
# come in any order, so unit 7 of one network has nothing to do with unit 7 of another, and the
# average of their weights is no network at all. But the successive weights of *one* run are
# related. With a high learning rate the weights do not settle at the bottom of the valley; they
# bounce from one side to the other. Their average lies closer to the bottom than most of them.
#
# This is **Polyak averaging**. Its usual form is the **exponential moving average** (EMA), kept
# alongside training and updated after every step:
#
# ```
# avg ← decay · avg + (1 − decay) · weights          e.g. decay = 0.98
# ```
#
# With decay 0.98 the average remembers roughly the last 1 / (1 − 0.98) = 50 steps.
# `torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.98))` keeps such
# a copy; `ensemble.EMA(decay)` is a `fit` callback that calls its `update_parameters` after every
# step. (A model with BatchNorm would also need its running statistics recomputed for the averaged
# weights, with `swa_utils.update_bn`; our networks have none.)
#
# Three runs at a deliberately high, constant learning rate of 0.5, each with an EMA. A second
# small callback scores both the current weights and the EMA every 20 steps on 2,000 validation
# images, to draw the curves.

# %%
class TrackEMA(Callback):
    """Every 20 steps, the accuracy of the current and the averaged weights on 2,000 images."""

    def __init__(self, ema):
        self.ema, self.steps, self.raw, self.averaged = ema, [], [], []

    def on_step_end(self, state):
        if state.step % 20 == 0:
            self.steps.append(state.step)
            self.raw.append(evaluate(state.model, x_val[:2000], y_val[:2000])["acc"])
            self.averaged.append(evaluate(self.ema.model, x_val[:2000], y_val[:2000])["acc"])


high_lr = TrainConfig(epochs=3, batch_size=128, loss="cross_entropy",
                      optim=OptimConfig("sgd", lr=0.5, momentum=0.9))
final_weights, ema_weights, tracks = [], [], []
for seed in range(3):
    model, ema = make_model(200 + seed), ensemble.EMA(decay=0.98)
    track = TrackEMA(ema)
    fit(model, data.train, high_lr, callbacks=[ema, track])  # EMA first: it updates, then we look
    final_weights.append(evaluate(model, x_val, y_val)["acc"])
    ema_weights.append(evaluate(ema.model, x_val, y_val)["acc"])
    tracks.append(track)
show("final weights, lr 0.5", final_weights)
show("EMA of the weights", ema_weights)
ema_gain = [e - f for e, f in zip(ema_weights, final_weights)]  # paired: the same run
show("EMA − final (paired)", ema_gain)
expect(mean_std(ema_gain)[0] > 0 and sum(g > 0 for g in ema_gain) >= 2,
       "the EMA beats the final weights on average and in most runs",
       f"paired gains {[f'{g:+.2%}' for g in ema_gain]}",
       "at a lower learning rate the weights bounce less, so there is less for averaging to "
       "smooth out; with decay close to 1 the average also remembers the early, worse weights")

# %%
fig = Figure(figsize=(8, 4), layout="constrained")
ax = fig.subplots()
for g, track in enumerate(tracks):
    ax.plot(track.steps, track.raw, color=f"C{g}", alpha=0.5, label=f"seed {g}: current weights")
    ax.plot(track.steps, track.averaged, color=f"C{g}", linewidth=2.5,
            label=f"seed {g}: EMA (decay 0.98)")
ax.set_xlabel("step")
ax.set_ylabel("accuracy on 2,000 validation images")
ax.set_ylim(0.8, 0.95)
ax.grid(True, alpha=0.3)
ax.legend(fontsize=8, ncol=2, loc="lower right")
fig

# %% [markdown]
# The current weights jump by several points between checks: at this learning rate every step
# overshoots. After the first few checks the EMA of the same run follows a smoother curve above
# them, and at the end it beats the final weights on average by about a point, more than the
# spread of the paired gains; how much in a single run depends on where the last step happened
# to land, so one run may gain little. That
# costs one extra copy of the weights and one cheap update per step, and at prediction time it is
# a single network.
#
# EMA does much of what a decaying schedule does (lesson 10) without choosing one, which is why it
# is common in large training runs. **SWA** (stochastic weight averaging,
# `torch.optim.swa_utils.SWALR`) is its cousin: an equal-weight average of the weights taken at
# the end of each cycle of a cyclic schedule, the snapshots of section 3 averaged as weights
# instead of as predictions.

# %% [raw]
# # BEGIN QUESTION
# name: q3_ema_update
# points: 1

# %% [markdown]
# **Exercise 3 · one EMA step.** Write `ema_update(avg, new, decay)`: the new moving average
# `decay · avg + (1 − decay) · new` of the tensors `avg` and `new`. Return a new tensor and
# leave both inputs unchanged. The check compares with `torch.lerp(avg, new, 1 − decay)`, the
# operation `torch.optim.swa_utils.get_ema_multi_avg_fn` applies to every parameter.

# %% [raw]
# # BEGIN SOLUTION

# %%
def ema_update(avg, new, decay):
    """One step of an exponential moving average: decay·avg + (1 − decay)·new."""
    # BEGIN SOLUTION
    return decay * avg + (1 - decay) * new
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_ema_update_matches_reference(ema_update):
    import torch

    from mnist_lab import checks
    from mnist_lab.ensemble import ema_update as reference

    gen = torch.Generator().manual_seed(0)
    avg, new = torch.randn(3, 4, generator=gen), torch.randn(3, 4, generator=gen)
    # grad=False: the prompt asks for values only, so an update under torch.no_grad() passes
    checks.check_function(ema_update, reference, [(avg, new, 0.9), (avg, new, 0.99)],
                          name="ema_update", grad=False,
                          hint="decay * avg + (1 - decay) * new, as a new tensor (no +=): "
                               "decay is the weight of the OLD average")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_ema_update_extreme_decays_and_float64(ema_update):
    import torch

    from mnist_lab import checks
    from mnist_lab.ensemble import ema_update as reference

    gen = torch.Generator().manual_seed(1)
    avg = torch.randn(5, generator=gen, dtype=torch.float64)
    new = torch.randn(5, generator=gen, dtype=torch.float64)
    # decay 0 takes the new weights, decay 1 keeps the average; a 0-d tensor too
    cases = [(avg, new, 0.0), (avg, new, 1.0), (avg, new, 0.999),
             (torch.tensor(2.0), torch.tensor(-1.0), 0.5)]
    # float64: atol 1e-12, rtol 1e-10 allow lerp, avg + (1 - decay)·(new − avg) and the rest
    checks.check_function(ema_update, reference, cases, name="ema_update", grad=False,
                          atol=1e-12, rtol=1e-10, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - An **ensemble** combines networks that make different mistakes. **Averaging** their
#   probabilities uses how sure each one is; **voting** counts only their answers and needs a
#   tie rule (here: the smallest class). Five networks usually beat their own best member;
#   averaging and voting were within noise of each other here.
# - Report results as **mean ± std over seeds**, and trust a difference only when it is larger
#   than the spread.
# - Networks of one architecture can be trained as **one batched computation**: stack their
#   parameters (`torch.func.stack_module_state`), run the forward pass with `torch.vmap` over
#   `torch.func.functional_call`, sum the losses, and step one optimiser. The result equals
#   separate runs up to float rounding, and it is faster (`ensemble.train_stacked`).
# - A **snapshot ensemble** takes its members from one run with a cyclic learning rate, one at the
#   end of each cycle. With a high restart rate its members disagree enough to gain as much as
#   independent networks here, for the cost of one run.
# - **EMA (Polyak) averaging** of one run's weights keeps a single network and smooths out the
#   bouncing of a high learning rate: it beat the final weights on average over three seeds.
