# %% [raw]
# # ASSIGNMENT CONFIG
# name: 14_initialisation_and_stability
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # 14 · Initialisation and numerical stability
#
# **You will learn to**
# - predict how the scale of the initial weights makes the signals of a deep network shrink to
#   nothing or blow up, layer after layer;
# - compare the usual initialisations: `0.02·randn`, `scale/√fan_in`, Xavier and Kaiming;
# - measure activations and gradients per layer in a 20-layer network, with sigmoid and with ReLU;
# - use residual connections to train a network that is otherwise too deep to learn;
# - recognise a run that explodes into NaN, read what `mnist_lab` reports, and rescue it with
#   gradient-norm clipping;
# - compute Xavier and Kaiming scales and write gradient clipping yourself.
#
# A network is a long chain of multiplications. The forward pass multiplies the input by one
# weight matrix after another; backpropagation multiplies the gradient by the same matrices (and
# the activations' slopes) on the way back. Multiply twenty numbers that are each a little below
# 1 and you get almost 0; a little above 1 and you get a huge number. Lesson 03 measured the
# gradients of a deep sigmoid network shrinking towards the input, and lesson 08 showed a run
# whose loss exploded because the learning rate was too high. This lesson looks at the causes:
# the scale of the initial weights, the activation function, and the depth. It then shows the
# two standard defences, residual connections and gradient clipping.

# %%
# %matplotlib inline
import math

import numpy as np
import torch
from matplotlib.figure import Figure  # for the lesson's own small figures

from mnist_lab import stability
from mnist_lab.claims import expect
from mnist_lab.data import Splits, load_splits, stratified_subset
from mnist_lab.device import get_device, seed_everything
from mnist_lab.inspect import activation_stats, gradient_norms
from mnist_lab.losses import make_loss
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.train import Callback, TrainConfig, TrainingDiverged, fit

device = get_device()
splits = load_splits(val_size=10_000, device=device)  # pixels / 255; 50k train, 10k validation
keep = stratified_subset(splits.train[1], 10_000)  # 1,000 of each digit: short runs
data = Splits((splits.train[0][keep], splits.train[1][keep]), splits.val)
probe_x, probe_y = data.train[0][:1000], data.train[1][:1000]  # one batch for measurements
cross_entropy = make_loss("cross_entropy")
print(f"training images {tuple(data.train[0].shape)}, probe batch {tuple(probe_x.shape)}")


def deep_mlp(activation: str, init: str, scale: float = 1.0, width: int = 256,
             residual: bool = False) -> MLP:
    """A fresh 20-layer MLP, 784 → 19 hidden layers of `width` → 10 logits, from seed 0."""
    seed_everything(0)
    cfg = MLPConfig(sizes=(784, *[width] * 19, 10), hidden_activation=activation,
                    output_activation="none", init=init, init_scale=scale, residual=residual)
    return MLP(cfg).to(device)


def per_layer(model: MLP) -> tuple[np.ndarray, np.ndarray]:
    """(std of each Linear layer's output, norm of each Linear weight's gradient) on the probe."""
    stds = np.array([row["std"] for row in activation_stats(model, probe_x)])
    grads = np.array(list(gradient_norms(model, probe_x, probe_y, cross_entropy).values()))
    return stds, grads


WHY_DEPTH = ("another depth, width, scale or seed changes how far the signal grows or shrinks; "
             "the claim is about the 20-layer networks set up here")


# %% [markdown]
# ## 1 · How big should the first weights be?
#
# Take one layer, `z = W·x`, with `fan_in` inputs that have variance `v` and weights drawn
# independently with standard deviation `σ`. Each output is a sum of `fan_in` products, so its
# variance is
#
# ```
# Var(z) = fan_in · σ² · v
# ```
#
# The signal keeps its size only when `fan_in · σ² = 1`, that is `σ = 1/√fan_in`. A ReLU then
# sets half of its inputs to zero, which halves the variance passed on. Stack 20 layers and any
# factor other than 1 is raised to the 20th power. The common recipes:
#
# | recipe | std of the weights | idea |
# |---|---|---|
# | `0.02·randn` | 0.02 | one small number for every layer (GPT-2 uses it, with tricks on top) |
# | `scale/√fan_in` | scale/√fan_in | LeCun's scaling; scale 1 keeps linear layers' variance |
# | Xavier (Glorot) | √(2/(fan_in + fan_out)) | keep signals forward *and* gradients back (tanh) |
# | Kaiming (He) | √(2/fan_in) | the factor 2 makes up for the half a ReLU zeroes |
#
# `MLPConfig(init=..., init_scale=...)` selects each of them; `mnist_lab.stability.init_std`
# gives the standard deviations. The cell builds the same 20-layer ReLU network with each
# recipe (and one deliberately too large, `3/√fan_in`), sends 1,000 images through it, and
# measures the spread (std) of every layer's output and the size (L2 norm) of every layer's
# weight gradient.

