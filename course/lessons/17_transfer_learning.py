# %% [raw]
# # ASSIGNMENT CONFIG
# name: 17_transfer_learning
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 17 · Transfer learning
#
# **You will learn to**
# - reuse a network trained on one task (the *source*) for another (the *target*);
# - tell the four usual strategies apart: a frozen feature extractor with a new linear head,
#   fine-tuning the last layers, fine-tuning everything, and training from scratch;
# - freeze layers in PyTorch, and check that frozen weights really do not move;
# - measure, rather than assume, when each strategy wins, as the number of target labels and
#   the similarity of the two tasks change;
# - read the textbook's decision table critically against those measurements.
#
# Labels are expensive. A network trained on a big labelled data set has learnt features, such as
# strokes, edges and blobs, that might help on a related task with few labels. **Transfer
# learning** starts the new task from those weights instead of from random ones. In vision the
# source is usually a large network pretrained on ImageNet and downloaded. Here nothing can be
# downloaded, and we would not want to anyway: we pretrain our own sources inside the lesson and
# look at every step.
#
# Two transfer pairs, one similar and one different:
# - **digits 0–4 → digits 5–9**: the same pen strokes and the same kind of image, new classes;
# - **MNIST → Fashion-MNIST**: the same image size and format, but clothes instead of digits.

# %%
# %matplotlib inline
import time

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import checks
from mnist_lab.data import load_fashion_mnist, load_mnist, scale, stratified_subset
from mnist_lab.device import seed_everything
from mnist_lab.metrics import accuracy
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.train import TrainConfig, fit
from mnist_lab.transfer import STRATEGIES, TransferConfig, new_head, subset_classes, transfer


def load(loader):
    """(train, test) pairs of a data set: pixels / 255 as float32 [N, 784], labels int64 [N]."""
    (x, y), (x_test, y_test) = loader("train"), loader("test")
    return (scale(x), y), (scale(x_test), y_test)


mnist_train, mnist_test = load(load_mnist)
fashion_train, fashion_test = load(load_fashion_mnist)
low_train, low_test = subset_classes(*mnist_train, [0, 1, 2, 3, 4]), \
    subset_classes(*mnist_test, [0, 1, 2, 3, 4])
high_train, high_test = subset_classes(*mnist_train, [5, 6, 7, 8, 9]), \
    subset_classes(*mnist_test, [5, 6, 7, 8, 9])
print(f"digits 0–4: {len(low_train[0]):,} train / {len(low_test[0]):,} test images")
print(f"digits 5–9: {len(high_train[0]):,} train / {len(high_test[0]):,} test, labels "
      f"{high_train[1].unique().tolist()} (5–9 renamed)")
print(f"Fashion-MNIST: {len(fashion_train[0]):,} train / {len(fashion_test[0]):,} test images")

# %% [markdown]
# `subset_classes(x, y, classes)` keeps the images of some classes and renames their labels
# 0, 1, …, k−1 in the order given: digits 5–9 become labels 0–4, so a network with five outputs
# can learn them. You write that renaming yourself first.

# %% [raw]
# # BEGIN QUESTION
# name: q1_relabel
# points: 1

# %% [markdown]
# **Exercise 1 · relabel classes.** Write `relabel(y, classes)`. `y` is an int64 tensor of labels,
# each one of the values in the list `classes`. Return the int64 tensor where each label is
# replaced by its *position* in `classes`: `relabel(torch.tensor([5, 9, 7]), [5, 6, 7, 8, 9])` is
# `tensor([0, 4, 2])`. The classes need not be sorted: with `classes = [9, 5]`, a 9 becomes 0 and
# a 5 becomes 1. A loop over the classes with a boolean mask each, or a lookup table indexed by the
# old label, both work.

# %% [raw]
# # BEGIN SOLUTION

