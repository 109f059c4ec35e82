# %% [raw]
# # ASSIGNMENT CONFIG
# name: 07_network_by_hand
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 07 · A network by hand: forward, backward, and the training loop
#
# **You will learn to**
# - write the 784 → 200 → 10 network's forward pass with four plain tensors, no `nn.Module`;
# - derive and write its backward pass, every gradient explicit, no autograd;
# - check those gradients against autograd and against finite differences (and see why the
#   finite differences need float64);
# - write one step of mini-batch SGD, and train the network on MNIST to the same accuracy as
#   `mnist_lab.train.fit`, measured over several seeds.
#
# From lesson 08 on, `fit` trains every network: forward, loss, `loss.backward()`,
# `optimizer.step()`. This lesson opens the box. Everything `backward()` does for this network
# fits on one screen, and once you have written it, the rest of the course is bookkeeping around
# these lines.

# %%
# %matplotlib inline
import torch
from matplotlib.figure import Figure

from mnist_lab import by_hand, claims
from mnist_lab.data import load_splits, minibatches
from mnist_lab.device import get_device, seed_everything
from mnist_lab.ensemble import mean_std
from mnist_lab.losses import cross_entropy
from mnist_lab.metrics import accuracy
from mnist_lab.models import MLP
from mnist_lab.optim import OptimConfig
from mnist_lab.train import TrainConfig, fit

device = get_device()
splits = load_splits(device=device)  # pixels / 255, int64 labels, on the device
x_train, y_train = splits.train
x_test, y_test = splits.test
SLOPE = 0.02  # the book's LeakyReLU slope

# %% [markdown]
# ## 1 · The network is four tensors
#
# The book's network with a LeakyReLU hidden layer and logits at the end (lesson 02's softmax +
# cross-entropy):
#
# $$z_1 = x W_1^\top + b_1,\qquad h = \text{LeakyReLU}(z_1),\qquad z_2 = h W_2^\top + b_2,\qquad
#   L = \frac1B\sum_{i=1}^{B} -\log \text{softmax}(z_{2,i})_{y_i}.$$
#
# For a batch of $B$ images, $x$ is (B, 784), $W_1$ is (200, 784) and $b_1$ (200,), $W_2$ is
# (10, 200) and $b_2$ (10,): the layout of `nn.Linear`'s `weight` and `bias`, so the two can be
# compared number for number. `by_hand.init_params` draws them the way `nn.Linear` does,
# uniformly within $\pm 1/\sqrt{\text{fan-in}}$, on the device.

# %%
params = by_hand.init_params(seed=0, device=device)  # {"W1", "b1", "W2", "b2"}
for name, p in params.items():
    print(f"{name}: {tuple(p.shape)}, {p.numel():,} numbers, within ±{p.abs().max():.3f}")
print(f"{sum(p.numel() for p in params.values()):,} parameters, as MLP() has")

# %% [raw]
# # BEGIN QUESTION
# name: q1_forward
# points: 2

# %% [markdown]
# **Exercise 1 · the forward pass.** Write `forward(W1, b1, W2, b2, x)` returning the tuple
# `(z1, h, logits)`: the hidden pre-activations (B, 200), the hidden activations
# `LeakyReLU(z1)` with slope `SLOPE` = 0.02 (`torch.where(z1 > 0, z1, SLOPE * z1)`), and the
# logits (B, 10). The backward pass will need `z1` and `h`, which is why the forward pass hands
# them back. The check compares all three with `mnist_lab.by_hand.forward`, values and gradients.

# %% [raw]
# # BEGIN SOLUTION