# %%
INITS = {  # label -> (MLPConfig.init, init_scale)
    "0.02·randn": ("normal", 0.02),
    "0.1/√fan_in": ("scaled", 0.1),
    "1/√fan_in": ("scaled", 1.0),
    "Xavier": ("xavier", 1.0),
    "Kaiming": ("kaiming", 1.0),
    "3/√fan_in": ("scaled", 3.0),
}
for label, (init, scale) in INITS.items():
    std = stability.init_std(init, 256, 256, scale)
    print(f"{label:<12} std of a 256 → 256 layer's weights: {std:.4f}")
relu_stats = {label: per_layer(deep_mlp("relu", init, scale))
              for label, (init, scale) in INITS.items()}
last_std = {label: stds[-1] for label, (stds, _) in relu_stats.items()}

expect(bool(last_std["0.02·randn"] < 1e-10 and last_std["0.1/√fan_in"] < 1e-20),
       "with 0.02·randn and 0.1/√fan_in the signal vanishes by the last layer", why=WHY_DEPTH)
expect(bool(not relu_stats["0.1/√fan_in"][1].any()),
       "with 0.1/√fan_in the gradients underflow to exactly 0", why=WHY_DEPTH)
expect(bool(1e-4 < last_std["1/√fan_in"] < 1e-2),
       "1/√fan_in: ÷√2 per layer, about 1/500 after 18 halvings", why=WHY_DEPTH)
expect(bool(abs(last_std["Xavier"] / last_std["1/√fan_in"] - 1) < 1),
       "Xavier and 1/√fan_in agree on square layers", why=WHY_DEPTH)
kaiming_stds = relu_stats["Kaiming"][0]
expect(bool(kaiming_stds.max() / kaiming_stds.min() < 2),
       "Kaiming keeps the signal about the same size in every layer", why=WHY_DEPTH)
expect(bool(last_std["3/√fan_in"] > 1e5), "3/√fan_in explodes", why=WHY_DEPTH)


# %%
def plot_per_layer(results: dict, title: str) -> Figure:
    """Two log-scale panels: output std and weight-gradient norm against the layer number."""
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for label, (stds, grads) in results.items():
        layers = np.arange(1, len(stds) + 1)
        axes[0].plot(layers, stds, "o-", markersize=3, label=label)
        axes[1].plot(layers, grads, "o-", markersize=3, label=label)
    axes[0].set_title(f"{title}: spread of each layer's output")
    axes[0].set_ylabel("std of W·x + b")
    axes[1].set_title(f"{title}: size of each layer's gradient")
    axes[1].set_ylabel("‖∂loss/∂W‖")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = next to the input)")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig


plot_per_layer(relu_stats, "ReLU, 20 layers")

# %% [markdown]
# Read the left panel from left to right, the direction of the forward pass:
#
# - **Too small** (`0.02·randn`, `0.1/√fan_in`): each layer multiplies the signal by far less
#   than 1. After 20 layers its spread is 10⁻¹³ or 10⁻²⁴: the output no longer depends on the
#   image at all. The gradients (right) are just as tiny, because each layer's weight gradient
#   is its input times the gradient arriving from above, and both are small. With
#   `0.1/√fan_in` they fall below the smallest float32 and become exactly zero, which a log
#   axis cannot draw: that network cannot learn at all.
# - **`1/√fan_in` and Xavier** (equal for square layers): right for a *linear* layer, but each
#   ReLU halves the variance, so the signal still loses a factor √2 per layer, about 500 over the
#   network.
# - **Kaiming**: the factor 2 cancels the ReLU's halving; the signal and the gradients keep
#   their size through all 20 layers.
# - **Too large** (`3/√fan_in`): each layer multiplies the signal by about 2. The output is
#   millions of times larger than the input and so are the gradients: the first SGD step would
#   throw the weights far away. This is exploding.
#
# Kaiming is not magic: its factor comes from the activation. It is `MLPConfig(init="kaiming")`
# for ReLU-type layers, and PyTorch's default init (lesson 03) is smaller still, std
# 1/√(3·fan_in), fine for the shallow networks of the book but not for 20 layers.

