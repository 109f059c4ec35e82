"""Framing of grading messages: an 8-byte length, a JSON header, raw byte blobs (grading).

Used by both sides of mnist_lab.course.wire. Sizes are capped and every read has a deadline, so
a peer that sends garbage or stops answering costs at most one message's memory and the time
left to its submission.
"""

from __future__ import annotations

import json
import socket
import time

MAX_HEADER = 8 * 2**20  # bytes of JSON per message
MAX_BLOBS = 256 * 2**20  # bytes of tensor data per message
_LEN = 8


class WireError(Exception):
    """A value that cannot cross between grader and worker, or a malformed message."""


class PeerGone(Exception):
    """The other side closed the connection or missed the deadline."""


def send(sock: socket.socket, header: dict, blobs: list[bytes] = ()) -> None:
    """Send one message: header (JSON) and blobs."""
    head = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode()
    if len(head) > MAX_HEADER or sum(map(len, blobs)) > MAX_BLOBS:
        raise WireError("the value is too large to send (more than 256 MB of tensors)")
    sock.sendall(len(head).to_bytes(_LEN, "big") + head)
    for blob in blobs:
        sock.sendall(blob)


def recv(sock: socket.socket, deadline: float | None = None) -> tuple[dict, list[bytes]]:
    """Receive one message; WireError if malformed or too large, PeerGone at EOF or deadline."""
    size = int.from_bytes(_read(sock, _LEN, deadline), "big")
    if size > MAX_HEADER:
        raise WireError(f"a message header of {size} bytes (the limit is {MAX_HEADER})")
    try:
        header = json.loads(_read(sock, size, deadline))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"a malformed message ({type(exc).__name__})") from None
    sizes = header.get("blobs") if isinstance(header, dict) else None
    if not (isinstance(sizes, list) and all(type(s) is int and s >= 0 for s in sizes)
            and sum(sizes) <= MAX_BLOBS):
        raise WireError("a malformed message (bad blob sizes)")
    return header, [_read(sock, s, deadline) for s in sizes]


def _read(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    data = bytearray()
    while len(data) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PeerGone("deadline")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(n - len(data), 1 << 20))
        except TimeoutError:
            raise PeerGone("deadline") from None
        except OSError as exc:
            raise PeerGone(str(exc)) from None
        if not chunk:
            raise PeerGone("closed")
        data += chunk
    return bytes(data)
