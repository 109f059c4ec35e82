"""Exercise checks: right answers pass in any correct form; wrong ones fail with a reason."""

import numpy as np
import pytest
import torch

from mnist_lab.checks import CheckFailed, check_close, check_function


def reference_leaky(x, slope=0.02):
    return torch.where(x > 0, x, slope * x)


CASES = [(torch.linspace(-3, 3, 11),), {"args": (torch.randn(4, 5),), "kwargs": {"slope": 0.1}}]


def test_correct_answer_passes(capsys):
    assert check_function(reference_leaky, reference_leaky, CASES)
    assert "matches the reference" in capsys.readouterr().out


def test_alternative_correct_formulation_passes():
    def mine(x, slope=0.02):
        return torch.maximum(x, torch.zeros_like(x)) + slope * torch.minimum(x, torch.zeros_like(x))

    assert check_function(mine, reference_leaky, CASES, quiet=True)


def test_wrong_values_name_the_case_and_the_difference():
    def mine(x, slope=0.02):
        return torch.relu(x)

    with pytest.raises(CheckFailed, match=r"Case 1 of 2.*differs at .* entries.*\nHint: slope"):
        check_function(mine, reference_leaky, CASES, hint="slope times x for negative x")


def test_missing_return_is_explained():
    def mine(x, slope=0.02):
        torch.where(x > 0, x, slope * x)

    with pytest.raises(CheckFailed, match="forget a `return`"):
        check_function(mine, reference_leaky, CASES)


def test_not_attempted_is_reported_as_such():
    def mine(x, slope=0.02):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not attempted"):
        check_function(mine, reference_leaky, CASES)


def test_exception_in_student_code_becomes_feedback():
    def mine(x, slope=0.02):
        return x + undefined_name  # noqa: F821

    with pytest.raises(CheckFailed, match="raised NameError"):
        check_function(mine, reference_leaky, CASES)


def test_wrong_shape_is_reported():
    def mine(x, slope=0.02):
        return reference_leaky(x, slope).reshape(-1, 1)

    with pytest.raises(CheckFailed, match="has shape"):
        check_function(mine, reference_leaky, CASES)


def test_detached_result_fails_the_gradient_check():
    def mine(x, slope=0.02):
        x = x.detach().numpy()
        return torch.tensor(np.where(x > 0, x, slope * x))

    with pytest.raises(CheckFailed, match="cut off from autograd"):
        check_function(mine, reference_leaky, CASES)


def test_detached_result_passes_when_gradients_are_not_checked():
    def mine(x, slope=0.02):
        x = x.detach().numpy()
        return np.where(x > 0, x, slope * x)

    assert check_function(mine, reference_leaky, CASES, grad=False, quiet=True)


def test_wrong_gradient_is_caught_even_when_values_match():
    class SneakyLeaky(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return reference_leaky(x)

        @staticmethod
        def backward(ctx, g):
            return g  # wrong: ignores the slope

    with pytest.raises(CheckFailed, match="gradient with respect to input #1"):
        check_function(lambda x, slope=0.02: SneakyLeaky.apply(x), reference_leaky, CASES[:1])


def test_in_place_edit_of_an_input_is_reported():
    def ref_step(p, g, lr=0.1):
        return p - lr * g

    def mine(p, g, lr=0.1):
        p.sub_(lr * g)
        return p

    cases = [(torch.ones(3), torch.ones(3))]
    with pytest.raises(CheckFailed, match="in place"):
        check_function(mine, ref_step, cases, grad=False)


def test_tuple_results_are_compared_item_by_item():
    def ref(x):
        return x * 2, x + 1

    def mine(x):
        return x * 2, x + 2

    with pytest.raises(CheckFailed, match="result #2"):
        check_function(mine, ref, [(torch.ones(2),)])


def test_check_close_accepts_python_numbers_and_rejects_wrong_ones():
    assert check_close(2.3026, float(np.log(10)), quiet=True)
    with pytest.raises(CheckFailed, match="expected about"):
        check_close(1.0, 2.3026, hint="log C")
    with pytest.raises(CheckFailed, match="not filled in"):
        check_close(..., 2.3)
