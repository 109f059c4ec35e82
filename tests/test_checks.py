"""Exercise checks: right answers pass in any correct form; wrong ones fail with a reason."""

import numpy as np
import pytest
import torch

from mnist_lab.check_args import summarise
from mnist_lab.checks import (
    UNTOUCHED,
    CheckFailed,
    NotAttempted,
    check_close,
    check_function,
    check_type,
    is_untouched,
)


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
    with pytest.raises(CheckFailed, match="expected about 2.3026"):
        check_close(1.0, 2.3026, hint="log C")
    with pytest.raises(CheckFailed, match="not filled in"):
        check_close(..., 2.3)


def test_a_failure_carries_its_problem_case_and_hint_separately():
    with pytest.raises(CheckFailed) as info:
        check_function(torch.relu, reference_leaky, CASES, name="leaky_relu", hint="use slope")
    exc = info.value
    assert exc.case == "Case 1 of 2: leaky_relu(tensor[11] float32)"
    assert exc.problem.startswith("the result differs at") and "\n" not in exc.problem
    assert exc.hint == "use slope"
    assert str(exc) == f"{exc.case}: {exc.problem}.\nHint: use slope"


def test_a_message_given_whole_is_split_into_problem_and_hint():
    exc = CheckFailed("the batches overlap. Hint: slice one permutation")
    assert (exc.problem, exc.hint, exc.case) == ("the batches overlap", "slice one permutation", "")
    assert str(exc) == "the batches overlap.\nHint: slice one permutation"


def test_arguments_are_summarised_never_dumped():
    model = torch.nn.Sequential(torch.nn.Linear(784, 200), torch.nn.Sigmoid())
    assert summarise(torch.zeros(64, 784)) == "tensor[64, 784] float32"
    assert summarise(torch.tensor([1, 2])) == "tensor([1, 2], int64)"
    assert summarise(model) == "a Sequential model"
    assert summarise([torch.zeros(3)] * 5) == "a list of 5 tensors"
    assert summarise([torch.zeros(3)]) == "a list of 1 tensor"
    assert summarise(torch.Generator()) == "a generator"


def test_booleans_are_compared_without_about():
    with pytest.raises(CheckFailed, match=r"^flags is False, expected True\.$"):
        check_close(False, True, name="flags")


def test_a_difference_past_the_sixth_digit_is_shown_with_more_digits():
    with pytest.raises(CheckFailed, match=r"is 0\.1233334, expected about 0\.123333333333"):
        check_close(0.1233334, 0.12333333333333, atol=0, rtol=1e-9)


def test_an_in_place_edit_that_autograd_refuses_is_reported_as_in_place():
    def mine(x, slope=0.02):
        x[x < 0] *= slope  # x requires grad: autograd raises before anything is returned
        return x

    with pytest.raises(CheckFailed, match="changed one of its input tensors in place"):
        check_function(mine, reference_leaky, CASES)


def test_one_stacked_tensor_where_a_pair_is_expected_is_explained():
    def pair(x):
        return x, 2 * x

    with pytest.raises(CheckFailed, match=r"returned one value \(a Tensor\), expected 2"):
        check_function(lambda x: torch.stack(pair(x)), pair, [(torch.ones(3),)], grad=False)


def test_a_bool_answer_must_be_a_bool_not_a_number():
    assert check_close(np.bool_(True), True, quiet=True)
    with pytest.raises(CheckFailed, match="is 1, an int; expected True, a bool"):
        check_close(1, True)


def test_dtype_contract_is_checked_when_asked():
    def as_float(labels, num_classes=3):
        return torch.nn.functional.one_hot(labels, num_classes).double()

    def reference(labels, num_classes=3):
        return torch.nn.functional.one_hot(labels, num_classes).float()

    cases = [(torch.tensor([0, 2]),)]
    assert check_function(as_float, reference, cases, grad=False, quiet=True)
    assert check_function(as_float, reference, cases, grad=False, dtype="float", quiet=True)
    with pytest.raises(CheckFailed, match="has dtype torch.float64, expected torch.float32"):
        check_function(as_float, reference, cases, grad=False, dtype=torch.float32)
    with pytest.raises(CheckFailed, match="expected an integer dtype"):
        check_function(as_float, reference, cases, grad=False, dtype="int")


def test_dtype_contract_reads_a_numpy_arrays_dtype_and_rejects_a_list():
    def reference(labels, num_classes=3):
        return torch.nn.functional.one_hot(labels, num_classes).float()

    cases = [(torch.tensor([0, 2]),)]
    as_array = lambda labels: np.eye(3, dtype=np.float32)[labels.numpy()]  # noqa: E731
    assert check_function(as_array, reference, cases, grad=False, dtype=torch.float32, quiet=True)
    with pytest.raises(CheckFailed, match="has dtype torch.float64, expected torch.float32"):
        check_function(lambda labels: np.eye(3)[labels.numpy()], reference, cases, grad=False,
                       dtype=torch.float32)
    # without a dtype contract a list of the right values is the answer, not several results
    assert check_function(lambda labels: reference(labels).tolist(), reference, cases,
                          grad=False, quiet=True)
    with pytest.raises(CheckFailed, match="is a list, expected a tensor"):
        check_function(lambda labels: reference(labels).tolist(), reference, cases, grad=False,
                       dtype=torch.float32)


def test_an_untouched_stub_is_not_attempted_not_wrong():
    def stub(x, slope=0.02):
        """Docstring, then the ellipsis otter leaves."""
        ...

    def forgot_return(x, slope=0.02):
        torch.where(x > 0, x, slope * x)

    assert is_untouched(stub) and not is_untouched(forgot_return)
    with pytest.raises(NotAttempted, match=UNTOUCHED):
        check_function(stub, reference_leaky, CASES)
    with pytest.raises(CheckFailed, match="forget a `return`") as info:
        check_function(forgot_return, reference_leaky, CASES)
    assert not isinstance(info.value, NotAttempted)


def test_check_type_names_what_was_returned():
    with pytest.raises(CheckFailed, match=r"lr\(0\) is a Tensor, expected a Python number"):
        check_type(torch.tensor(0.1), float, name="lr(0)", wanted="a Python number")
    check_type(0.1, float, name="x", wanted="a float")


def test_an_otter_result_whose_failures_are_all_unattempted_shows_one_line():
    from types import SimpleNamespace

    from mnist_lab.checks import _untouched_line

    untried = SimpleNamespace(passed=False, message="❌ Test case failed\nNotAttempted: ...")
    wrong = SimpleNamespace(passed=False, message="❌ Test case failed\nCheckFailed: ...")
    result = SimpleNamespace(name="q1_mse_loss", test_case_results=[untried])
    assert _untouched_line(result) == f"q1_mse_loss: {UNTOUCHED}."
    result.test_case_results = [untried, wrong]
    assert _untouched_line(result) is None
