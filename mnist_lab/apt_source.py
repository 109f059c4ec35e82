"""Fashion-MNIST from Debian's archive: `apt-get download dataset-fashion-mnist` (lesson 17).

`apt-get download` fetches a package's .deb into the current folder without installing it, so
it works for any user on a Debian or Ubuntu machine, root or not. `dpkg-deb --fsys-tarfile`
streams the package's files as a tar archive (whatever compression the .deb uses); the four
*-ubyte.gz files are taken out of it, verified against the catalogue's sha256, and installed
into the cache. The .deb is removed with the scratch folder.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mnist_lab.cachedir import scratch_dir
from mnist_lab.catalogue import Dataset
from mnist_lab.idx import DataError, DiskFull
from mnist_lab.mirrors import FetchConfig
from mnist_lab.registry import (
    ClientFailed,
    install_verified,
    meaningful_lines,
    raise_if_disk_full,
    run_client,
)

NO_LISTS_HINT = "the package lists do not know it: as root, run `apt-get update` first"


def apt_command(apt: str, package: str, config: FetchConfig) -> list[str]:
    """`apt-get download` with apt's time-outs set so that a silent archive is given up in
    about 30 s: apt waits several times its Timeout per attempt (measured against a server that
    never answers: 34 s for Timeout=10, 22 s for Timeout=5, 34 s for Timeout=5 and one retry),
    so it gets half of `config.timeout_s` and no retry."""
    timeout = str(max(1, round(config.timeout_s / 2)))
    return [
        apt, "download", "-q",
        "-o", f"Acquire::http::Timeout={timeout}", "-o", f"Acquire::https::Timeout={timeout}",
        "-o", "Acquire::Retries=0", package,
    ]


def from_apt(
    ds: Dataset, names: Sequence[str], folder: Path, log: list[str], config: FetchConfig
) -> dict[str, tuple[Path, str]]:
    """Fetch `names` from the Debian package into `folder`; note each failure in `log`."""
    label = f"apt {ds.deb_package}"
    apt, dpkg_deb = shutil.which("apt-get"), shutil.which("dpkg-deb")
    if apt is None or dpkg_deb is None:
        log.append(f"{label}: `apt-get` and `dpkg-deb` are not both on PATH "
                   "(Debian and Ubuntu have them)")
        return {}
    got = {}
    with scratch_dir(folder, "apt") as scratch:
        try:
            run_client(apt_command(apt, ds.deb_package, config), scratch,
                       what=f"{ds.title} from Debian's archive", stall_s=None,
                       limit_s=config.limit_s, shown=f"apt-get download {ds.deb_package}")
            deb = next(scratch.glob("*.deb"), None)
            if deb is None:
                raise ClientFailed("`apt-get download` ended without writing the .deb")
            wanted = {f"{str(ds.system_dirs[0]).strip('/')}/{n}.gz": n for n in names}
            for name, member in _members(dpkg_deb, deb, wanted, config):
                got[name] = (install_verified(member, folder / f"{name}.gz", ds.spec(name)), label)
            if missing := sorted(set(wanted.values()) - set(got)):
                log.append(f"{label}: the package lacks {', '.join(missing)}")
        except ClientFailed as err:
            raise_if_disk_full(err, folder)
            hint = f" ({NO_LISTS_HINT})" if "Unable to locate package" in str(err) else ""
            log.append(f"{label}: {err}{hint}")
        except DiskFull:
            raise
        except DataError as err:
            log.append(f"{label}: {type(err).__name__}: {str(err).splitlines()[0]}")
        except (tarfile.TarError, OSError) as err:
            log.append(f"{label}: the package could not be unpacked ({type(err).__name__}: {err})")
    return got


def _members(dpkg_deb: str, deb: Path, wanted: dict[str, str], config: FetchConfig):
    """(file name, readable member) for each wanted path in the package's data archive."""
    with tempfile.TemporaryFile() as err, subprocess.Popen(
        [dpkg_deb, "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=err
    ) as proc:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:  # a stream: each member is read once, in order
                name = wanted.get(member.name.lstrip("./"))
                if name is not None and member.isfile():
                    yield name, tar.extractfile(member)
        if proc.wait(timeout=config.limit_s) != 0:
            err.seek(0)
            text = " | ".join(meaningful_lines(err.read().decode(errors="replace")))
            raise ClientFailed(f"`dpkg-deb --fsys-tarfile` failed: {text}")
