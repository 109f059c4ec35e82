# %% [raw]
# # ASSIGNMENT CONFIG
# name: 05_normalisation
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 05 · Normalisation: keeping signals in range
#
# **You will learn to**
# - measure the signals inside a network, layer by layer, with `mnist_lab.inspect`;
# - explain why sigmoid outputs squeezed into a narrow band starve the layer that reads them;
# - say what **LayerNorm** does, per sample: subtract the mean of its features, divide by their
#   standard deviation, then scale and shift with two learned vectors;
# - write the LayerNorm forward pass yourself and check it, values and gradients, against PyTorch;
# - measure the book's "layernorm" row: the baseline plus one LayerNorm, about 87% → 91%.
#
# Lessons 03 and 04 fixed the book's baseline by changing the activation and then the optimiser.
# This lesson keeps everything of the baseline, sigmoid activations, MSE loss and plain SGD, and
# adds a single layer that keeps the signals passing through the network in a useful range. The
# book places it after the hidden sigmoid:
#
# `Linear(784, 200) → Sigmoid → LayerNorm(200) → Linear(200, 10) → Sigmoid`

# %%
# %matplotlib inline
import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures
from torch import nn

from mnist_lab import claims, inspect
from mnist_lab.book import BOOK_ROWS, load_book_data, rows_over_seeds, train_book_row
from mnist_lab.device import get_device, seed_everything
from mnist_lab.models import MLP

device = get_device()
data = load_book_data(device)  # pixels / 255, file order: the book's inputs
probe = data.x_test[:1000]  # (1000, 784): the images we look at the signals with
SIGNALS = (nn.Linear, nn.Sigmoid, nn.LayerNorm)  # the layers whose outputs we record

# %% [markdown]
# ## 1 · The signals of a fresh network
#
# `inspect.layer_outputs(model, x, types)` runs one forward pass and keeps the output of every
# layer of the given types, keyed by its name in the model. `hidden.0.linear` is the hidden
# layer's weighted sum, `hidden.0.act` its sigmoid, `hidden.0.norm` the LayerNorm, and `out` the
# output layer's weighted sum before its own sigmoid. We build both networks exactly as
# `train_book_row` does, from seed 0, and send 1,000 test images through them untrained.

# %%
seed_everything(0)
fresh = MLP(BOOK_ROWS["baseline"].mlp).to(device)  # the baseline's initial weights
seed_everything(0)
fresh_ln = MLP(BOOK_ROWS["layernorm"].mlp).to(device)  # the same weights, plus a LayerNorm
print(fresh_ln)

signals = inspect.layer_outputs(fresh_ln, probe, SIGNALS)  # name -> (1000, width)
hidden = signals["hidden.0.act"].cpu()  # (1000, 200): sigmoid outputs
normed = signals["hidden.0.norm"].cpu()  # (1000, 200): the same after LayerNorm
# Two decimals at most: the last digits of a float32 forward pass differ between CPU and GPU.
print(f"sigmoid outputs: {hidden.min():.1f} to {hidden.max():.1f}, mean {hidden.mean():.2f}, "
      f"std {hidden.std():.2f}")
print(f"after LayerNorm: {normed.min():.0f} to {normed.max():.0f}; per image: largest |mean| "
      f"{normed.mean(dim=1).abs().max():.2f}, std {normed.std(dim=1).mean():.1f}")
why = "the band depends on the initial weights: larger ones (another init) widen it"
claims.expect(0.49 < hidden.mean() < 0.52 and hidden.std() < 0.06,
              "the sigmoid outputs sit in a narrow band around 0.5",
              f"mean {hidden.mean():.3f}, std {hidden.std():.3f}", why)
claims.expect(hidden.min() > 0.2 and hidden.max() < 0.8, "every hidden value lies within 0.2..0.8",
              f"{hidden.min():.2f} to {hidden.max():.2f}", why)
