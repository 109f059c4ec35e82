"""Imbalanced subsets, over- and undersampling, inverse-frequency weights, balanced accuracy."""

import pytest
import torch

from mnist_lab.imbalance import (
    balanced_accuracy,
    class_counts,
    inverse_frequency_weights,
    make_imbalanced,
    oversample,
    undersample,
)


@pytest.fixture
def labels():
    # 100 of each of 5 classes, shuffled
    gen = torch.Generator().manual_seed(0)
    return torch.arange(5).repeat(100)[torch.randperm(500, generator=gen)]


def test_make_imbalanced_keeps_the_fraction_of_rare_classes(labels):
    idx = make_imbalanced(labels, {1: 0.1, 3: 0.05})
    assert class_counts(labels[idx], 5).tolist() == [100, 10, 100, 5, 100]


def test_make_imbalanced_accepts_classes_and_one_fraction(labels):
    a = make_imbalanced(labels, [1, 3], fraction=0.2, seed=4)
    b = make_imbalanced(labels, {1: 0.2, 3: 0.2}, seed=4)
    assert torch.equal(a, b)


def test_make_imbalanced_returns_sorted_unique_indices(labels):
    idx = make_imbalanced(labels, {2: 0.3})
    assert torch.equal(idx, idx.unique())  # unique() sorts


def test_make_imbalanced_is_seeded(labels):
    assert torch.equal(make_imbalanced(labels, {0: 0.1}, seed=1),
                       make_imbalanced(labels, {0: 0.1}, seed=1))
    assert not torch.equal(make_imbalanced(labels, {0: 0.1}, seed=1),
                           make_imbalanced(labels, {0: 0.1}, seed=2))


def test_make_imbalanced_keeps_at_least_one_sample(labels):
    idx = make_imbalanced(labels, {4: 0.001})
    assert class_counts(labels[idx], 5)[4] == 1


def test_make_imbalanced_rejects_bad_fractions_and_classes(labels):
    with pytest.raises(ValueError, match="fraction"):
        make_imbalanced(labels, {1: 1.5})
    with pytest.raises(ValueError, match="does not occur"):
        make_imbalanced(labels, {7: 0.1})
    with pytest.raises(ValueError, match="fraction="):
        make_imbalanced(labels, [1, 2])


def test_oversample_balances_to_the_largest_class(labels):
    imb = labels[make_imbalanced(labels, {1: 0.1, 3: 0.03})]
    idx = oversample(imb)
    assert class_counts(imb[idx], 5).tolist() == [100] * 5


def test_oversample_puts_every_original_first(labels):
    imb = labels[make_imbalanced(labels, {1: 0.1})]
    idx = oversample(imb)
    assert torch.equal(idx[: len(imb)], torch.arange(len(imb)))
    assert (imb[idx[len(imb):]] == 1).all()  # only the rare class is copied


def test_oversample_copies_each_sample_about_equally_often():
    y = torch.tensor([0] * 10 + [1] * 3)
    idx = oversample(y)  # class 1 needs 7 copies of its 3 samples: 3, 2, 2 copies
    copies = torch.bincount(idx[13:], minlength=13)[10:]
    assert sorted(copies.tolist()) == [2, 2, 3]


def test_undersample_balances_to_the_smallest_class(labels):
    imb = labels[make_imbalanced(labels, {2: 0.07})]
    idx = undersample(imb)
    assert class_counts(imb[idx], 5).tolist() == [7] * 5
    assert torch.equal(idx, idx.unique())


def test_sampling_rejects_float_labels():
    with pytest.raises(TypeError, match="int64"):
        oversample(torch.tensor([0.0, 1.0]))


def test_inverse_frequency_weights_formula():
    w = inverse_frequency_weights(torch.tensor([10, 30, 60]))
    assert torch.allclose(w, torch.tensor([100 / 30, 100 / 90, 100 / 180]))


def test_inverse_frequency_weights_of_a_balanced_set_are_ones():
    assert torch.equal(inverse_frequency_weights(torch.tensor([7, 7, 7])), torch.ones(3))


def test_inverse_frequency_weights_give_every_class_equal_total_weight():
    counts = torch.tensor([1000, 20, 300, 5])
    totals = inverse_frequency_weights(counts) * counts
    assert torch.allclose(totals, torch.full((4,), counts.sum() / 4.0))


def test_inverse_frequency_weight_of_an_absent_class_is_zero():
    w = inverse_frequency_weights(torch.tensor([4, 0, 4]))  # N / (C · n) = 8 / (3 · 4)
    assert torch.allclose(w, torch.tensor([2 / 3, 0.0, 2 / 3]))


def test_inverse_frequency_weights_keep_float64():
    w = inverse_frequency_weights(torch.tensor([1.0, 3.0], dtype=torch.float64))
    assert w.dtype == torch.float64


def test_inverse_frequency_weights_reject_negative_counts():
    with pytest.raises(ValueError, match=">= 0"):
        inverse_frequency_weights(torch.tensor([3, -1]))


def test_balanced_accuracy_is_the_mean_recall():
    cm = torch.tensor([[90, 10], [5, 5]])  # recalls 0.9 and 0.5; plain accuracy 95/110
    assert balanced_accuracy(cm) == pytest.approx(0.7)


def test_balanced_accuracy_skips_absent_classes():
    cm = torch.tensor([[8, 2, 0], [0, 0, 0], [1, 0, 3]])
    assert balanced_accuracy(cm) == pytest.approx((0.8 + 0.75) / 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_indices_stay_on_the_labels_device(labels):
    y = labels.cuda()
    for idx in (make_imbalanced(y, {1: 0.1}), oversample(y), undersample(y)):
        assert idx.device == y.device
