# %% [raw]
# # ASSIGNMENT CONFIG
# name: 01_baseline
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 01 · The book's baseline network
#
# **You will learn to**
# - build the book's first classifier, 784 → 200 → 10 with sigmoid activations, and run one
#   forward pass by hand;
# - train it exactly as the book does: MSE loss, plain SGD, one image per step, 3 epochs;
# - read a noisy loss curve: a quick drop, a long plateau, a slow creep;
# - read the network's ten outputs for one image (the book's "record 19");
# - measure test accuracy and look at the mistakes;
# - see why one image per step is slow in plain PyTorch, and how the course runs it fast.
#
# The book's first network is simple on purpose, and every later lesson changes one thing about
# it. This lesson trains it once, with the book's own protocol, and looks closely at what comes
# out. Its test accuracy, about 87%, is the number every later change is measured against.

# %%
# %matplotlib inline
import copy
import time

import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import claims, fastpath, metrics, plots, widgets
from mnist_lab.book import BOOK_ROWS, load_book_data, train_autograd, train_book_row
from mnist_lab.data import one_hot
from mnist_lab.device import get_device, seed_everything
from mnist_lab.models import MLP, count_parameters

device = get_device()
data = load_book_data(device)  # pixels / 255 as float32 [N, 784], labels int64 [N], file order
print(f"train {tuple(data.x_train.shape)}, test {tuple(data.x_test.shape)}, on {device} (device)")

# %% [markdown]
# ## 1 · The network
#
# The book's classifier has 784 inputs (one per pixel), a hidden layer of 200 units and 10
# outputs (one per digit). Each layer computes a weighted sum plus a bias, `W @ x + b`, and then
# squashes it with the **sigmoid** σ(z) = 1 / (1 + e^(−z)), which maps any number into (0, 1).
# Each output is therefore a score between 0 and 1 saying "this looks like digit k". The ten
# scores are separate: nothing makes them add up to 1 (lesson 02 returns to this).
#
# `MLP()` with its default configuration is exactly this network, with PyTorch's default initial
# weights.

# %%
row = BOOK_ROWS["baseline"]
model = MLP(row.mlp)
print(model)
print(f"{count_parameters(model):,} parameters")
assert count_parameters(model) == 784 * 200 + 200 + 200 * 10 + 10

# %% [raw]
# # BEGIN QUESTION
# name: q1_sigmoid
# points: 1

# %% [markdown]
# **Exercise 1 · the sigmoid.** Write `sigmoid(x)` = 1 / (1 + e^(−x)), elementwise, for a tensor
# of any shape. Use torch operations so that autograd can differentiate it: the check compares
# values *and* gradients with `mnist_lab.activations.sigmoid`. Large inputs must work too:
# `sigmoid` of ±100 is 0 or 1, never `nan`.

# %% [raw]
# # BEGIN SOLUTION

# %%
def sigmoid(x):
    """1 / (1 + e^-x), elementwise."""
    # BEGIN SOLUTION
    return 1 / (1 + torch.exp(-x))
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_sigmoid_matches_reference(sigmoid):
    import torch

    from mnist_lab import activations, checks
    hint = "1 / (1 + torch.exp(-x)); sigmoid(0) is 0.5, and sigmoid(±100) is 0 or 1, never nan"
    checks.check_function(sigmoid, activations.sigmoid, [(torch.linspace(-6, 6, 13),)],
                          name="sigmoid", hint=hint, quiet=True)
    # values only at the extremes: there even torch's own formulas disagree on the gradient
    far = torch.tensor([-100.0, -50.0, -20.0, 20.0, 50.0, 100.0])
    checks.check_function(sigmoid, activations.sigmoid, [(far,)], name="sigmoid", grad=False,
                          hint=hint + ": e^x / (1 + e^x) is inf / inf = nan at x = 100")
    print("✓ sigmoid matches the reference, gradients included, and stays finite at ±100.")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_sigmoid_on_small_inputs_and_float64(sigmoid):
    import torch

    from mnist_lab import activations, checks
    near = torch.tensor([-1e-3, 0.0, 1e-3])
    batch = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    checks.check_function(sigmoid, activations.sigmoid, [(near,), (5 * batch,)],
                          name="sigmoid", quiet=True, atol=1e-7, rtol=1e-6)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: q2_forward