# %%
def forward(W1, b1, W2, b2, x):
    """(z1, h, logits) of the 784-200-10 LeakyReLU network for a batch x (B, 784)."""
    # BEGIN SOLUTION
    z1 = x @ W1.T + b1
    h = torch.where(z1 > 0, z1, SLOPE * z1)
    logits = h @ W2.T + b2
    return z1, h, logits
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_forward_matches_reference(forward):
    import torch

    from mnist_lab import by_hand, checks

    def reference(W1, b1, W2, b2, x):
        cache = by_hand.forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, x)
        return cache.z1, cache.h, cache.logits

    p = by_hand.init_params((12, 7, 4), seed=1, device="cpu")
    x = torch.rand(5, 12, generator=torch.Generator().manual_seed(2))
    checks.check_function(forward, reference, [(p["W1"], p["b1"], p["W2"], p["b2"], x)],
                          name="forward",
                          hint="z1 = x @ W1.T + b1; h = torch.where(z1 > 0, z1, SLOPE * z1); "
                               "logits = h @ W2.T + b2; return z1, h, logits")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_forward_on_the_real_shapes_and_one_image(forward):
    import torch

    from mnist_lab import by_hand, checks

    def reference(W1, b1, W2, b2, x):
        cache = by_hand.forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, x)
        return cache.z1, cache.h, cache.logits

    p = by_hand.init_params(seed=3, device="cpu", dtype=torch.float64)
    x = torch.rand(3, 784, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    checks.check_function(forward, reference, [(p["W1"], p["b1"], p["W2"], p["b2"], x),
                                               (p["W1"], p["b1"], p["W2"], p["b2"], x[:1])],
                          name="forward", quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · The backward pass, one layer at a time
#
# Backpropagation is the chain rule applied from the loss back to each weight, reusing what the
# forward pass kept. Start at the top and walk down:
#
# 1. **Logits.** Lesson 02: the gradient of softmax + cross-entropy with respect to the logits is
#    $p - y$ per sample, with $p$ = softmax($z_2$) and $y$ one-hot; the loss is a mean over the
#    batch, so $\;dz_2 = (p - y)/B\;$ (B, 10).
# 2. **Output layer.** $z_2 = h W_2^\top + b_2$ is linear: $\;dW_2 = dz_2^\top h\;$ (10, 200),
#    $\;db_2 = \sum_{\text{batch}} dz_2\;$ (10,), and the gradient passed down is
#    $\;dh = dz_2\, W_2\;$ (B, 200).
# 3. **Activation.** Elementwise: $\;dz_1 = dh \cdot \text{LeakyReLU}'(z_1)$, where the slope is
#    1 where $z_1 > 0$ and 0.02 elsewhere. (For a sigmoid it would be $h(1 - h)$.)
# 4. **Hidden layer.** Linear again: $\;dW_1 = dz_1^\top x\;$ (200, 784) and
#    $\;db_1 = \sum_{\text{batch}} dz_1\;$ (200,).
#
# A rule that catches most mistakes: **each gradient has the shape of what it is the gradient
# of**. $dW_2$ must be (10, 200) like $W_2$, and the only way to get that from $dz_2$ (B, 10) and
# $h$ (B, 200) is $dz_2^\top h$. The sum over the batch happens inside that matrix product.

# %% [raw]
# # BEGIN QUESTION
# name: q2_backward
# points: 3

# %% [markdown]
# **Exercise 2 · the backward pass.** Write `backward(W1, W2, x, z1, h, logits, labels)` returning
# `(dW1, db1, dW2, db2)`, the gradients of the *mean* softmax cross-entropy over the batch, with
# the four steps above. `labels` is (B,) of integer classes; build $y$ with
# `torch.nn.functional.one_hot(labels, 10)` or subtract 1 at `[torch.arange(B), labels]`. No
# autograd: the check compares your four tensors with what autograd computes for the same loss.

# %% [raw]
# # BEGIN SOLUTION

# %%
def backward(W1, W2, x, z1, h, logits, labels):
    """(dW1, db1, dW2, db2): gradients of the mean softmax cross-entropy, by the chain rule."""
    # BEGIN SOLUTION
    batch = len(labels)
    dz2 = torch.softmax(logits, dim=1)
    dz2[torch.arange(batch, device=labels.device), labels] -= 1.0  # p − y
    dz2 = dz2 / batch
    dW2, db2 = dz2.T @ h, dz2.sum(dim=0)
    dh = dz2 @ W2
    dz1 = dh * torch.where(z1 > 0, 1.0, SLOPE)
    dW1, db1 = dz1.T @ x, dz1.sum(dim=0)
    return dW1, db1, dW2, db2
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_backward_matches_autograd(backward):
    import torch

    from mnist_lab import by_hand, checks

    # 10 outputs, as in the lesson's network: y = one_hot(labels, 10) must work
    p = by_hand.init_params((12, 7, 10), seed=5, device="cpu")
    x = torch.rand(6, 12, generator=torch.Generator().manual_seed(6))
    labels = torch.tensor([0, 3, 1, 1, 2, 0])
    cache = by_hand.forward(p, x)

    def autograd_reference(W1, W2, x, z1, h, logits, labels):
        grads = by_hand.autograd_grads(p, x, labels)
        return tuple(grads[name] for name in by_hand.PARAM_NAMES)

    checks.check_function(backward, autograd_reference,
                          [(p["W1"], p["W2"], x, cache.z1, cache.h, cache.logits, labels)],
                          name="backward", grad=False,
                          hint="dz2 = (softmax(logits) − one_hot(labels)) / B; dW2 = dz2.T @ h; "
                               "db2 = dz2.sum(0); dh = dz2 @ W2; dz1 = dh * (1 where z1 > 0 "
                               "else SLOPE); dW1 = dz1.T @ x; db1 = dz1.sum(0)")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_backward_float64_real_shapes_and_one_image(backward):
    import torch

    from mnist_lab import by_hand, checks

    p = by_hand.init_params(seed=7, device="cpu", dtype=torch.float64)
    x = torch.rand(4, 784, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    cases = []
    for xb, yb in ((x, torch.tensor([9, 0, 4, 4])), (x[:1], torch.tensor([7]))):
        cache = by_hand.forward(p, xb)
        cases.append((p["W1"], p["W2"], xb, cache.z1, cache.h, cache.logits, yb))

    def autograd_reference(W1, W2, x, z1, h, logits, labels):
        grads = by_hand.autograd_grads(p, x, labels)
        return tuple(grads[name] for name in by_hand.PARAM_NAMES)

    checks.check_function(backward, autograd_reference, cases, name="backward", grad=False,
                          atol=1e-10, rtol=1e-8, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3 · Checking gradients twice
#
# `mnist_lab.by_hand` holds the same forward and backward pass (the experiments below use it, so
# they run before you finish). Two independent checks on one batch of 64 real images:
#
# - **against autograd**: the largest difference over all 159,010 gradient entries;
# - **against finite differences**, the check that needs no autograd at all: nudge one weight by
#   $\pm\varepsilon$ and measure how the loss changes,
#   $\;\frac{L(\theta + \varepsilon) - L(\theta - \varepsilon)}{2\varepsilon}$. It is done in
#   **float64**, for a reason the plot after this shows.

# %%
xb, yb = x_train[:64], y_train[:64]
cache = by_hand.forward(params, xb)
grads = by_hand.backward(params, cache, yb)
auto = by_hand.autograd_grads(params, xb, yb)
for name in by_hand.PARAM_NAMES:
    print(f"{name}: largest |by hand − autograd| = {(grads[name] - auto[name]).abs().max():.1e}"
          f"  (largest gradient {auto[name].abs().max():.1e})")
worst = max(((grads[n] - auto[n]).abs().max() / auto[n].abs().max()).item() for n in grads)
claims.expect(worst < 1e-4, "the hand-written gradients equal autograd's to float32 rounding",
              f"largest difference {worst:.1e} of the largest gradient")

# %%
params64 = {name: p.double() for name, p in params.items()}
xb64 = xb.double()
grads64 = by_hand.backward(params64, by_hand.forward(params64, xb64), yb)
gen = torch.Generator().manual_seed(0)
print(f"{'entry':<16} {'by hand':>12} {'finite diff.':>13} {'relative error':>15}")
rel_errors = []
for name in by_hand.PARAM_NAMES:
    candidates = (grads64[name].abs() > 1e-5).nonzero()  # entries this batch moves at all
    for row in torch.randperm(len(candidates), generator=gen)[:2]:  # two random ones
        index = tuple(candidates[int(row)].tolist())
        analytic = grads64[name][index].item()
        numeric = by_hand.finite_difference(params64, xb64, yb, name, index)
        rel = abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12)
        rel_errors.append(rel)
        print(f"{name + str(list(index)):<16} {analytic:>12.4e} {numeric:>13.4e} {rel:>15.1e}")
claims.expect(max(rel_errors) < 1e-6, "finite differences in float64 agree to about 1e-7 or better",
              f"largest relative error {max(rel_errors):.1e}")

# %% [markdown]
# Why float64? The finite difference subtracts two nearly equal losses. Too large an
# $\varepsilon$ and the curvature of the loss spoils the slope; too small and the subtraction
# loses the digits the slope lives in, because a float32 loss has only about 7 significant
# digits. Here is the relative error for one entry of $W_2$, over a range of $\varepsilon$, in both
# precisions:

# %%
name, index = "W2", (4, 17)
eps_grid = [10.0 ** -k for k in range(1, 10)]
errors = {}
for dtype in (torch.float32, torch.float64):
    p_d = {k: v.to(dtype) for k, v in params.items()}
    exact = grads64[name][index].item()
    errors[dtype] = [abs(by_hand.finite_difference(p_d, xb.to(dtype), yb, name, index, eps=e)
                         - exact) / abs(exact) for e in eps_grid]
fig = Figure(figsize=(7, 3.2), layout="constrained")
ax = fig.subplots()
for dtype, errs in errors.items():
    ax.loglog(eps_grid, [max(e, 1e-16) for e in errs], "o-", label=str(dtype).replace("torch.", ""))
ax.set(xlabel="ε", ylabel="relative error of the finite difference",
       title=f"checking d loss / d {name}{list(index)}")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
best32, best64 = min(errors[torch.float32]), min(errors[torch.float64])
print(f"best relative error: float32 {best32:.1e}, float64 {best64:.1e}")
claims.expect(best64 < best32 / 100, "float64 checks gradients far more precisely than float32",
              f"best float32 {best32:.1e}, best float64 {best64:.1e}")
fig

# %% [markdown]
# Both curves are V-shaped: the error first falls with $\varepsilon$ (less curvature), then rises
# again (more rounding). float64's best is about four orders of magnitude below float32's, and
# float32 goes wrong quickly once $\varepsilon$ is small. In float32 a small bug in a backward
# pass, a gradient off by a few parts in a million, would hide in the rounding.

# %% [raw]
# # BEGIN QUESTION
# name: q3_train_step
# points: 2

# %% [markdown]
# **Exercise 3 · one step of SGD.** Write `train_step(W1, b1, W2, b2, x, labels, lr)`: run your
# `forward`, measure the loss (`cross_entropy(logits, labels)`, lesson 02's, imported above), run
# your `backward`, and return the *new* parameters and the loss,
# `(W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2, loss)`. Build new tensors rather
# than changing the inputs in place. The check compares all five with one step of the reference.

# %% [raw]
# # BEGIN SOLUTION

# %%
def train_step(W1, b1, W2, b2, x, labels, lr):
    """One SGD step on the batch: (new W1, b1, W2, b2, the batch's loss before the step)."""
    # BEGIN SOLUTION
    z1, h, logits = forward(W1, b1, W2, b2, x)
    loss = cross_entropy(logits, labels)
    dW1, db1, dW2, db2 = backward(W1, W2, x, z1, h, logits, labels)
    return W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2, loss
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_train_step_matches_reference(train_step):
    import torch

    from mnist_lab import by_hand, checks

    def reference(W1, b1, W2, b2, x, labels, lr):
        p = {"W1": W1.clone(), "b1": b1.clone(), "W2": W2.clone(), "b2": b2.clone()}
        cache = by_hand.forward(p, x)
        loss = by_hand.loss(cache.logits, labels)
        by_hand.sgd_step(p, by_hand.backward(p, cache, labels), lr)
        return p["W1"], p["b1"], p["W2"], p["b2"], loss

    # 10 outputs, as in the lesson's network: y = one_hot(labels, 10) must work
    p = by_hand.init_params((12, 7, 10), seed=9, device="cpu")
    x = torch.rand(5, 12, generator=torch.Generator().manual_seed(10))
    labels = torch.tensor([1, 0, 3, 2, 2])
    checks.check_function(train_step, reference,
                          [(p["W1"], p["b1"], p["W2"], p["b2"], x, labels, 0.5)],
                          name="train_step", grad=False,
                          hint="z1, h, logits = forward(...); loss = cross_entropy(logits, "
                               "labels); grads = backward(...); return each parameter minus lr "
                               "times its gradient, then the loss")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_train_step_lowers_the_loss_on_its_batch(train_step):
    import torch

    from mnist_lab import by_hand

    # 10 outputs, as in the lesson's network: y = one_hot(labels, 10) must work
    p = by_hand.init_params((12, 7, 10), seed=11, device="cpu", dtype=torch.float64)
    x = torch.rand(8, 12, generator=torch.Generator().manual_seed(12), dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    W1, b1, W2, b2, before = train_step(p["W1"], p["b1"], p["W2"], p["b2"], x, labels, 0.1)
    after = by_hand.loss(by_hand.forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, x).logits,
                         labels)
    assert float(after) < float(before), (
        f"one small step should lower the batch's loss, but it went {float(before):.4f} → "
        f"{float(after):.4f}; is the update p - lr * grad (minus, not plus)?")


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 4 · The training loop, and `fit` beside it
#
# The loop is what you would now write around `train_step`: shuffle the indices every epoch,
# cut them into mini-batches, take one step per batch. `by_hand.train` is that loop, with the
# same seeded shuffle as `fit`. The setting: the first 20,000 training images, 2 epochs, batches
# of 64, plain SGD at lr 0.1 (313 batches per epoch, 626 steps). First the strongest check
# there is: start `fit` and the loop from the **same** initial weights (copied from one `MLP`)
# with the same seed, so they see the same batches in the same order. If the hand-written
# gradients are right, the two must end with the same weights after all 626 steps, up to float
# rounding: the two sum in different orders, and a rounding difference, once made, is carried
# and slightly grown by every later step. So we compare the gap with how far training moved
# the weights: a wrong gradient would give gaps as large as the moves themselves.

# %%
N_TRAIN, EPOCHS, BATCH, LR = 20_000, 2, 64, 0.1
xs, ys = x_train[:N_TRAIN], y_train[:N_TRAIN]


def fit_config(seed):
    """fit's setting for the comparison: plain SGD, softmax + CE, the loop's batches."""
    return TrainConfig(epochs=EPOCHS, batch_size=BATCH, loss="cross_entropy",
                       optim=OptimConfig("sgd", lr=LR), seed=seed, progress=False)


seed_everything(0)
model = MLP(hidden_activation="leaky_relu", output_activation="none")  # logits out
initial = by_hand.params_from_mlp(model)  # kept, to see how far training moves the weights
same_start = by_hand.params_from_mlp(model)  # a copy of its initial weights, trained by hand
hand_losses = by_hand.train(same_start, xs, ys, epochs=EPOCHS, batch_size=BATCH, lr=LR, seed=0)
history = fit(model, (xs, ys), fit_config(seed=0))
final = by_hand.params_from_mlp(model)
gap = max((same_start[n] - final[n]).abs().max().item() for n in by_hand.PARAM_NAMES)
moved = max((final[n] - initial[n]).abs().max().item() for n in by_hand.PARAM_NAMES)
print(f"after {len(hand_losses)} steps: largest weight difference, by hand vs fit: {gap:.1e}; "
      f"largest change of a weight during training: {moved:.2f}")
claims.expect(gap < 0.01 * moved, "from the same start, the loop and fit end with the same "
              "weights, up to rounding: under 1% of how far training moved them",
              f"largest difference {gap:.1e}, largest move {moved:.2f}",
              "the two sum in different orders, so float32 rounding differs slightly, and 626 "
              "steps let that grow; a wrong gradient gives differences as large as the moves")

fig = Figure(figsize=(8, 3), layout="constrained")
ax = fig.subplots()
ax.plot(range(1, len(hand_losses) + 1), hand_losses, lw=0.8, label="by hand (every step)")
ax.plot(history.steps, history.step_losses, "o", ms=3, label="fit (every 10th step)")
ax.set(xlabel="step", ylabel="mini-batch loss", ylim=(0, 2.5), title="the same run, twice")
ax.grid(True)
ax.legend()
fig

# %% [markdown]
# The curves lie on top of each other. Now the fair comparison of the two *methods*, from
# independent runs: the loop trains with seeds 101–103 and `fit` with seeds 1–3, so their
# initial weights and batch orders all differ. (`by_hand.init_params` draws its weights the way
# `nn.Linear` does, so on the CPU the same seed would simply repeat the run above.) The question
# is whether the two sets of test accuracies differ by more than the spread from seed to seed.
# Three seeds each:

# %%
SEEDS = (1, 2, 3)
HAND_SEEDS = tuple(100 + seed for seed in SEEDS)  # the loop's own seeds: independent runs
acc = {"by hand": [], "fit": []}
for seed, hand_seed in zip(SEEDS, HAND_SEEDS):
    p = by_hand.init_params(seed=hand_seed, device=device)
    by_hand.train(p, xs, ys, epochs=EPOCHS, batch_size=BATCH, lr=LR, seed=hand_seed)
    acc["by hand"].append(100 * by_hand.accuracy(p, x_test, y_test))
    seed_everything(seed)
    model = MLP(hidden_activation="leaky_relu", output_activation="none")
    fit(model, (xs, ys), fit_config(seed))
    acc["fit"].append(100 * accuracy(model, x_test, y_test))
summary = {name: mean_std(values) for name, values in acc.items()}
for name, (mean, std) in summary.items():
    seeds = HAND_SEEDS if name == "by hand" else SEEDS
    print(f"{name:<8} test accuracy {mean:.2f} ± {std:.2f}%  (seeds {seeds}: "
          + ", ".join(f"{a:.2f}" for a in acc[name]) + ")")
difference = summary["by hand"][0] - summary["fit"][0]
spread = max(summary["by hand"][1], summary["fit"][1])
print(f"difference of the means: {difference:+.2f} points; seed-to-seed std up to {spread:.2f}")
claims.expect(abs(difference) < 3 * max(spread, 0.1),
              "the loop by hand and fit reach the same accuracy, within noise",
              f"{difference:+.2f} points against a spread of {spread:.2f}")

fig = Figure(figsize=(6, 3), layout="constrained")
ax = fig.subplots()
ax.bar(list(summary), [m for m, _ in summary.values()], yerr=[s for _, s in summary.values()],
       capsize=6, color=["C2", "C0"])
for i, name in enumerate(summary):
    ax.plot([i] * len(SEEDS), acc[name], "k.", zorder=3)
low = min(min(v) for v in acc.values())
ax.set(ylim=(low - 2, 100), ylabel="test accuracy (%)",
       title="20,000 images, 2 epochs (mean ± std, dots: seeds)")
fig

# %% [markdown]
# The two agree within noise: the difference of the means is of the size of the seed-to-seed
# spread. Nothing in `fit` is magic. Its extra lines (learning-rate schedules, validation,
# early stopping, NaN checks, callbacks) change *when* and *how far* it steps, never the gradient.
#
# ## Summary
# - The network is four tensors. The forward pass keeps $z_1$ and $h$; the backward pass reuses
#   them from the top down: $dz_2 = (p - y)/B$, then $dW_2 = dz_2^\top h$, $db_2 = \sum dz_2$,
#   $dh = dz_2 W_2$, $dz_1 = dh \cdot \text{act}'(z_1)$, $dW_1 = dz_1^\top x$, $db_1 = \sum dz_1$.
# - Every gradient has the shape of its parameter; that rule alone catches most transposes.
# - Check a backward pass twice: against autograd, and by central finite differences in float64
#   (float32 has too few digits for the subtraction).
# - One SGD step is `p - lr * grad` for each parameter; the loop shuffles, batches and steps.
#   From the same start it follows `fit` step for step, and from independent starts it reaches
#   the same accuracy, within the seed-to-seed spread.