# %% [raw]
# # BEGIN QUESTION
# name: q1_init_std
# points: 2

# %% [markdown]
# **Exercise 1 · Xavier and Kaiming scales.** Write `init_std(scheme, fan_in, fan_out)`, the
# standard deviation of the normal distribution a Linear layer with `fan_in` inputs and
# `fan_out` outputs draws its weights from: `√(2/(fan_in + fan_out))` for `"xavier"` and
# `√(2/fan_in)` for `"kaiming"`. Return a number (a Python float, or a 0-d tensor). The check
# compares with `mnist_lab.stability.init_std` for several layer shapes.

# %% [raw]
# # BEGIN SOLUTION

# %%
def init_std(scheme, fan_in, fan_out):
    """The std of the initial weights of a fan_in → fan_out layer, Xavier or Kaiming."""
    # BEGIN SOLUTION
    if scheme == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))  # average of the two directions
    return math.sqrt(2.0 / fan_in)  # kaiming: 2 because a ReLU zeroes half its inputs
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_init_std_matches_reference(init_std):
    from mnist_lab import checks, stability

    shapes = [(784, 200), (200, 10), (256, 256)]
    cases = [(scheme, n_in, n_out) for scheme in ("xavier", "kaiming") for n_in, n_out in shapes]
    checks.check_function(init_std, stability.init_std, cases, name="init_std", grad=False,
                          atol=1e-9, rtol=1e-6,
                          hint="xavier: sqrt(2 / (fan_in + fan_out)); kaiming: sqrt(2 / fan_in)")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_init_std_odd_shapes(init_std):
    from mnist_lab import checks, stability

    # one input, one output, very wide, very unequal fans: Kaiming ignores fan_out
    shapes = [(1, 1), (1, 1000), (1000, 1), (4096, 3), (3, 4096), (100_000, 10)]
    cases = [(scheme, n_in, n_out) for scheme in ("xavier", "kaiming") for n_in, n_out in shapes]
    checks.check_function(init_std, stability.init_std, cases, name="init_std", grad=False,
                          atol=1e-12, rtol=1e-6, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 2 · Sigmoid against ReLU
#
# The initialisation sets the first factor of the chain; the activation adds its slope to every
# link on the way back. A sigmoid's slope is at most 0.25, so backpropagation multiplies by at
# most 0.25 per layer *on top* of the weights. Below, each activation gets the init made for it
# (Xavier for sigmoid and tanh, Kaiming for ReLU), so the only difference is the activation.

# %%
PAIRS = {"sigmoid + Xavier": ("sigmoid", "xavier"), "tanh + Xavier": ("tanh", "xavier"),
         "ReLU + Kaiming": ("relu", "kaiming")}
act_stats = {label: relu_stats["Kaiming"] if act == "relu" else per_layer(deep_mlp(act, init))
             for label, (act, init) in PAIRS.items()}
first_to_last = {label: grads[0] / grads[-1] for label, (_, grads) in act_stats.items()}
for label, ratio in first_to_last.items():
    print(f"{label:<17} gradient at layer 1 / gradient at layer 20: {ratio:.0e}")

sigmoid_stds = act_stats["sigmoid + Xavier"][0]
expect(bool(sigmoid_stds.min() > 0.3 and sigmoid_stds.max() < 1.5),
       "sigmoid + Xavier: the forward signal keeps its size...", why=WHY_DEPTH)
expect(bool(first_to_last["sigmoid + Xavier"] < 1e-9),
       "...but the gradient vanishes towards the input", why=WHY_DEPTH)
expect(bool(1e-2 < first_to_last["tanh + Xavier"] < 10),
       "tanh's slope is 1 at 0: it survives", why=WHY_DEPTH)
expect(bool(0.3 < first_to_last["ReLU + Kaiming"] < 3),
       "ReLU's slope is 1 where it is active", why=WHY_DEPTH)

plot_per_layer(act_stats, "20 layers")

# %% [markdown]
# With sigmoids the forward signal looks healthy: every layer's output has a spread near 0.5.
# The gradient tells another story. It shrinks by a factor of about 4 per layer on the way back,
# and the first layer receives a gradient about 10¹² times smaller than the last. Its weights
# will not move during training: the network behaves as if its first layers were frozen at
# random. Tanh, whose slope is 1 at 0, and ReLU, whose slope is exactly 1 wherever it is active,
# pass the gradient back at about the same size. That, together with Kaiming's init, is why deep
# networks switched to ReLU-type activations.

# %% [markdown]
# ## 3 · Residual connections: sums instead of products
#
# Even with a good activation and a good init, the product of 20 random matrices is fragile, and
# it drifts during training as the weights change. A **residual connection** changes the chain
# itself. Instead of `x_next = f(x)` each block computes
#
# ```
# x_next = x + f(x)
# ```
#
# so its derivative is `1 + f'(x)`. Multiply twenty of those and you get 1 plus a sum of terms,
# one for each path through the network; the gradient can flow straight through the `x` path
# to the first layer, however small the `f'` factors are. ResNets made networks of a hundred
# layers and more trainable this way, and every transformer uses the same trick.
#
# `MLPConfig(residual=True)` adds the skip around every hidden layer whose input and output
# widths are equal. The cell builds 20-layer networks of width 128 with PyTorch's default init,
# with sigmoid and with ReLU, each plain and residual, from the same seed. It measures the
# gradient at the first layer, then trains each one for one epoch with Adam.

# %%
EPOCH = TrainConfig(epochs=1, batch_size=128, loss="cross_entropy", log_every=2, progress=False)
residual_runs = {}
for act in ("sigmoid", "relu"):
    for residual in (False, True):
        model = deep_mlp(act, "default", width=128, residual=residual)
        first_grad = per_layer(model)[1][0]
        history = fit(model, data, EPOCH)
        name = f"{act}, {'residual' if residual else 'plain'}"
        residual_runs[name] = (first_grad, history)
        print(f"{name:<17} gradient at layer 1 {first_grad:.0e}, "
              f"validation accuracy after one epoch {history.val_acc[-1]:.1%} "
              f"({history.seconds[-1]:.1f} s)")

for act in ("sigmoid", "relu"):
    plain, residual = residual_runs[f"{act}, plain"], residual_runs[f"{act}, residual"]
    expect(residual[0] > 1e6 * plain[0], f"{act}: the residual net's first-layer gradient is over "
           "a million times the plain net's", f"{residual[0]:.0e} vs {plain[0]:.0e}", WHY_DEPTH)
    expect(plain[1].val_acc[-1] < 0.15, f"{act}, plain: no better than guessing after one epoch",
           f"{plain[1].val_acc[-1]:.1%}", WHY_DEPTH)
    expect(residual[1].val_acc[-1] > 0.7, f"{act}, residual: over 70% after one epoch",
           f"{residual[1].val_acc[-1]:.1%}", WHY_DEPTH)

# %%
fig = Figure(figsize=(12, 4), layout="constrained")
axes = fig.subplots(1, 2)
names = list(residual_runs)
colours = ["C0", "C1", "C2", "C3"]
axes[0].bar(names, [first_grad for first_grad, _ in residual_runs.values()], color=colours)
axes[0].set_yscale("log")
axes[0].set_title("gradient at layer 1 of 20, before training")
axes[0].set_ylabel("‖∂loss/∂W₁‖")
for name, (_, history), colour in zip(names, residual_runs.values(), colours):
    axes[1].plot(history.steps, history.step_losses, color=colour, label=name)
axes[1].axhline(math.log(10), color="gray", linestyle=":", label="log 10: guessing")
axes[1].set_title("training loss, one epoch")
axes[1].set_xlabel("step")
axes[1].set_ylabel("cross-entropy")
axes[1].set_ylim(0, 6)
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(True, alpha=0.3)
    ax.tick_params(axis="x", labelsize=8)
fig

# %% [markdown]
# The plain networks never leave `log 10`, the loss of a uniform guess: their first layers get
# gradients a million or more times smaller than the residual ones, and nothing useful reaches
# the output through 19 layers of random weights. The same layers with skips train to over 70%
# in one epoch. Notice, too, the early spikes of the residual networks' loss: a sum of twenty
# paths can also be *large*, which is the next topic.

# %% [markdown]
# ## 4 · Exploding into NaN, and gradient clipping
#
# Exploding is the mirror image of vanishing: a gradient so large that one step throws the
# weights far off, the next gradient is larger still, and within a few steps the numbers exceed
# the largest float32 (about 3·10³⁸). They become `inf`, and `inf − inf` is `NaN`. From then on
# every number the network computes is `NaN`. `fit` checks the loss every `check_every` steps
# and stops with a `TrainingDiverged` error that says where it happened and what to try.
#
# The residual ReLU network above trained well with Adam, which scales every step to about the
# learning rate. With plain SGD at lr 0.1 its large early gradients become large steps. The cell
# trains it with `check_every=1`, so the error names the exact step, and a small callback keeps
# the loss and the total gradient norm of every step, which survive the error.

# %%
class StepLog(Callback):
    """The loss and the global gradient norm (after clipping) of every step."""

    def on_train_begin(self, state):
        self.losses, self.grad_norms = [], []

    def on_step_end(self, state):
        grads = [p.grad for p in state.model.parameters() if p.grad is not None]
        self.losses.append(state.loss)
        self.grad_norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))


