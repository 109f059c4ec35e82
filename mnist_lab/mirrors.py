"""Downloading a data file from the public mirrors over HTTP (lesson 00).

A download goes to a locked temporary file next to its target, is verified (md5 of the .gz where
torchvision publishes one, then the IDX header and the sha256 of the content), and only then
renamed into place (os.replace is atomic), so an interrupted fetch never leaves a file that
looks valid. Network errors are retried with back-off; a 404 is not.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from mnist_lab.advice import disk_full_step, is_disk_full
from mnist_lab.cachedir import temporary
from mnist_lab.idx import ChecksumMismatch, DiskFull, IdxSpec, read_idx


@dataclass(frozen=True)
class FetchConfig:
    """How hard to try each source before giving up on it.

    timeout_s: seconds one network operation may wait (connect, or the next bytes);
    retries: extra attempts after a network error; backoff_s: first pause, doubled each time;
    stall_s: a registry client that shows no progress this long is stopped;
    limit_s: the most a registry client may run in all (a very slow but live download).
    """

    timeout_s: float = 10.0
    retries: int = 1
    backoff_s: float = 0.5
    stall_s: float = 30.0
    limit_s: float = 900.0

    def __post_init__(self):
        if min(self.timeout_s, self.stall_s, self.limit_s) <= 0 or min(
            self.retries, self.backoff_s
        ) < 0:
            raise ValueError(
                "need timeout_s, stall_s, limit_s > 0 and retries, backoff_s >= 0; "
                f"got {self}"
            )


class TruncatedDownload(OSError):
    """The server closed the connection before sending Content-Length bytes (retryable)."""


def download(url: str, folder: Path, spec: IdxSpec, config: FetchConfig) -> Path:
    """Download, verify and install one file, retrying network errors with back-off."""
    for attempt in range(1 + config.retries):
        try:
            return _download_once(url, folder, spec, config.timeout_s)
        except urllib.error.HTTPError as err:
            if err.code < 500 and err.code != 429:
                raise  # 404 and friends: retrying will not help
            failure = err
        except (OSError, HTTPException) as err:
            if isinstance(err, OSError) and is_disk_full(err):  # no other mirror will help
                raise DiskFull(
                    "Files must be fetched, but the disk holding the cache is full.",
                    path=folder, found=f"{type(err).__name__}: {err}",
                    fix=[disk_full_step(folder)],
                ) from None
            if timed_out(err):
                raise  # a server that let one wait `timeout_s` will not answer a retry either
            failure = err
        if attempt < config.retries:
            time.sleep(config.backoff_s * 2**attempt)
    raise failure


def timed_out(err: BaseException) -> bool:
    """Whether a network error is a time-out (the server accepted, then did not answer)."""
    reason = getattr(err, "reason", None)  # urlopen wraps a connect time-out in a URLError
    return isinstance(err, TimeoutError) or isinstance(reason, TimeoutError)


def _download_once(url: str, folder: Path, spec: IdxSpec, timeout_s: float) -> Path:
    target = folder / Path(url).name
    with temporary(folder, target.name) as tmp:
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