assert abs(normed.mean()) < 0.01 and 0.95 < normed.std() < 1.05  # LayerNorm's definition

# %% [markdown]
# The hidden layer's weighted sums are small at the start (PyTorch's default initial weights are
# at most 1/√784 ≈ 0.036 in size). The sigmoid maps them all into a narrow band around 0.5:
# every one of the 200 hidden values, for every image, lies between about 0.27 and 0.70.
#
# The output layer has to tell the digits apart from these 200 numbers. Write each hidden value
# as `0.5 + δ`, where δ is a small deviation. Then each output's weighted sum is
# `0.5·Σw + b + Σw·δ`. The first part is the same for every image. Only `Σw·δ` says which
# image the network is looking at, and with δ this small that part is tiny. The output layer is
# starved: almost all of its input is a constant it cannot learn from. Its weight gradients,
# `error × hidden value`, suffer in the same way: about 0.5 of every hidden value is that
# constant, so most of each update pushes all of a unit's weights the same way, whatever the image.
#
# **LayerNorm** fixes this for each sample separately. It takes the 200 hidden values of one
# image, subtracts their mean and divides by their standard deviation, so the constant 0.5 is
# removed and the small deviations are stretched to a spread of 1. Then a learned scale `weight`
# and shift `bias`, one of each per feature and starting at 1 and 0, let the network choose the
# range it prefers. Here is one image's 200 hidden values, before and after:

# %%
record = 19  # test image 19, a "4": the record the book looks at
fig = Figure(figsize=(12, 3.4), layout="constrained")
left, middle, right = fig.subplots(1, 3, width_ratios=[1.4, 1.4, 1])
left.bar(range(200), hidden[record], width=1.0, color="C0")
left.set_ylim(0, 1)
left.set_title(f"test image {record}: 200 sigmoid outputs")
middle.bar(range(200), normed[record], width=1.0, color="C1")
middle.set_ylim(-4, 4)
middle.set_title("the same 200 values after LayerNorm")
for ax in (left, middle):
    ax.set_xlabel("hidden unit")
bins = np.linspace(-4, 4, 81)
right.hist(hidden.flatten(), bins=bins, alpha=0.7, label="sigmoid outputs")
right.hist(normed.flatten(), bins=bins, alpha=0.7, label="after LayerNorm")
right.set_title("all 1,000 images")
right.set_yticks([])
right.legend(fontsize=8)
fig

# %% [markdown]
# How much does the output layer's weighted sum change from one image to the next? Below is its
# standard deviation across the 1,000 images, averaged over the 10 outputs, for the two fresh
# networks. They have identical weights: the LayerNorm is the only difference.

# %%
def spread_across_images(model: nn.Module) -> float:
    """Std over the probe images of the output layer's weighted sum, averaged over outputs."""
    out = inspect.layer_outputs(model, probe)["out"]  # (1000, 10), before the output sigmoid
    return out.std(dim=0).mean().item()


plain, normalised = spread_across_images(fresh), spread_across_images(fresh_ln)
print(f"image-to-image spread of the output sums: baseline {plain:.3f}, "
      f"with LayerNorm {normalised:.3f}")
print(f"ratio: {normalised / plain:.0f} to 1")
claims.expect_between(normalised / plain, 15, 30, "about twenty times more image-to-image spread "
                      "with LayerNorm", "the ratio depends on the initial weights")

# %% [markdown]
# About twenty times more. Without LayerNorm, the fresh network's outputs barely change from
# image to image, so the first thousands of SGD steps are spent pulling the hidden values apart
# before the output layer can get to work.

# %% [markdown]
# ## 2 · The book's "layernorm" row
#
# Now both networks are trained with the book's protocol: one image per step, file order,
# 3 epochs, MSE loss, SGD with lr 0.01. The LayerNorm adds 400 parameters (its scale and shift)
# to the 159,010 of the baseline. Each row trains from three seeds (other initial weights), so
# that the gain can be compared with the spread between seeds.