CLIP = 5.0
logs, clip_runs = {}, {}
for clip in (None, CLIP):
    sgd = OptimConfig("sgd", lr=0.1, clip_grad_norm=clip)
    config = TrainConfig(epochs=1, batch_size=128, loss="cross_entropy", optim=sgd,
                         check_every=1, progress=False)
    logs[clip] = StepLog()
    try:
        clip_runs[clip] = fit(deep_mlp("relu", "default", width=128, residual=True), data, config,
                              callbacks=[logs[clip]])
    except TrainingDiverged as error:
        print(error)
        diverged = error

expect(bool(None not in clip_runs and "clip_grad_norm" in str(diverged)),
       "unclipped, the run diverges and the error suggests clipping", why=WHY_DEPTH)
unclipped_norms = torch.stack(logs[None].grad_norms).tolist()
clipped_norms = torch.stack(logs[CLIP].grad_norms).tolist()
clipped = clip_runs[CLIP]
print(f"\nclipped at {CLIP:g}: {len(clipped_norms)} steps, largest gradient norm after clipping "
      f"{max(clipped_norms):.2f}, validation accuracy {clipped.val_acc[-1]:.1%}")
expect(bool(len(unclipped_norms) < 20 and max(unclipped_norms) > 100 * CLIP),
       "unclipped, the gradient norm blew up within 20 steps", why=WHY_DEPTH)
