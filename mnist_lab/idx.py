"""The IDX file format of MNIST, its verification, and the data errors (lesson 00).

An IDX file is a big-endian header followed by raw bytes:

    magic (4 bytes)   0x00000803 = 2051 for images, 0x00000801 = 2049 for labels
                      (byte 3 = 0x08 says "unsigned byte", byte 4 = number of dimensions)
    dims  (4 bytes each)  N, then 28, 28 for images; just N for labels
    data  N*28*28 pixels (0..255) or N labels (0..9), one byte each

Every file is checked before first use: header (magic, count, 28x28), length, and the sha256 of
the uncompressed content. Each kind of bad file has its own exception class, and every message
names the file, says what was expected and what was found, and lists the steps that fix it.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
IMAGE_SIDE = 28
GZIP_MAGIC = b"\x1f\x8b"


# ---- errors ---------------------------------------------------------------------------------


class DataError(RuntimeError):
    """A data file is missing or wrong; the message says which file, what was expected, the fix."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        expected: str | None = None,
        found: str | None = None,
        tried: Sequence[str] = (),
        fix: Sequence[str] = (),
    ):
        self.path = path  # the file (or URL) at fault, for programs that handle the error
        lines = [problem]
        if path is not None:
            lines.append(f"  file:     {path}")
        if expected:
            lines.append(f"  expected: {expected}")
        if found:
            lines.append(f"  found:    {found}")
        if tried:
            lines.append("  sources tried, in order:")
            lines += [f"    - {t}" for t in tried]
        if fix:
            lines.append("  how to fix:")
            lines += [f"    {i}. {step}" for i, step in enumerate(fix, 1)]
        super().__init__("\n".join(lines))


class ChecksumMismatch(DataError):
    """The file's bytes differ from the published ones (bad download, disk error, wrong file)."""

    digest: str | None = None  # the sha256 found, when the content could be read


class TruncatedFile(DataError):
    """The file ends early (interrupted download or copy)."""


class BadHeader(DataError):
    """The IDX header is wrong: not an IDX file, images/labels swapped, wrong count or size."""


class CacheNotWritable(DataError):
    """Files must be fetched, but the cache folder cannot be created or written."""


class DataUnavailable(DataError):
    """No source had the file: no local copy, no network, no registry."""


class DiskFull(CacheNotWritable):
    """Files must be fetched, but the disk holding the cache is full."""


class FileNotReadable(DataError):
    """The file exists but cannot be read (permissions, or an I/O error)."""


# ---- what a file must contain ---------------------------------------------------------------


@dataclass(frozen=True)
class IdxSpec:
    """What one IDX file must contain: its name, item count and published sha256."""

    name: str  # without .gz, e.g. "train-images-idx3-ubyte"
    count: int  # number of images or labels
    sha256: str  # of the uncompressed file
    gz_md5: str | None = None  # of the .gz on the mirrors (torchvision's list), if known

    @property
    def is_images(self) -> bool:
        return "-images-" in self.name

    @property
    def magic(self) -> int:
        return IMAGES_MAGIC if self.is_images else LABELS_MAGIC

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.count, IMAGE_SIDE, IMAGE_SIDE) if self.is_images else (self.count,)

    @property
    def header_size(self) -> int:
        return 4 + 4 * len(self.shape)

    @property
    def file_size(self) -> int:
        return self.header_size + int(np.prod(self.shape))

    @property
    def header(self) -> bytes:
        """The IDX header of the published file: magic, then each dimension (big-endian)."""
        return b"".join(n.to_bytes(4, "big") for n in (self.magic, *self.shape))

    def describe(self, shape: Sequence[int]) -> str:
        """'60000 images of 28x28' or '10000 labels'."""
        what = "images" if self.is_images else "labels"
        size = f" of {'x'.join(map(str, shape[1:]))}" if len(shape) > 1 else ""
        return f"{shape[0] if shape else 0} {what}{size}"


# ---- reading and checking -------------------------------------------------------------------


def sha256_hex(data: bytes | memoryview) -> str:
    """sha256 of bytes as hex (about 30 ms for the 47 MB training images)."""
    return hashlib.sha256(data).hexdigest()