# points: 3

# %% [markdown]
# **Exercise 2 · one forward pass by hand.** Write `forward(x, W1, b1, W2, b2)`, the book's
# network without `nn.Module`:
#
# - `x`: a batch of inputs, shape `[N, 784]`;
# - `W1`: `[200, 784]` and `b1`: `[200]`, the hidden layer, shaped the way `nn.Linear` stores its
#   weights (`[out, in]`);
# - `W2`: `[10, 200]` and `b2`: `[10]`, the output layer.
#
# It returns the `[N, 10]` outputs: hidden = σ(x W1ᵀ + b1), then outputs = σ(hidden W2ᵀ + b2).
# You may use your `sigmoid` from exercise 1 or `torch.sigmoid`. Don't hard-code the sizes: the
# hidden tests use a smaller network. The check gives `MLP` the same weights and compares the
# outputs and the gradients.

# %% [raw]
# # BEGIN SOLUTION

# %%
def forward(x, W1, b1, W2, b2):
    """The book's network: sigmoid(sigmoid(x W1ᵀ + b1) W2ᵀ + b2), x [N, 784] → [N, 10]."""
    # BEGIN SOLUTION
    hidden = torch.sigmoid(x @ W1.T + b1)  # [N, 200]
    return torch.sigmoid(hidden @ W2.T + b2)  # [N, 10]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_forward_matches_mlp(forward):
    import torch
    from torch.func import functional_call

    from mnist_lab import checks
    from mnist_lab.models import MLP
    with torch.random.fork_rng(devices=[]):  # leave the notebook's random state untouched
        torch.manual_seed(1)
        model = MLP()
        small = MLP(sizes=(20, 7, 3)).double()  # sizes are not hard-coded to 784, 200, 10

    def runs(model):
        def mlp_with(x, W1, b1, W2, b2):  # the model running on the given weights
            weights = {"hidden.0.linear.weight": W1, "hidden.0.linear.bias": b1,
                       "out.weight": W2, "out.bias": b2}
            return functional_call(model, weights, (x,))
        return mlp_with

    def params(model):
        return (model.hidden[0].linear.weight, model.hidden[0].linear.bias,
                model.out.weight, model.out.bias)

    hint = ("hidden = sigmoid(x @ W1.T + b1), then outputs = sigmoid(hidden @ W2.T + b2); "
            "take every size from the tensors you are given")
    x = torch.rand(3, 784, generator=torch.Generator().manual_seed(0))
    checks.check_function(forward, runs(model), [(x, *params(model))], name="forward",
                          hint=hint, quiet=True)
    x_small = torch.randn(4, 20, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    checks.check_function(forward, runs(small), [(x_small, *params(small))],
                          name="forward (a 20 → 7 → 3 network)", hint=hint)


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_forward_on_a_small_float64_network_and_one_sample(forward):
    import torch
    from torch.func import functional_call

    from mnist_lab import checks
    from mnist_lab.models import MLP
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        model = MLP(sizes=(20, 5, 2)).double()
    params = [model.hidden[0].linear.weight, model.hidden[0].linear.bias,
              model.out.weight, model.out.bias]

    def mlp_with(x, W1, b1, W2, b2):
        weights = {"hidden.0.linear.weight": W1, "hidden.0.linear.bias": b1,
                   "out.weight": W2, "out.bias": b2}
        return functional_call(model, weights, (x,))

    gen = torch.Generator().manual_seed(3)
    one = torch.rand(1, 20, generator=gen, dtype=torch.float64)
    many = 4 * torch.randn(6, 20, generator=gen, dtype=torch.float64)
    checks.check_function(forward, mlp_with, [(one, *params), (many, *params)],
                          name="forward", quiet=True, atol=1e-9, rtol=1e-7)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · The book's recipe
#
# The network learns from **one image per step**. It computes the ten outputs, compares them with
# the one-hot target, and nudges every weight against the gradient of the loss. The book's loss is
# the **mean squared error**: the average over the ten outputs of (output − target)². The
# optimiser is plain **SGD** with learning rate 0.01. Training goes through the 60,000 training
# images in file order, without shuffling, three times: 180,000 steps.

# %%
cfg = row.mlp
print(f"network     {' → '.join(map(str, cfg.sizes))}, "
      f"{cfg.hidden_activation} hidden, {cfg.output_activation} outputs")
print(f"loss        {row.loss} (mean over the 10 outputs), one-hot targets")
print(f"optimiser   {row.optimizer}, learning rate {row.lr}")
print(f"training    1 image per step, file order, 3 epochs = {3 * len(data.x_train):,} steps")
print(f"the book    {row.book_accuracy:.0f}% test accuracy; "
      f"the book's own code, re-run: {row.reference_accuracy:.2f}%")

# %% [markdown]
# ## 3 · Training
#
# `train_book_row` runs exactly that recipe from a fixed seed and scores the trained network on
# the 10,000 test images. The book's own code needs over two minutes for this on a 2-core CPU.
# Here it takes a few seconds (section 7 explains how).

# %%
run = train_book_row(row, data=data, seed=0)
accuracy = run.accuracy / 100  # train_book_row reports percent
print(f"{run.steps:,} steps in {run.seconds:.0f} s; test accuracy {accuracy:.1%}")
assert run.steps == 180_000
claims.expect_between(accuracy, 0.85, 0.89, "about 87% test accuracy, as in the book",
                      "another seed moves it by a few tenths of a point (seeds 0, 1 and 2 give "
                      "86.75%, 86.78% and 86.38%); a changed row or learning rate moves it more")

# %% [markdown]
# ## 4 · The loss curve
#
# Like the book, the trainer saves the loss of the current image every 10th step, and we plot
# those 18,000 values raw: faint dots, y from 0 to 1. The orange line is the average of 200
# neighbouring points, which shows the trend under the noise.

# %%
plots.plot_loss(run.losses, every=10, smooth=200)

# %% [markdown]
# **Why the dots are so spread out.** Each dot is the loss of *one* image, not an average. An easy,
# clearly written digit costs almost nothing, while a hard one costs ten times as much or more.
# So a single step's loss says little. Only averages, like the orange line, show progress.
#
# On a 0–1 scale the curve looks as if it drops at once and then stays flat. Zooming in on the
# averaged curve shows three phases:
#
# 1. **A quick drop** in the first few hundred steps, from about 0.22 to 0.09. The network learns
#    the easy lesson first: nine of every ten targets are 0, so it makes all outputs small. The
#    best it can do *without looking at the image* is to output each digit's share of the data
#    (about 0.1) for every class, and that costs a loss of 0.09 (the dashed line).
# 2. **A plateau** near that line for tens of thousands of steps. To go lower, the network has to
#    use the pixels to tell the digits apart, and the gradient that carries this information is
#    small. Each step's change to the output layer is scaled by the learning rate 0.01, by 2/10
#    from averaging the squared error over ten outputs, and by the sigmoid's slope σ(1 − σ), which
#    is at most 0.25 and close to 0 for outputs near 0 or 1. Such outputs are called
#    *saturated*. Small steps, each computed from one noisy image, add up slowly.
# 3. **A slow creep** down to about 0.03, still falling when the three epochs end. Plain SGD with
#    a small learning rate and MSE gradients has not finished learning.

# %%
losses = run.losses  # [18000]: the loss of one image every 10th step
targets = one_hot(data.y_train)  # [60000, 10]
share = targets.mean(0)  # each digit's share of the training set, about 0.1
guess_loss = ((targets - share) ** 2).mean().item()  # MSE of the best image-blind answer


def plot_loss_phases(losses, guess_loss, window=20):
    """The mean of every `window` recorded losses on a log step axis, with the blind guess."""
    smoothed = losses.unfold(0, window, window).mean(1).cpu()  # [18000 / window]
    steps_at = (torch.arange(len(smoothed)) + 0.5) * window * 10  # the middle of each window
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(steps_at, smoothed, label=f"mean loss per {window * 10} steps")
    ax.axhline(guess_loss, color="gray", linestyle="--",
               label=f"image-blind best guess ({guess_loss:.3f})")
    for epoch_end in (60_000, 120_000):
        ax.axvline(epoch_end, color="gray", linewidth=0.8)
    ax.set_xscale("log")  # a log axis gives the first few hundred steps room to be seen
    ax.set_ylim(0, 0.25)
    ax.set_xlabel("step (log scale; grey lines: ends of epochs 1 and 2)")
    ax.set_ylabel("loss")
    ax.grid(True)
    ax.legend()
    return fig


first, plateau = losses[0].item(), losses[50:2000].mean().item()  # step 10; steps 500–20,000
last_epoch = losses[12_000:]  # steps 120,000–180,000
print(f"loss at step 10: {first:.3f}; mean over steps 500–20,000: {plateau:.3f} "
      f"(best image-blind guess {guess_loss:.3f}); mean over the last epoch: "
      f"{last_epoch.mean().item():.3f}")
low, high = torch.quantile(last_epoch, torch.tensor([0.1, 0.9], device=last_epoch.device))
print(f"last epoch, single images: 10% cost less than {low:.4f}, 10% more than {high:.3f}")
why = ("the three phases belong to this recipe (MSE, sigmoid outputs, lr 0.01); a larger "
       "learning rate or another loss shortens the plateau or removes it")
claims.expect(first > 0.2, "the untrained outputs sit near 0.5, a loss above 0.2",
              f"{first:.3f}", why)
claims.expect(abs(plateau - guess_loss) < 0.01, "the plateau sits at the image-blind guess",
              f"plateau {plateau:.3f}, guess {guess_loss:.3f}", why)
claims.expect(last_epoch.mean() < plateau / 2, "the creep goes on well below the plateau",
              f"last epoch {last_epoch.mean().item():.3f}, plateau {plateau:.3f}", why)
recent, before = losses[-3000:].mean().item(), losses[-6000:-3000].mean().item()
claims.expect(recent < before, "the loss is still falling in the last 30,000 steps",
              f"{recent:.4f} after {before:.4f}", why)
claims.expect(high > 10 * low, "single-image losses spread over more than a factor of 10",
              f"10th percentile {low:.4f}, 90th {high:.3f}", why)
plot_loss_phases(losses, guess_loss)

# %% [markdown]
# How saturated are the outputs at the end? The sigmoid's slope σ(1 − σ) is 0.25 at its steepest.
# Over all 10 × 10,000 outputs for the test images, most sit where the curve is nearly flat, with
# a slope below 0.05. These are mainly the nine "not this digit" outputs, pushed close to 0.
# Through them, MSE's gradient reaches the weights only faintly. Lesson 02 replaces MSE with a
# loss whose gradient does not pass through that slope.

# %%
outputs = metrics.model_outputs(run.model, data.x_test)  # [10000, 10], each in (0, 1)
slope = outputs * (1 - outputs)  # the sigmoid's slope at each output
is_flat = slope < 0.05
flat = is_flat.float().mean().item()
not_this_digit = one_hot(data.y_test) == 0  # [10000, 10]: the outputs whose target is 0
flat_no = (is_flat & not_this_digit).sum().item() / is_flat.sum().item()
print(f"outputs with slope below 0.05: {flat:.0%}; mean slope {slope.mean().item():.3f} "
      f"(the steepest possible is 0.25)")
print(f"of those flat outputs, {flat_no:.0%} belong to a digit the image is not")
claims.expect(flat > 0.5 and slope.mean() < 0.1, "most outputs sit where the slope is below 0.05",
              f"{flat:.0%} flat, mean slope {slope.mean().item():.3f}",
              "a network trained longer or with another loss saturates differently")
claims.expect(flat_no > 0.9, "the flat outputs are mainly 'not this digit' outputs",
              f"{flat_no:.0%}",
              "a network trained longer or with another loss saturates differently")

# %% [markdown]
# ## 5 · Record 19: the ten outputs for one image
#
# The book shows what the trained network makes of one test image, number 19, a "4". Below are
# the image and its ten outputs as bars.

# %%
plots.plot_image_grid(data.x_test[19:20], data.y_test[19:20], n=1)

# %%
record = outputs[19]  # [10]
print(f"output for '4': {record[4]:.2f}, for '9': {record[9]:.2f}, "
      f"largest other: {record[torch.arange(10) != 4].max():.2f}")
assert int(data.y_test[19]) == 4  # the data itself: record 19 is a 4
claims.expect(int(record.argmax()) == 4 and 0.6 < record[4] < 0.9 and 0.2 < record[9] < 0.5,
              "the network answers 4, unsure: about 0.75 for '4' and 0.36 for '9', as in the book",
              f"answer {int(record.argmax())}, '4' {record[4]:.2f}, '9' {record[9]:.2f}",
              "one image's outputs depend on the exact weights: another seed or setting can move "
              "them a lot, even when the accuracy barely changes")
plots.plot_outputs(record, label=4)

# %% [markdown]
# The "4" output is the largest, so the answer is right. It is far from 1, though, and the "9"
# output is also well above 0: a 4 and a 9 differ only in whether the top is closed. The network
# is unsure, and this is typical of the MSE-trained network. On a quarter of the test images, no
# output even reaches 0.5:

# %%
unsure = (outputs.max(1).values < 0.5).float().mean().item()
print(f"test images whose largest output is below 0.5: {unsure:.0%}")
claims.expect_between(unsure, 0.15, 0.4, "about a quarter of the test images have no output "
                      "above 0.5", "a network trained longer, or with BCE (lesson 02), is surer")

# %% [markdown]
# Record 19 is one image of 10,000. The **prediction explorer** below shows any of them in the
# same way: the digit, its ten outputs as bars (the true label's bar in orange) and the verdict.
# Drag the slider to pick a test image. Press "show mistakes only" and the slider steps through
# just the images the network gets wrong. Look for the hesitant ones, where two bars are about
# equally tall. (Where the notebook cannot show widgets, as in the static course pages, you see
# the explorer's first picture, record 19.)

# %%
explorer = widgets.prediction_explorer(run.model, data.x_test, data.y_test, index=19)
assert explorer.label == 4 and explorer.prediction == int(record.argmax())  # the same network
assert len(explorer.mistakes) == round((1 - accuracy) * len(data.y_test))
explorer

# %% [markdown]
# ## 6 · Test accuracy and mistakes
#
# The network's answer is the digit with the largest output, the **argmax**, and the accuracy is
# the fraction of test images where that answer is the label. Below are the first 24 test images
# the network gets wrong, titled "predicted (true)". Some of them would puzzle a person too.

# %%
preds = outputs.argmax(1)  # [10000]
wrong = (preds != data.y_test).nonzero().flatten()
right = 1 - len(wrong) / len(preds)
print(f"{len(wrong):,} of {len(preds):,} test images wrong: accuracy {right:.2%} "
      f"(the book: {row.book_accuracy:.0f}%)")
assert abs(right - accuracy) < 1e-9  # the same score as train_book_row's
plots.plot_image_grid(data.x_test[wrong], data.y_test[wrong], preds[wrong], n=24, ncols=12)

# %% [raw]
# # BEGIN QUESTION
# name: q3_accuracy
# points: 2

# %% [markdown]
# **Exercise 3 · accuracy.** Write `accuracy(outputs, labels)`. It takes the outputs `[N, C]` of
# any network (C classes: 10 for MNIST, but the check also uses 3; outputs may be probabilities
# or any scores, negative ones too) and the true labels `[N]`, and returns the fraction of rows
# whose largest output sits at the label's position: a number between 0 and 1, not a percentage.
# A Python float, a 0-d tensor or a NumPy number are all fine, and so is NumPy code.

# %% [raw]
# # BEGIN SOLUTION

# %%
def accuracy(outputs, labels):
    """Fraction of rows whose argmax equals the label."""
    # BEGIN SOLUTION
    return (outputs.argmax(dim=1) == labels).float().mean().item()
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_accuracy_matches_reference(accuracy):
    import torch

    from mnist_lab import checks
    gen = torch.Generator().manual_seed(0)
    outputs, labels = torch.rand(50, 10, generator=gen), torch.randint(0, 10, (50,), generator=gen)
    logits = torch.randn(37, 10, generator=gen) * 3  # negative scores: the largest still decides
    three = torch.rand(5, 3, generator=gen)  # C = 3 classes: nothing is hard-coded to 10

    def reference(outputs, labels):
        return (outputs.argmax(dim=1) == labels).double().mean()

    cases = [(outputs, labels), (logits, torch.randint(0, 10, (37,), generator=gen)),
             (three, three.argmax(1)), (three, torch.tensor([0, 1, 2, 0, 1]))]
    # atol 1e-6: a float32 mean of 37 matches may differ from the float64 one in the 8th digit
    checks.check_function(accuracy, reference, cases, name="accuracy", grad=False, atol=1e-6,
                          hint="compare outputs.argmax(dim=1) with labels, then take the mean of "
                               "the matches as floats (a fraction, not a percentage)")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_accuracy_on_single_rows_all_wrong_and_all_right(accuracy):
    import numpy as np
    import torch

    from mnist_lab import checks

    def reference(outputs, labels):
        return (outputs.argmax(dim=1) == labels).double().mean()

    gen = torch.Generator().manual_seed(1)
    low = torch.rand(8, 10, generator=gen) * 0.3  # no output reaches 0.5: argmax still decides
    one = torch.randn(1, 10, generator=gen)
    cases = [(low, low.argmax(1)), (low, (low.argmax(1) + 1) % 10), (one, one.argmax(1)),
             (one, (one.argmax(1) + 3) % 10)]
    checks.check_function(accuracy, reference, cases, name="accuracy", grad=False, atol=1e-6,
                          quiet=True)
    value = accuracy(low, low.argmax(1))
    # the values were checked above (shape () included); this only turns away an int such as
    # a count // n. A 0-d ndarray (a 0-d tensor's .numpy()) is a NumPy number too
    checks.check_type(value, (float, np.floating, np.ndarray, torch.Tensor), name="accuracy(...)",
                      wanted="a number (a Python float, a 0-d tensor or a NumPy number)")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# Which digits get mixed up? The **confusion matrix** counts every (true, predicted) pair: the
# diagonal holds the right answers, and every other cell is one kind of mistake. The largest
# mix-ups are the pairs that also look alike to people: 4 and 9, then 3 and 5. The hardest digit
# is 5, which the network gets right only about two times in three.

# %%
cm = metrics.confusion_matrix(preds, data.y_test).cpu()  # [10, 10]: row true, column predicted
both_ways = cm + cm.T  # mistakes between a pair of digits, in either direction
both_ways.fill_diagonal_(0)
pairs = sorted(((int(both_ways[i, j]), i, j) for i in range(10) for j in range(i + 1, 10)),
               reverse=True)
recall = cm.diagonal() / cm.sum(1)  # the fraction of each true digit that is recognised
print("most confused pairs: " + ", ".join(f"{i}↔{j} ({n})" for n, i, j in pairs[:3]))
print(f"hardest digit: {int(recall.argmin())}, recognised {recall.min():.0%} of the time")
claims.expect(pairs[0][1:] == (4, 9) and pairs[1][1:] == (3, 5),
              "the most confused pairs are 4↔9, then 3↔5", ", ".join(f"{i}↔{j}" for _, i, j in
                                                                pairs[:2]),
              "close runners-up swap places with another seed or setting")
claims.expect(int(recall.argmin()) == 5 and recall.min() < 0.75,
              "5 is the hardest digit, recognised less than 75% of the time",
              f"{int(recall.argmin())} at {recall.min():.0%}",
              "close runners-up swap places with another seed or setting")
plots.plot_confusion(cm)

# %% [markdown]
# ### Does 87% feel like 87%? Draw your own digit
#
# 87% is a score on MNIST's test images. Draw a digit yourself in the box below (hold the mouse
# button or a finger down and move) and watch the network's ten outputs change as you draw.
# **Undo** removes the last stroke, **Clear** all of them.
#
# Your drawing is not given to the network as you drew it. It is prepared the way MNIST's digits
# were: cropped to its ink, scaled to fit a 20×20 box without changing its shape (with grey,
# anti-aliased edges), and placed in the 28×28 image so that its **centre of mass** sits at the
# centre. The three small pictures show each stage; `mnist_lab.preprocess.mnist_style` does it,
# and it returns MNIST's own test digits unchanged. (Where the notebook cannot show widgets, as
# in the static course pages, you see a "7" drawn from a fixed stroke.)

# %%
drawing = widgets.draw_digit(run.model)
drawing

# %% [markdown]
# Why the preparation matters: the network has only ever seen digits made this way, and it knows
# nothing about shapes, only about which pixels are dark. The cell below changes 2,000 test
# digits in ways a person would not even notice, moves them 4 pixels down and to the right, or
# draws them at half their size, and scores the network on them as they are and after
# `mnist_style` has prepared them again. A last row thins every stroke by about a pixel, which
# the preparation cannot undo.

# %%
from mnist_lab import claims, preprocess

x_few, y_few = data.x_test[:2000].reshape(-1, 28, 28), data.y_test[:2000]
half = torch.zeros_like(x_few)  # each digit at half its size, in the middle of the image
half[:, 7:21, 7:21] = torch.nn.functional.interpolate(x_few[:, None], size=14, mode="bilinear",
                                                      antialias=True)[:, 0]
variants = {"as in MNIST": x_few, "4 px down and right": preprocess.shift(x_few, 4, 4),
            "half as large": half}
scores = {}
print(f"{'2,000 test digits':<24}{'as given':>10}{'prepared again':>16}")
for name, images in variants.items():
    prepared = torch.stack([preprocess.mnist_style(image) for image in images])
    scores[name] = (metrics.accuracy(run.model, images.reshape(-1, 784), y_few),
                    metrics.accuracy(run.model, prepared.reshape(-1, 784), y_few))
    print(f"{name:<24}{scores[name][0]:>10.1%}{scores[name][1]:>16.1%}")
thin_score = metrics.accuracy(run.model, preprocess.thin(x_few).reshape(-1, 784), y_few)
claims.expect(scores["4 px down and right"][0] < 0.2 and scores["half as large"][0] < 0.4,
              "moved or shrunken digits fall far below 87%, to below 20% and 40%",
              f"{scores['4 px down and right'][0]:.1%} and {scores['half as large'][0]:.1%}")
claims.expect(scores["4 px down and right"][1] > 0.75 and scores["half as large"][1] > 0.65,
              "prepared again, they score 75% or more and 65% or more",
              f"{scores['4 px down and right'][1]:.1%} and {scores['half as large'][1]:.1%}")
claims.expect(thin_score < scores["as in MNIST"][0] - 0.2, "thinner strokes cost over 20 points",
              f"{thin_score:.1%} against {scores['as in MNIST'][0]:.1%}")
print(f"{'strokes 1 px thinner':<24}{thin_score:>10.1%}{'–':>16}")

# %% [markdown]
# Moved four pixels, digits that any person reads at a glance become a guessing game, worse
# than chance (about 4% here): each weight is tied to one pixel position, and the network has
# never seen ink there. Prepared again, they are almost as good as the originals (what is lost
# is what fell off the edge, or the detail of a shrunken digit). Strokes one pixel thinner cost
# about half of the accuracy, and no re-centring helps, which is why the drawing box above gives
# your pen a width in proportion to your digit. Training on moved and distorted copies
# (augmentation, lesson 13) and convolutional networks (beyond this course) are the real cures.

# %% [markdown]
# ## 7 · Why one image per step is slow, and how it is made fast
#
# The book's training loop, written plainly in PyTorch, looks like this (the course's version is
# `mnist_lab.book.train_autograd`):
#
# ```python
# for step in range(steps):
#     i = step % len(x)
#     output = model(x[i : i + 1])               # a batch of ONE image: (1, 10)
#     loss = loss_fn(output, targets[i : i + 1])
#     optimiser.zero_grad()
#     loss.backward()
#     optimiser.step()
# ```
#
# The arithmetic in one step is tiny: about 160,000 multiply-adds forward and twice that
# backward, a few microseconds of work for a CPU. But every line above goes through Python and
# PyTorch's machinery: about fifteen operations, each costing a few microseconds just to
# dispatch, plus autograd's bookkeeping. So the overhead is far larger than the arithmetic, and
# 180,000 steps of this plain loop take minutes: the cell below measures how many on your
# computer (one busy with other work takes much longer). The book's original, which reads each
# image from a pandas table, takes over two minutes on a quiet 2-core CPU.
#
# `mnist_lab.fastpath` computes **the same steps** without that overhead. On a CPU it uses a
# kernel compiled with numba that runs 10,000 steps per call without returning to Python. The
# kernel also skips the black pixels, about 81% of them (lesson 00): a pixel that is 0 adds
# nothing to the weighted sums and gets a zero gradient. On a GPU it uses the same steps written
# as plain tensor operations without autograd. The package's tests check that both give the same
# weights as the plain loop above. The cell below runs that check again, live: two copies of one
# network each train 500 steps, one through the plain autograd loop and one through the fast
# engine, and then we compare their weights and their speed. Your timings are your computer's:
# they change with its speed and with whatever else it is doing, so read the ratio, not the
# microseconds.

# %%
def synchronize():
    """Wait for the GPU to finish, so that timings measure the work, not just its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize()


engine = fastpath.resolve_engine("auto", device)  # "numba" on a CPU, "torch" on a GPU
steps = 500
seed_everything(0)
plain_model = MLP(row.mlp).to(device)
fast_model = copy.deepcopy(plain_model)  # the same starting weights

threads = torch.get_num_threads()
torch.set_num_threads(1)  # one image is too small a job to split between threads
try:
    start = time.perf_counter()
    plain_losses = train_autograd(plain_model, data.x_train, data.y_train, steps=steps)
    synchronize()
    plain_step = (time.perf_counter() - start) / steps
    start = time.perf_counter()
    fast_losses = fastpath.train_per_sample(fast_model, data.x_train, data.y_train,
                                            steps=steps, engine=engine)
    synchronize()
    fast_step = (time.perf_counter() - start) / steps
finally:
    torch.set_num_threads(threads)

gap = max((p - q).abs().max().item()
          for p, q in zip(plain_model.parameters(), fast_model.parameters()))
# The same training, up to the order of float additions (which differs between engines and
# devices): the weights agree far more closely than one step changes them.
assert gap < 1e-4, f"the engines disagree by {gap:.1e}"
assert torch.allclose(plain_losses.cpu(), fast_losses.cpu(), atol=1e-4)
print(f"after {steps:,} steps, all weights agree to within 1e-4")
print(f"plain autograd loop: {plain_step * 1e6:.0f} µs per step, "
      f"about {plain_step * 180_000:.0f} s for 180,000 steps")
print(f"fast engine ({engine}): {fast_step * 1e6:.0f} µs per step, "
      f"about {fast_step * 180_000:.0f} s for 180,000 steps")
print(f"speed-up: {plain_step / fast_step:.0f}×")
if engine == "numba":  # on a GPU both loops are bound by launching tiny kernels: no promise there
    claims.expect(fast_step < plain_step, "the compiled engine is faster than the plain loop",
                  f"{fast_step * 1e6:.0f} against {plain_step * 1e6:.0f} µs per step",
                  "timings are noisy on a busy computer; run the cell again")

# %% [markdown]
# ## Summary
# - The book's baseline is 784 → 200 → 10 with sigmoids (159,010 parameters), trained with MSE
#   and plain SGD (lr 0.01), one image per step in file order, for 3 epochs.
# - It reaches about **87%** test accuracy, as in the book. This is the number the next lessons
#   improve on.
# - Single-image losses are noisy, so read averages. The average drops at once to the
#   image-blind guess (0.09), stays on that plateau for a long time, then creeps down. The
#   gradients are small: lr 0.01, MSE's 2/10, and the slope of saturated sigmoid outputs.
# - The trained network is right on record 19 but unsure (0.75 for "4", 0.36 for "9"). Its
#   mistakes cluster in look-alike pairs: 4↔9, 3↔5.
# - Accuracy is the argmax of the outputs compared with the label.
# - One image per step is slow in plain PyTorch because of per-operation overhead, not
#   arithmetic. `mnist_lab.fastpath` runs the same steps in a compiled kernel, checked against
#   the plain loop.
#
# Next, lesson 02 changes one thing: the loss, from MSE to binary cross-entropy.
