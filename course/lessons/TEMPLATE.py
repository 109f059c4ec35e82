# ---
# A lesson source: jupytext "percent" format, with otter-grader's assign markers inside.
# Copy to NN_name.py, then `make lessons` builds lessons/NN_name.ipynb (student version) and
# course/solutions/NN_name.ipynb (solutions and hidden tests). See course/README.md.
# ---

# %% [raw]
# # ASSIGNMENT CONFIG
# name: NN_name
# init_cell: true
# check_all_cell: false
# export_cell: false
# run_tests: false
# generate: false
# tests:
#   files: false
#   ok_format: false

# %% [markdown]
# # NN · Title
#
# **You will learn to**
# - ...
#
# Short, plain explanation in the course's own words.

# %%
import torch

from mnist_lab import checks

# %% [raw]
# # BEGIN QUESTION
# name: q_example
# points: 2

# %% [markdown]
# **Exercise 1 · name.** What to write, and why it matters. State everything the tests check and
# nothing more: the signature, types and dtypes, shapes, edge cases, whether gradients must flow.
# The check below compares your function with the reference on fixed inputs (values and
# gradients) and tells you what differs.

# %% [raw]
# # BEGIN SOLUTION

# %%
def double(x):
    """Return 2·x."""
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION


# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
def test_double_matches_reference(double):
    import torch

    from mnist_lab import checks
    # Public tests catch the common wrong answers (tests/answers/NN/<name>.py lists them, with
    # three correct and three wrong answers that CI runs through these tests); `dtype=` checks
    # a stated dtype; tolerances are chosen per check, with a comment, to fit float32 answers.
    checks.check_function(double, lambda x: x * 2, [(torch.linspace(-1, 1, 5),)],
                          name="double", hint="multiply every entry by two", dtype="same")


# %%
""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_double_on_other_shapes(double):
    import torch

    from mnist_lab import checks
    checks.check_function(double, lambda x: x * 2, [(torch.randn(3, 4),)], name="double",
                          quiet=True)


# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Summary
# - ...