def read_content(path: Path, *, fix: Sequence[str] = ()) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic (whatever the name says)."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise FileNotReadable(
            f"{Path(path).name} exists but cannot be read ({err.strerror or err}).",
            path=path, expected="a file this user may read", found=f"{type(err).__name__}: {err}",
            fix=[f"Let this user read it (`chmod a+r {path}`, or ask its owner), or move it "
                 "away: the next load then takes the file from the next source.", *fix],
        ) from None
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise TruncatedFile(
            f"{Path(path).name} is truncated: the gzip stream ends early.",
            path=path, expected="a complete gzip stream", found=f"{len(data)} bytes",
            fix=_replace_steps(path, fix),
        ) from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise ChecksumMismatch(
            f"{Path(path).name} is corrupt: it is not a valid gzip stream ({err}).",
            path=path, expected="a gzip file whose CRC matches its content", found=str(err),
            fix=_replace_steps(path, fix),
        ) from None


def check_header(data: bytes, spec: IdxSpec, path: Path, *, fix: Sequence[str] = ()) -> None:
    """Raise BadHeader or TruncatedFile unless `data` has the header and length `spec` asks for."""
    steps = _replace_steps(path, fix)
    name = Path(path).name
    if len(data) < spec.header_size:
        raise TruncatedFile(
            f"{name} is truncated: it is shorter than its {spec.header_size}-byte header.",
            path=path, expected=f"{spec.file_size} bytes", found=f"{len(data)} bytes", fix=steps,
        )
    magic = int.from_bytes(data[:4], "big")
    if magic != spec.magic:
        kind = {IMAGES_MAGIC: "an images file", LABELS_MAGIC: "a labels file"}
        if data[:2] == GZIP_MAGIC:  # read_content gunzipped once already
            kind[magic] = "gzip data inside gzip: compressed twice, gunzip it once more"
            once = f"{path}.once"  # never `gunzip < X > X`: the shell empties X first
            steps = [f"Run `gunzip < {path} > {once} && mv {once} {path.parent / spec.name}`.",
                     *steps]
        raise BadHeader(
            f"{name} is not {kind[spec.magic]} in IDX format (wrong magic number).",
            path=path, expected=f"magic {spec.magic} ({kind[spec.magic]})",
            found=f"magic {magic} ({kind.get(magic, 'not an IDX file of this kind')})", fix=steps,
        )
    dims = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(len(spec.shape))
    )
    if dims != spec.shape:
        raise BadHeader(
            f"{name} holds the wrong number or size of items.",
            path=path, expected=spec.describe(spec.shape), found=spec.describe(dims), fix=steps,
        )
    if len(data) < spec.file_size:
        raise TruncatedFile(
            f"{name} is truncated: the header promises more bytes than the file has.",
            path=path, expected=f"{spec.file_size} bytes (uncompressed)",
            found=f"{len(data)} bytes", fix=steps,
        )


def check_sha256(data: bytes, spec: IdxSpec, path: Path, *, fix: Sequence[str] = ()) -> str:
    """Return the sha256 of `data`; raise ChecksumMismatch unless it is the published one."""
    digest = sha256_hex(data)
    if digest != spec.sha256:
        err = ChecksumMismatch(
            f"{Path(path).name} is corrupt: its content does not match the published checksum.",
            path=path, expected=f"sha256 {spec.sha256} of the uncompressed content",
            found=f"sha256 {digest}", fix=_replace_steps(path, fix),
        )
        err.digest = digest  # lets a caller recognise another data set's file
        raise err
    return digest


def read_idx(path: Path, spec: IdxSpec, *, fix: Sequence[str] = ()) -> tuple[np.ndarray, str]:
    """Read and fully verify one IDX file (.gz or not): (uint8 array of spec.shape, sha256).

    The header is checked before the checksum so that a wrong or short file gets the
    more useful message (BadHeader / TruncatedFile rather than just ChecksumMismatch).
    `fix` adds steps (e.g. where to put files offline) to every error's message.
    """
    data = read_content(path, fix=fix)
    check_header(data, spec, path, fix=fix)
    digest = check_sha256(data, spec, path, fix=fix)
    array = np.frombuffer(data, dtype=np.uint8, offset=spec.header_size)
    return array.reshape(spec.shape), digest


def _replace_steps(path: Path, extra: Sequence[str]) -> list[str]:
    first = (
        f"Delete (or move away) {path}; the next load then takes the file from the next "
        "source and fetches a fresh copy into the cache if needed."
    )
    return [first, *extra]
