# %% [raw]
# # ASSIGNMENT CONFIG
# name: 99_demo
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # Demo lesson

# %%
import torch
from mnist_lab import checks

# %% [raw]
# # BEGIN QUESTION
# name: leaky_relu
# points: 2

# %% [markdown]
# **Exercise 1.** Write `leaky_relu(x, slope)`.

# %% [raw]
# # BEGIN SOLUTION

# %%
def leaky_relu(x, slope=0.02):
    # BEGIN SOLUTION
    return torch.where(x > 0, x, slope * x)
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_matches_reference(leaky_relu):
    from mnist_lab import checks
    import torch
    ref = lambda x, slope=0.02: torch.where(x > 0, x, slope * x)
    checks.check_function(leaky_relu, ref, [(torch.linspace(-2, 2, 9),)], hint="slope * x for x < 0")

# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_other_slope(leaky_relu):
    from mnist_lab import checks
    import torch
    ref = lambda x, slope=0.02: torch.where(x > 0, x, slope * x)
    checks.check_function(leaky_relu, ref, [{"args": (torch.randn(5),), "kwargs": {"slope": 0.3}}])

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
print("the rest of the lesson runs")