# %%
SEEDS = (0, 1, 2)
runs, accs = rows_over_seeds(("baseline", "layernorm"), SEEDS, data)  # seed 0's runs; accuracies
for name, acc in accs.items():
    print(f"{name:<9} test accuracy {acc.mean():.1f} ± {acc.std():.1f}% over {len(SEEDS)} seeds "
          f"(the book's code re-run: {runs[name].row.reference_accuracy:.1f}%)")
gain = accs["layernorm"] - accs["baseline"]  # paired by seed: the same initial weights
print(f"LayerNorm's gain, seed by seed: {gain.mean():.1f} ± {gain.std():.1f} points")
claims.expect_between(accs["baseline"].mean().item(), 85.0, 89.0, "the baseline reaches about 87%")
claims.expect_between(accs["layernorm"].mean().item(), 89.5, 92.5,
                      "the layernorm row reaches about 91%")
claims.expect(gain.min() > 2, "one LayerNorm gains about four points, for every seed",
              f"gains {gain.round(decimals=2).tolist()}",
              "another learning rate or loss changes how much the baseline is held back")

# %% [markdown]
# The book notes that with LayerNorm the loss falls much faster. The curves agree. Each line is a
# moving average over 200 recorded losses (2,000 steps) of single training images.

# %%
SMOOTH = 200
fig = Figure(figsize=(10, 3.6), layout="constrained")
ax = fig.subplots()
for name, run in runs.items():
    steps = 10 * np.arange(SMOOTH, len(run.losses) + 1)  # a loss was recorded every 10th step
    trend = np.convolve(run.losses.cpu().numpy(), np.ones(SMOOTH) / SMOOTH, mode="valid")
    ax.plot(steps, trend, label=f"{name}: {run.accuracy:.1f}% (seed 0)")
ax.set_xlabel("step")
ax.set_ylabel(f"MSE loss (mean of {SMOOTH})")
ax.set_ylim(0, 0.1)
ax.grid(True)
ax.legend()

early = {name: run.losses[:500].mean().item() for name, run in runs.items()}  # first 5k steps
print(f"mean loss over the first 5,000 steps: baseline {early['baseline']:.4f}, "
      f"layernorm {early['layernorm']:.4f}")
claims.expect(early["layernorm"] < early["baseline"] / 2,
              "with LayerNorm the loss falls much faster: under half the baseline's early on",
              f"{early['layernorm']:.4f} against {early['baseline']:.4f}",
              "another learning rate changes how fast either network learns")
fig

# %% [markdown]
# ## 3 · The signals after training
#
# The same measurement on the two trained networks. Left: the hidden sigmoid outputs. Middle:
# what the output layer receives, which is those sigmoid outputs for the baseline and the
# LayerNorm's output for the other. Right: the output layer's weighted sums, before its sigmoid.

# %%
trained = {name: inspect.layer_outputs(run.model, probe, SIGNALS) for name, run in runs.items()}
received = {"baseline": trained["baseline"]["hidden.0.act"],
            "layernorm": trained["layernorm"]["hidden.0.norm"]}
panels = (
    ("hidden sigmoid outputs", {n: s["hidden.0.act"] for n, s in trained.items()}),
    ("what the output layer receives", received),
    ("output layer's sums, before its sigmoid", {n: s["out"] for n, s in trained.items()}),
)
fig = Figure(figsize=(12, 3.6), layout="constrained")
for ax, (title, values) in zip(fig.subplots(1, 3), panels):
    for name, v in values.items():
        ax.hist(v.flatten().cpu(), bins=60, alpha=0.6, density=True, label=name)
    ax.set_title(title)
    ax.set_yticks([])
    ax.legend(fontsize=8)