# %%
def relabel(y, classes):
    """Each label replaced by its position in `classes` (int64, same shape as y)."""
    # BEGIN SOLUTION
    out = torch.empty_like(y)
    for new, old in enumerate(classes):
        out[y == old] = new
    return out
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_relabel_digits_5_to_9(relabel):
    import torch

    from mnist_lab import checks
    from mnist_lab.transfer import subset_classes

    checks.require_attempt(relabel)
    hint = ("each label becomes its POSITION in `classes` (which need not be sorted), e.g. with "
            "a boolean mask per class written into a new int64 tensor")
    y = torch.tensor([5, 9, 7, 6, 8, 5, 9])
    for labels, classes in ((y, [5, 6, 7, 8, 9]), (torch.tensor([9, 5, 7, 7, 5]), [9, 5, 7]),
                            (torch.tensor([0, 1, 1]), [1, 0])):
        expected = subset_classes(labels, labels, classes)[1]
        # atol 0 and int64: labels are exact class indices
        checks.check_close(relabel(labels.clone(), classes), expected, atol=0, rtol=0,
                           dtype=torch.int64, name=f"relabel(y, {classes})", hint=hint,
                           quiet=True)
    print("✓ relabel maps each label to its position in `classes`, sorted or not.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_relabel_unsorted_and_single_classes(relabel):
    import torch

    from mnist_lab import checks
    from mnist_lab.transfer import subset_classes

    gen = torch.Generator().manual_seed(0)
    cases = [(torch.tensor([3, 3]), [3]),
             (torch.randint(0, 10, (500,), generator=gen), [4, 0, 9, 1, 8, 2, 7, 3, 6, 5])]
    for y, classes in cases:
        expected = subset_classes(y, y, classes)[1]
        checks.check_close(relabel(y.clone(), classes), expected, atol=0, rtol=0,
                           dtype=torch.int64, quiet=True, name=f"relabel(y, {classes})")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 1 · Pretraining the sources
#
# Each source is a small network, 784 → 256 → 64 → k with ReLU, trained the ordinary way on
# 10,000 labelled images of its own task: 3 epochs of mini-batches with Adam. Its hidden layers
# are what we hope to reuse; its output layer belongs to the source task (5 digits, or 10) and
# is thrown away.

# %%
def pretrain(x, y, num_classes):
    """A 784→256→64→k ReLU network trained on 10,000 stratified images of (x, y)."""
    keep = stratified_subset(y, 10_000)
    seed_everything(0)
    model = MLP(MLPConfig(sizes=(784, 256, 64, num_classes), hidden_activation="relu",
                          output_activation="none"))  # logits, for the cross-entropy loss
    fit(model, (x[keep], y[keep]), TrainConfig(epochs=3, loss="cross_entropy"))
    return model


start = time.perf_counter()
source_digits = pretrain(*low_train, 5)
source_mnist = pretrain(*mnist_train, 10)
pretrain_seconds = time.perf_counter() - start
digits_acc = accuracy(source_digits, *low_test)
mnist_acc = accuracy(source_mnist, *mnist_test)
print(f"source for 5–9: test accuracy on digits 0–4 {digits_acc:.1%}")
print(f"source for Fashion-MNIST: test accuracy on MNIST {mnist_acc:.1%}")
print(f"pretraining both took {pretrain_seconds:.1f} s")
assert digits_acc > 0.96 and mnist_acc > 0.90  # both sources learnt their own task

# %% [markdown]
# ## 2 · Four ways to transfer
#
# Every strategy puts a **new head**, a fresh output layer with one output per target class, on
# top of the source network, and then decides which layers may learn:
#
# | strategy | what trains | idea |
# |---|---|---|
# | `frozen` | the new head only | a linear classifier on the source's 64 penultimate features |
# | `last_layers` | last hidden layer + head | keep the early, generic layers, adapt the rest |
# | `all` | every layer, from the source | pretraining is just a good initialisation |
# | `scratch` | every layer, from random weights | no transfer: the baseline the others must beat |
#
# Freezing a layer in PyTorch means `p.requires_grad_(False)` for its parameters: no gradient
# reaches them, so the optimiser has nothing to apply and they stay exactly as they are. The
# frozen net still runs forward through every layer; only the backward pass stops early, which
# also makes frozen training cheaper. `mnist_lab.transfer` holds the few lines each strategy
# needs: `new_head(model, k)` returns a copy with a new output layer, `trainable(model, n)`
# freezes all but the last `n` Linear layers, and `transfer(source, (train, test), strategy)`
# trains one strategy and returns its test accuracy.
#
# A fair comparison gives every run the same budget of **optimiser steps**, about 200 here,
# whatever the data size. Counting epochs would not work: with 100 labels an epoch is a single
# mini-batch, so 3 epochs would be 3 steps. With 10,000 labels the 200 steps of 128 images are
# under 3 epochs; with 100 labels they are 200 epochs over the same 100 images. Fine-tuning uses
# Adam at its usual rate, 1e-3. A linear head on fixed features is a much easier problem and
# learns faster with 1e-2 (`TransferConfig.head_lr`).

# %% [raw]
# # BEGIN QUESTION
# name: q2_freeze_all_but_last
# points: 2

# %% [markdown]
# **Exercise 2 · freeze all but the last layer.** Write `freeze_all_but_last(model)` for any
# `nn.Module`: switch off the gradients of every parameter (`p.requires_grad_(False)`), except
# those of the model's **last `nn.Linear` layer**, weight and bias, which stay trainable. Return
# the model. `model.modules()` lists the submodules in the order they were defined, and
# `isinstance(m, nn.Linear)` picks out the Linear layers. The check builds a model and looks at
# every parameter's `requires_grad` flag.

# %% [raw]
# # BEGIN SOLUTION

# %%
from torch import nn


def freeze_all_but_last(model):
    """Freeze every parameter except the last nn.Linear layer's; return the model."""
    # BEGIN SOLUTION
    for p in model.parameters():
        p.requires_grad_(False)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    for p in last.parameters():
        p.requires_grad_(True)
    return model
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_freeze_all_but_last_on_an_mlp(freeze_all_but_last):
    from torch import nn

    from mnist_lab import checks
    from mnist_lab.models import MLP

    checks.require_attempt(freeze_all_but_last)
    hint = ("call p.requires_grad_(False) for every parameter, then p.requires_grad_(True) for "
            "the parameters of the LAST nn.Linear (found with model.modules() and isinstance), "
            "which need not be the model's last module; return the model")
    mlp = MLP(sizes=(784, 32, 16, 5), hidden_activation="relu", output_activation="none")
    ends_in_softmax = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2),
                                    nn.Softmax(dim=1))
    ends_in_norm = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3), nn.LayerNorm(3))
    for model, head in ((mlp, "out."), (ends_in_softmax, "2."), (ends_in_norm, "2.")):
        kind = (f"{checks.article(type(model).__name__)} {type(model).__name__} ending in "
                f"{type(list(model.modules())[-1]).__name__}")
        returned = freeze_all_but_last(model)
        if returned is not model:
            raise checks.CheckFailed(f"freeze_all_but_last({kind}) returned {returned!r:.40}, "
                                     "expected the model itself", hint="end with `return model`")
        wrong = [f"{name} ({'trainable' if p.requires_grad else 'frozen'}, expected "
                 f"{'trainable' if name.startswith(head) else 'frozen'})"
                 for name, p in model.named_parameters()
                 if p.requires_grad != name.startswith(head)]
        if wrong:
            raise checks.CheckFailed(f"on {kind}, {len(wrong)} parameters have the wrong "
                                     f"requires_grad flag: {', '.join(wrong[:3])}", hint=hint)
    print("✓ only the last Linear layer stays trainable, on 3 kinds of model.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_freeze_all_but_last_on_other_models(freeze_all_but_last):
    from torch import nn

    from mnist_lab import checks
    from mnist_lab.models import MLP

    deep = MLP(sizes=(784, 20, 20, 20, 3), hidden_activation="leaky_relu", norm="layer")
    plain = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 2), nn.Softmax(dim=1))
    for model, head in ((deep, "out."), (plain, "4.")):
        freeze_all_but_last(model)
        wrong = [name for name, p in model.named_parameters()
                 if p.requires_grad != name.startswith(head)]
        if wrong:
            raise checks.CheckFailed(f"on {checks.article(type(model).__name__)} "
                                     f"{type(model).__name__}, the parameters "
                                     f"{', '.join(wrong[:3])} have the wrong requires_grad flag")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3 · The experiment: four strategies × three target sizes × two pairs