assert max(clipped_norms) <= CLIP * (1 + 1e-4)  # clipping bounds every step: always true
expect(clipped.val_acc[-1] > 0.3, "the clipped run trains: far above the 10% of guessing",
       f"{clipped.val_acc[-1]:.1%}", "one epoch of a 20-layer net at a clipped, high rate is a "
       "bumpy ride: its accuracy after one epoch moves a lot with the seed and the device")

# %%
fig = Figure(figsize=(12, 4), layout="constrained")
axes = fig.subplots(1, 2)
for clip, label in ((None, "no clipping"), (CLIP, f"clipped at {CLIP:g}")):
    losses = torch.stack(logs[clip].losses).tolist()
    norms = torch.stack(logs[clip].grad_norms).tolist()
    steps = np.arange(1, len(losses) + 1)
    axes[0].plot(steps, losses, "o-" if clip is None else "-", markersize=3, label=label)
    axes[1].plot(steps, norms, "o-" if clip is None else "-", markersize=3, label=label)
axes[1].axhline(CLIP, color="gray", linestyle=":", label="max_norm")
axes[0].set_title("training loss (missing points are inf or NaN)")
axes[0].set_ylabel("cross-entropy")
axes[1].set_title("global gradient norm used for the step")
axes[1].set_ylabel("‖g‖ over all parameters")
for ax in axes:
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
    ax.legend()
fig

# %% [markdown]
# Without clipping the gradient norm grows by orders of magnitude in a few steps, and the loss
# turns to `NaN`: `fit` stops and its message lists the likely causes, a too-high learning rate
# first, then missing gradient clipping, then the initialisation.
#
# **Gradient-norm clipping** treats all gradients of the network as one long vector `g`. If
# its length `‖g‖` exceeds a threshold `max_norm`, every gradient is multiplied by
# `max_norm / ‖g‖`:
#
# ```
# g ← g · min(1, max_norm / ‖g‖)
# ```
#
# The direction of the step stays the same; only its length is bounded, so no single SGD step
# can move the weights by more than `lr · max_norm`. A threshold of 5 to 15 is usual: large enough
# that ordinary steps are never touched, small enough to stop an explosion. In `mnist_lab` it is
# `OptimConfig(clip_grad_norm=5.0)`. Here the same network, learning rate and batches reach
# over 50% after one epoch. Clipping does not fix a learning rate that is far too high, but it
# turns the rare huge step into an ordinary one, which is why it is standard in training
# transformers and recurrent networks.