stats = {}  # name -> layer -> {"mean", "std", "min", "max", "saturated"}
for name, run in runs.items():
    stats[name] = {row["layer"]: row for row in inspect.activation_stats(run.model, probe, SIGNALS)}
    hidden_sums, out_sums = stats[name]["hidden.0.linear"], stats[name]["out"]
    print(f"{name:<9} hidden sums: std {hidden_sums['std']:.2f}; "
          f"output sums: {out_sums['min']:.1f} to {out_sums['max']:.1f}")
why = "the trained weights depend on the learning rate, the seed and how long each trains"
base_std, ln_std = (stats[n]["hidden.0.linear"]["std"] for n in ("baseline", "layernorm"))
claims.expect(0.6 < base_std < 1.0 and ln_std < 0.4,
              "the baseline grew its hidden sums to a std of about 0.8; the LayerNorm network did "
              "not need to", f"{base_std:.2f} and {ln_std:.2f}", why)
out_min, out_max = stats["layernorm"]["out"]["min"], stats["layernorm"]["out"]["max"]
claims.expect(out_min < -15 and out_max > 5, "the LayerNorm network's output sums span about "
              "−20 to +8", f"{out_min:.1f} to {out_max:.1f}", why)
spread = {name: received[name].std(dim=1).mean().item() for name in received}  # per image
claims.expect(spread["layernorm"] > 4 * spread["baseline"],
              "the output layer receives far bigger image-specific differences with LayerNorm",
              f"{spread['layernorm']:.2f} against {spread['baseline']:.2f}", why)
fig

# %% [markdown]
# The baseline has learned to spread its sigmoid outputs over the whole range 0 to 1 (left, blue).
# To do that it had to grow its first-layer weights until the hidden sums have a standard
# deviation of about 0.8, and it got there slowly, with lr 0.01. The LayerNorm network never
# needed to: its sigmoid outputs are still fairly narrow (orange), because LayerNorm re-centres
# and re-scales them for every image anyway. Its output layer receives values spread around 0
# (middle), with the image-specific differences at full size, and it has learned weighted sums
# from about −20 to +8 (right). After its sigmoid those are outputs very close to 0 or 1: clear
# answers.
#
# Two properties of LayerNorm matter here:
# - **It works per sample.** The statistics come from one image's 200 features, not from a batch,
#   so it works with the book's batch of one image. BatchNorm, which normalises each feature
#   across a batch, needs many samples per step.
# - **It is differentiable.** The mean and standard deviation are part of the forward pass, so
#   the gradient flows through them, and the learned scale and shift are trained like any weight.

# %% [raw]
# # BEGIN QUESTION
# name: q1_layer_norm
# points: 2

# %% [markdown]
# **Exercise 1 · a LayerNorm forward pass.** Write `layer_norm(x, weight, bias, eps=1e-5)` for an
# input `x` of shape (N, D) and `weight`, `bias` of shape (D,). For every row of `x` separately:
#
# 1. compute the mean μ and the variance σ² of its D values;
# 2. normalise: `x̂ = (x − μ) / √(σ² + eps)`. `eps` keeps the division safe when a row is constant;
# 3. return `weight · x̂ + bias`.
#
# Use torch operations only, so that gradients flow. The check compares values *and* gradients
# with `torch.nn.functional.layer_norm`. Careful: LayerNorm uses the **biased** variance, the
# mean of squared deviations divided by D and not by D − 1. `torch.var` divides by D − 1 unless
# you pass `unbiased=False` (or `correction=0`).

# %% [raw]
# # BEGIN SOLUTION