#
# For each pair and each target size (100, 1,000 and 10,000 labels, equal per class) we run all
# four strategies from the same source. A fifth, cheap run answers a question the textbook raises
# for dissimilar tasks: what if the linear head reads an **earlier** layer? `new_head(source, k,
# depth=1)` keeps only the first hidden layer, with its 256 features, and `frozen` trains a head
# on them.

# %%
SIZES = (100, 1_000, 10_000)
PAIRS = {
    "digits 0–4 → 5–9 (similar)": (source_digits, high_train, high_test),
    "MNIST → Fashion-MNIST (different)": (source_mnist, fashion_train, fashion_test),
}
config = TransferConfig(steps=200)
acc = {pair: {s: {} for s in (*STRATEGIES, "frozen, layer 1")} for pair in PAIRS}
start = time.perf_counter()
for pair, (source, (x, y), test) in PAIRS.items():
    k = int(y.max()) + 1
    early = new_head(source, k, depth=1)  # the first hidden layer only, its 256 features
    for n in SIZES:
        keep = stratified_subset(y, n)
        data = ((x[keep], y[keep]), test)
        for strategy in STRATEGIES:
            acc[pair][strategy][n] = transfer(source, data, strategy, config)
        acc[pair]["frozen, layer 1"][n] = transfer(early, data, "frozen", config)