# %% [raw]
# # BEGIN QUESTION
# name: q2_clip_grad_norm
# points: 2

# %% [markdown]
# **Exercise 2 · gradient clipping.** Write `clip_grad_norm(grads, max_norm)`. `grads` is a list
# of gradient tensors of any shapes. Compute their global norm, the square root of the sum of
# the squares of *all* their entries; if it is larger than `max_norm`, return the list with every
# tensor multiplied by `max_norm / norm`, otherwise return them unchanged. Return new tensors
# (`g * factor`), don't change the inputs in place. PyTorch adds 1e-6 to the norm to avoid a
# division by zero; with or without it, your answer passes.

# %% [raw]
# # BEGIN SOLUTION

# %%
def clip_grad_norm(grads, max_norm):
    """The gradients rescaled so that their global norm is at most max_norm."""
    # BEGIN SOLUTION
    norm = torch.sqrt(sum((g**2).sum() for g in grads))  # all entries as one long vector
    if norm <= max_norm:
        return list(grads)
    return [g * (max_norm / norm) for g in grads]
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_clip_grad_norm_matches_reference(clip_grad_norm):
    import torch

    from mnist_lab import checks, stability

    gen = torch.Generator().manual_seed(0)
    grads = [torch.randn(4, 3, generator=gen), torch.randn(3, generator=gen),
             torch.randn(2, 4, generator=gen)]
    small = [0.01 * g for g in grads]  # a norm below the max: returned unchanged
    cases = [(grads, 1.0), ([10 * g for g in grads], 5.0), (small, 10.0)]
    checks.check_function(clip_grad_norm, stability.clip_grad_norm, cases, name="clip_grad_norm",
                          grad=False,
                          hint="norm = sqrt of the sum of g**2 over ALL tensors; only if norm > "
                               "max_norm, multiply every tensor by max_norm / norm; return new "
                               "tensors")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_clip_grad_norm_edge_cases(clip_grad_norm):
    import torch

    from mnist_lab import checks, stability

    gen = torch.Generator().manual_seed(1)
    small = [0.01 * torch.randn(5, generator=gen), 0.01 * torch.randn(2, 2, generator=gen)]
    big64 = [100 * torch.randn(3, 3, generator=gen, dtype=torch.float64)]
    cases = [(small, 10.0),  # norm below the max: unchanged
             ([torch.zeros(3), torch.zeros(2, 2)], 1.0),  # zero gradients stay zero, no NaN
             (big64, 0.5),  # float64, one tensor
             ([torch.full((1,), 3.0), torch.full((1,), 4.0)], 5.0)]  # norm exactly at the max
    checks.check_function(clip_grad_norm, stability.clip_grad_norm, cases, name="clip_grad_norm",
                          grad=False, quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - Every layer multiplies the signal forward and the gradient backward. Over 20 layers a
#   factor a little below 1 makes them **vanish**; a little above 1 makes them **explode**.
# - The init scale sets that factor. `0.02·randn` and `0.1/√fan_in` vanish in a deep ReLU
#   network, `3/√fan_in` explodes, `1/√fan_in` and Xavier lose √2 per ReLU layer, and
#   **Kaiming** (√(2/fan_in)) keeps the signal and the gradients the same size in every layer.
#   Xavier suits tanh-like layers, Kaiming ReLU-like ones.
# - Sigmoid layers shrink the gradient by about 4 per layer even with a good init: the first of
#   20 layers gets 10¹² times less than the last. Tanh and ReLU pass it back intact.
# - **Residual connections**, `x + f(x)`, turn the product into a sum with a direct path for the
#   gradient: 20-layer networks that could not learn at all trained to over 70% in one epoch.
# - An explosion ends in `inf` and `NaN`. `fit` raises `TrainingDiverged` with the step and the
#   likely causes. **Gradient-norm clipping** (`OptimConfig(clip_grad_norm=5.0)`, 5–15 is usual)
#   bounds every step's length and rescued the diverging run.
# - Lesson 15 turns to the optimisers themselves: how each one chooses the size of its steps.