# %%
def layer_norm(x, weight, bias, eps=1e-5):
    """LayerNorm over the last dimension of x (N, D), with per-feature weight and bias (D,)."""
    # BEGIN SOLUTION
    mean = x.mean(dim=-1, keepdim=True)  # (N, 1): each row's own mean
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # (N, 1): biased variance
    return weight * (x - mean) / torch.sqrt(var + eps) + bias
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_layer_norm_matches_torch(layer_norm):
    import torch
    import torch.nn.functional as F

    from mnist_lab import checks

    def reference(x, weight, bias, eps=1e-5):
        return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 8, generator=gen) * 3 + 1  # rows with a non-zero mean and spread
    weight, bias = torch.randn(8, generator=gen), torch.randn(8, generator=gen)
    checks.check_function(layer_norm, reference,
                          [(x, torch.ones(8), torch.zeros(8)), (x, weight, bias),
                           (0.003 * x, weight, bias),  # a tiny spread: where eps goes matters
                           {"args": (0.003 * x, weight, bias), "kwargs": {"eps": 1e-3}}],
                          name="layer_norm",
                          hint="normalise each ROW: mean and variance over dim=-1 with "
                               "keepdim=True; the variance is biased (divide by D, not D - 1); "
                               "eps goes inside the square root: sqrt(var + eps), with the eps "
                               "you are given")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_layer_norm_batch_of_one_and_other_widths(layer_norm):
    import torch
    import torch.nn.functional as F

    from mnist_lab import checks

    def reference(x, weight, bias, eps=1e-5):
        return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)

    gen = torch.Generator().manual_seed(1)
    cases = []
    for n, d in ((1, 200), (5, 3), (2, 1000)):  # the book's width with a batch of one, and others
        cases.append((torch.rand(n, d, generator=gen), torch.randn(d, generator=gen),
                      torch.randn(d, generator=gen)))
    checks.check_function(layer_norm, reference, cases, name="layer_norm", quiet=True)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_layer_norm_float64_and_eps(layer_norm):
    import torch
    import torch.nn.functional as F

    from mnist_lab import checks

    def reference(x, weight, bias, eps=1e-5):
        return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)

    gen = torch.Generator().manual_seed(2)
    x = torch.randn(3, 6, generator=gen, dtype=torch.float64) * 0.01  # a tiny spread: eps matters
    weight = torch.randn(6, generator=gen, dtype=torch.float64)
    bias = torch.randn(6, generator=gen, dtype=torch.float64)
    checks.check_function(layer_norm, reference,
                          [(x, weight, bias), {"args": (x, weight, bias), "kwargs": {"eps": 1e-3}}],
                          name="layer_norm", quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# PyTorch's `nn.LayerNorm(200)`, the layer inside the book's network, computes exactly this. Its
# `weight` and `bias` are its two learned parameters. Training has moved them away from their start:

# %%
norm = runs["layernorm"].model.hidden[0].norm  # nn.LayerNorm(200) of the trained network
weight, bias = norm.weight.detach().cpu(), norm.bias.detach().cpu()  # (200,) each
print(f"learned scale: {weight.min():.2f} to {weight.max():.2f} (started at 1); "
      f"learned shift: {bias.min():.2f} to {bias.max():.2f} (started at 0)")
claims.expect((weight - 1).abs().max() > 0.05 and bias.abs().max() > 0.05,
              "training moved the scale and shift away from 1 and 0",
              f"largest moves {(weight - 1).abs().max():.3f} and {bias.abs().max():.3f}",
              "a smaller learning rate or fewer steps move them less")

# %% [markdown]
# ## 4 · BatchNorm beside LayerNorm: train mode and eval mode
#
# **BatchNorm** normalises the other way round. It takes one feature, say hidden unit 17, across
# the B samples of the mini-batch, subtracts *their* mean and divides by *their* standard
# deviation, then applies a learned scale and shift per feature, as LayerNorm does. It was the
# first normalisation layer to become standard (Ioffe & Szegedy, 2015) and is everywhere in
# convolutional networks. Its catch: one sample's output now depends on which other samples
# share its batch. So BatchNorm has two modes:
#
# - **training** (`model.train()`): normalise with the batch's mean and variance, and update
#   running averages of them, `running = 0.9·running + 0.1·batch` (PyTorch's `momentum=0.1`);
# - **evaluation** (`model.eval()`): normalise with the running averages, fixed numbers, so each
#   image's prediction depends on that image alone.
#
# The same four images, normalised by a fresh `nn.BatchNorm1d` in a batch with four others and
# in a batch with four different others:

# %%
import copy

from mnist_lab import claims
from mnist_lab.ensemble import mean_std
from mnist_lab.metrics import accuracy
from mnist_lab.models import MLPConfig
from mnist_lab.train import TrainConfig, fit

bn = nn.BatchNorm1d(784).to(device)
four = data.x_test[:4]
with torch.no_grad():
    in_batch_a = bn(torch.cat([four, data.x_test[4:8]]))[:4]  # train mode: batch statistics
    in_batch_b = bn(torch.cat([four, data.x_test[8:12]]))[:4]
    batch = torch.cat([four, data.x_test[4:8]])
    by_formula = ((batch - batch.mean(0)) / torch.sqrt(batch.var(0, unbiased=False) + bn.eps))[:4]
    bn.eval()  # now the running averages, here after just two updates
    eval_a, eval_b = bn(torch.cat([four, data.x_test[4:8]]))[:4], bn(four)
change_train = (in_batch_a - in_batch_b).abs().max().item()
change_eval = (eval_a - eval_b).abs().max().item()
print(f"train mode: the same 4 images' outputs change by up to {change_train:.2f} with the batch")
print(f"eval mode:  they change by {change_eval:.1e}")
claims.expect(torch.allclose(in_batch_a, by_formula, atol=1e-4),
              "in train mode BatchNorm normalises each feature with the batch's mean and biased "
              "variance")
claims.expect(change_train > 0.5 and change_eval < 1e-5,
              "train-mode outputs depend on the rest of the batch, eval-mode outputs do not",
              f"{change_train:.2f} and {change_eval:.1e}")

# %% [markdown]
# `MLPConfig(norm="batch")` puts a `BatchNorm1d` where the book puts its LayerNorm. The training
# loop switches to train mode (`fit` calls `model.train()`), and `mnist_lab.metrics.accuracy`
# switches to eval mode before it predicts. Code that evaluates with a plain
# `model(x).argmax(1)` right after training does **not**: the model is still in train mode. Here
# is what that bug costs. Three networks (three seeds) with a LeakyReLU hidden layer and a
# BatchNorm, trained one epoch on 20,000 images in batches of 64 with Adam, are scored on the
# 10,000 test images four ways: in eval mode (right), and in train mode with shuffled batches of
# 64, with batches of 4 (on 2,000 of the test images), and with batches that each hold one digit
# only (test images sorted by label, as a data set often is on disk). The train-mode runs use a
# copy of each network, because a train-mode forward pass also *overwrites* the running
# averages, a second damage of the same bug.

# %%
BN_CFG = MLPConfig(hidden_activation="leaky_relu", output_activation="none", norm="batch")
BN_SEEDS = (0, 1, 2)


@torch.no_grad()
def train_mode_accuracy(model, order, batch_size):
    """Accuracy (%) when the test set is predicted in train mode, batch by batch in `order`."""
    buggy = copy.deepcopy(model).train()  # the bug: no model.eval(); a copy, so ours stays clean
    correct = 0
    for idx in order.split(batch_size):
        correct += int((buggy(data.x_test[idx]).argmax(1) == data.y_test[idx]).sum())
    return 100 * correct / len(order)


by_label = torch.argsort(data.y_test, stable=True)  # 0s first, then 1s, ...: one-digit batches
ways = ("eval mode", "train mode, shuffled, 64", "train mode, shuffled, 4",
        "train mode, one digit per batch")
bn_acc = {way: [] for way in ways}
for seed in BN_SEEDS:
    seed_everything(seed)
    bn_model = MLP(BN_CFG)
    fit(bn_model, (data.x_train[:20_000], data.y_train[:20_000]),
        TrainConfig(epochs=1, batch_size=64, loss="cross_entropy", seed=seed, progress=False))
    shuffled = torch.randperm(len(data.y_test), generator=torch.Generator().manual_seed(seed))
    shuffled = shuffled.to(device)
    bn_acc["eval mode"].append(100 * accuracy(bn_model, data.x_test, data.y_test))
    bn_acc["train mode, shuffled, 64"].append(train_mode_accuracy(bn_model, shuffled, 64))
    bn_acc["train mode, shuffled, 4"].append(  # on 2,000 images: 500 tiny batches are enough
        train_mode_accuracy(bn_model, shuffled[:2000], 4))
    bn_acc["train mode, one digit per batch"].append(train_mode_accuracy(bn_model, by_label, 64))
bn_summary = {way: mean_std(values) for way, values in bn_acc.items()}
for way, (mean, std) in bn_summary.items():
    print(f"{way:<33} {mean:6.2f} ± {std:.2f}%   (seeds {BN_SEEDS})")

fig = Figure(figsize=(10, 3.4), layout="constrained")
ax = fig.subplots()
ax.bar(range(len(ways)), [m for m, _ in bn_summary.values()],
       yerr=[s for _, s in bn_summary.values()], capsize=6, color=["C2", "C1", "C1", "C3"])
for i, way in enumerate(ways):
    ax.plot([i] * len(BN_SEEDS), bn_acc[way], "k.", zorder=3)
ax.set_xticks(range(len(ways)), [w.replace(", ", ",\n", 1) for w in ways])
ax.set(ylabel="test accuracy (%)", ylim=(0, 100),
       title="one trained BatchNorm network, scored four ways (mean ± std over 3 seeds)")
right, single = bn_summary["eval mode"][0], bn_summary["train mode, one digit per batch"][0]
claims.expect(single < right - 20,
              "predicting one-digit batches in train mode costs tens of points",
              f"{single:.1f}% against {right:.1f}% in eval mode")
claims.expect(bn_summary["train mode, shuffled, 4"][0] < right - 1,
              "tiny train-mode batches cost accuracy",
              f"{bn_summary['train mode, shuffled, 4'][0]:.1f}% against {right:.1f}%")
fig

# %% [markdown]
# With large shuffled batches, train mode is only a little off: a batch of 64 mixed digits has
# statistics close to the running averages. With tiny batches the statistics are noisy, and each
# prediction depends on three other, random images. With one-digit batches the batch mean *is*
# the typical picture of that digit, and subtracting it removes exactly what tells the digit
# apart: most predictions are wrong. (A batch of one in train mode is refused outright:
# `BatchNorm1d` raises "Expected more than 1 value per channel when training".)
#
# So: call `model.eval()` before predicting and `model.train()` before training again, or use
# helpers that do it (`mnist_lab.metrics` and `fit` do). Dropout has the same two modes (lesson
# 12). LayerNorm has no batch statistics and no running averages, which is why it works with
# the book's batch of one image, and why it is the usual choice for sequence models and small
# batches. BatchNorm also needs care inside `vmap`-stacked training (lesson 16), whose
# `stack_parameters` refuses models with running averages.

# %% [markdown]
# ## Summary
# - A sigmoid layer with small weights sends out values in a narrow band around 0.5. The next
#   layer then sees a large constant plus small image-specific differences, so it learns slowly.
# - **LayerNorm** normalises each sample over its features: subtract the mean, divide by the
#   standard deviation (biased, with `eps` inside the root), then apply a learned scale and shift.
#   It needs no batch, so it works with the book's one image per step.
# - Added to the baseline after the hidden sigmoid, it makes the loss fall much faster and lifts
#   test accuracy from about 87% to about 91%, with SGD, MSE and sigmoids otherwise unchanged.
# - Lesson 06 puts all four changes together: BCE, LeakyReLU, Adam and LayerNorm.