transfer_seconds = time.perf_counter() - start
print(f"{len(PAIRS) * len(SIZES) * 5} transfer runs took {transfer_seconds:.1f} s")

# %%
def plot_transfer(acc, sizes):
    """Accuracy against the number of target labels (log x), one panel per pair."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    axes = fig.subplots(1, len(acc))
    styles = {"frozen": "o-", "last_layers": "s-", "all": "^-", "scratch": "k--",
              "frozen, layer 1": "o:"}
    for ax, (pair, results) in zip(axes, acc.items()):
        for strategy, by_size in results.items():
            ax.plot(sizes, [by_size[n] for n in sizes], styles[strategy], label=strategy)
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
        ax.set_title(pair)
        ax.set_xlabel("target labels")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("target test accuracy")
    axes[0].legend()
    return fig


plot_transfer(acc, SIZES)

# %% [markdown]
# The picture is not the textbook's. Three things stand out, and the assertions below check each
# one on the measured numbers:
#
# 1. **The more layers train, the better**, in every cell: `frozen` < `last_layers` < the better
#    of `all` and `scratch`, at every size and for both pairs.
# 2. **Starting from the source weights is worth almost nothing here.** `all` and `scratch` stay
#    within two and a half points of each other everywhere, and which one is ahead changes from
#    cell to cell: that is noise, not a pattern.
# 3. **The penultimate features transfer badly, the first layer's far better.** A head on the
#    64 penultimate features is clearly the worst strategy, even with 100 labels where the
#    textbook recommends it. On the first layer's 256 features the same head does much better.

# %%
def best(results, n):
    """The strategy with the highest accuracy at size n (of the four main strategies)."""
    return max(STRATEGIES, key=lambda s: results[s][n])


for pair, results in acc.items():
    for n in SIZES:
        a = {s: results[s][n] for s in results}
        assert a["frozen"] < a["last_layers"] < max(a["all"], a["scratch"]), (pair, n, a)  # 1
        assert abs(a["all"] - a["scratch"]) < 0.025, (pair, n, a)  # 2
        assert a["frozen, layer 1"] > a["frozen"] + 0.05, (pair, n, a)  # 3
        assert best(results, n) in ("all", "scratch")
    for strategy in STRATEGIES:  # more labels help every strategy
        assert results[strategy][10_000] > results[strategy][100], (pair, strategy)
winners = {best(results, n) for results in acc.values() for n in SIZES}
assert winners == {"all", "scratch"}  # each wins somewhere: no consistent gain from pretraining
similar, different = acc.values()
assert similar["scratch"][100] > 0.85  # 20 images per digit already give a good 5-way classifier
assert similar["frozen"][10_000] < 0.75  # frozen 0–4 features cap the accuracy on 5–9

# %% [markdown]
# ## 4 · The decision table, measured
#
# The usual advice is a two-by-two table of target size against similarity to the source. Below,
# each cell shows the advice next to the strategy that won here.

# %%
ADVICE = {  # (size, similar?) → the textbook's recommendation
    (100, True): "frozen + linear head",
    (10_000, True): "fine-tune (last layers or all)",
    (100, False): "head on earlier layers (or frozen)",
    (10_000, False): "fine-tune all, or scratch",
}
print(f"{'labels':>7}  {'similarity':<10}  {'textbook advice':<35}  measured winner")
for (n, is_similar), advice in ADVICE.items():
    results = similar if is_similar else different
    winner = best(results, n)
    print(f"{n:>7,}  {'similar' if is_similar else 'different':<10}  {advice:<35}  "
          f"{winner} ({results[winner][n]:.1%}; frozen {results['frozen'][n]:.1%})")

for results in (similar, different):
    assert best(results, 10_000) in ("all", "scratch")  # large: fine-tune all or scratch, agreed
    assert best(results, 100) != "frozen"  # small: the textbook's frozen head does NOT win here
# small & different: the earlier layer beats the penultimate one, as the advice says...
assert different["frozen, layer 1"][100] > different["frozen"][100]
assert different["frozen, layer 1"][100] < different["all"][100]  # ...but fine-tuning wins

# %% [markdown]
# The large-data row agrees with the advice: with 10,000 labels, training everything wins, and
# whether it starts from the source or from scratch hardly matters. The small-data row does not:
# with 100 labels a frozen feature extractor loses clearly, for the similar pair too. The hint to
# use *earlier* layers holds up only in part: a head on the first layer beats a head on the
# penultimate one, but it still loses to fine-tuning everything.
#
# Why does MNIST break the textbook pattern? Three honest reasons:
# - **The source is tiny.** The textbook case is a network pretrained on a million varied images
#   and reused on a few hundred. Our source saw 10,000 images of 5 digits, hardly more than the
#   largest target set, so it has little to give.
# - **The penultimate layer of a small classifier is specific to its own classes.** Training
#   squeezes its 64 features into whatever separates 0 to 4, and throws away what separates 5
#   from 8. The first layer is closer to the pixels and keeps more general strokes. That is the
#   textbook's own reason for preferring earlier layers when tasks differ, and here it applies
#   even to the "similar" pair.
# - **MNIST is easy from raw pixels.** Twenty examples per digit already give a from-scratch MLP
#   more than 85% on 5–9, so there is little room for transfer to help.
#
# With a large pretrained network (a ResNet trained on ImageNet, say) and a small target set,
# frozen features plus a linear head do win, which is why the advice exists. The lesson to keep is
# the method: run the four strategies on your own data at your own size before choosing.

# %% [raw]
# # BEGIN QUESTION
# name: q3_penultimate_features
# points: 2

# %% [markdown]
# **Exercise 3 · extract features.** The frozen strategy trains a linear head on the network's
# penultimate layer. Write `penultimate(model, x)` for an `mnist_lab` `MLP`: the outputs of its
# *last hidden layer* for a batch `x` of shape `[N, 784]`, shape `[N, H]` where H is that layer's
# width. An `MLP` runs `x` through each block of `model.hidden` in turn (Linear → activation →
# norm → dropout) and then through `model.out`; stop before `model.out`. Wrap it in
# `torch.no_grad()`: features are only read, not trained (so they must not require gradients),
# but a new head is trained on them next, so not `torch.inference_mode()`. Leave the model as it
# is.

# %% [raw]
# # BEGIN SOLUTION

# %%
def penultimate(model, x):
    """The outputs [N, H] of the model's last hidden layer for inputs x [N, 784]."""
    # BEGIN SOLUTION
    h = x
    with torch.no_grad():
        for block in model.hidden:
            h = block(h)
    return h
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_penultimate_on_the_digit_source(penultimate):
    import torch

    from mnist_lab import checks
    from mnist_lab.models import MLP
    from mnist_lab.transfer import features

    hint = ("h = x; for block in model.hidden: h = block(h); return h, inside "
            "`with torch.no_grad():` (do not apply model.out, and do not change the model)")
    with torch.random.fork_rng(devices=[]):  # leave the notebook's random state untouched
        torch.manual_seed(0)
        model = MLP(sizes=(784, 256, 64, 5), hidden_activation="relu", output_activation="none")
        x = torch.rand(8, 784)
    before = (str(model), [p.requires_grad for p in model.parameters()])
    checks.check_function(penultimate, features, [(model, x)], name="penultimate", grad=False,
                          hint=hint, quiet=True)
    feats = penultimate(model, x)
    if (str(model), [p.requires_grad for p in model.parameters()]) != before:
        raise checks.CheckFailed("penultimate changed the model (its layers or requires_grad "
                                 "flags); only read from it", hint=hint)
    if feats.requires_grad:
        raise checks.CheckFailed("the features require gradients: compute them inside "
                                 "`with torch.no_grad():`", hint=hint)
    head = torch.nn.Linear(feats.shape[1], 3)  # features are for training a head on
    try:
        torch.nn.functional.cross_entropy(head(feats), torch.zeros(8, dtype=torch.long)).backward()
    except RuntimeError:
        raise checks.CheckFailed("a linear head cannot be trained on the features: autograd "
                                 "refuses them", hint="use torch.no_grad(), not "
                                 "torch.inference_mode()") from None
    print("✓ penultimate gives the last hidden layer's outputs, without gradients, and a head "
          "trains on them.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_penultimate_on_other_networks(penultimate):
    import torch

    from mnist_lab import checks
    from mnist_lab.models import MLP
    from mnist_lab.transfer import features

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        deep = MLP(sizes=(784, 40, 30, 20, 3), hidden_activation="leaky_relu", norm="layer").eval()
        shallow = MLP(sizes=(784, 12, 10), hidden_activation="sigmoid")
        cases = [(deep, torch.rand(5, 784)), (shallow, torch.rand(1, 784))]
    checks.check_function(penultimate, features, cases, name="penultimate", grad=False,
                          quiet=True)
    if penultimate(*cases[0]).requires_grad:
        raise checks.CheckFailed("the features require gradients: use torch.no_grad()")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - **Transfer learning** starts a target task from a network trained on a source task: put a new
#   head on it, then train the head only (**frozen** features), the last layers, or everything
#   (**fine-tuning**). Training the same network from **scratch** is the baseline to beat.
# - Freezing is `requires_grad_(False)`: no gradient, no update. A frozen network still runs
#   forward through every layer.
# - Compare strategies at an equal budget of optimiser steps, not epochs: 100 labels make an epoch
#   of one mini-batch.
# - The textbook advice: small & similar → frozen features and a linear head; large & similar →
#   fine-tune; small & different → a head on earlier layers; large & different → fine-tune all or
#   train from scratch.
# - On MNIST with small MLPs and small sources only part of it held: with many labels, training
#   everything won, as advised; with few labels, frozen penultimate features lost to fine-tuning
#   and to scratch, for both pairs. Earlier layers transferred far better than the penultimate
#   one. Starting from the source's weights was no better than random ones.
# - Advice like this comes from big pretrained networks. Measure on your own task before trusting
#   it.
