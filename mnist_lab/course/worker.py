"""The untrusted side of grading: runs one student's cells and functions, nothing else (grading).

Started by mnist_lab.course.sandbox inside the sandbox as `python -I -c BOOT`: a small server
(the *zygote*) imports torch once, then forks one worker per submission, so a submission costs a
fork instead of seconds of imports. The zygote receives each job's connection over its control
socket (fd 3), waits for the worker, kills whatever the worker left behind (`kill(-1)`: every
process of the sandbox's uid but itself) and empties the private /tmp and /dev/shm before the
next job; what it cannot remove (or a SysV IPC object) makes the grader start a fresh sandbox.

The worker holds no test, no expected value and no secret. It receives the student's cells,
then requests "call function NAME with these arguments" in the wire format
(mnist_lab.course.wire), and answers with plain data: the result, the arguments' state after
the call (in-place edits, requires_grad flags, generator states, a model's changed layers),
and on request the gradients
of the result with respect to the arguments (`torch.autograd.grad` on its own graph). A
callable argument (a test's loss function, say) calls back into the grader.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import importlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import sys
from typing import Any

_MAX_TEXT = 2000  # characters of an exception message sent back
_KEEP_GRAPHS = 16  # calls whose autograd graph is kept for a later backward request


def zygote_main() -> None:
    """Import once, then serve jobs from the control socket until it closes."""
    preload = json.loads(sys.argv[1])
    limits = json.loads(sys.argv[2])
    control = socket.socket(fileno=int(sys.argv[3]))
    for name in ["torch", "numpy", "mnist_lab.course.wire", *preload]:
        with contextlib.suppress(Exception):  # the student's own import will say what failed
            importlib.import_module(name)
    _not_dumpable()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from mnist_lab.course import wire

    wire.send(control, {"op": "ready", "pid": os.getpid()})
    number = 0
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, 4096, 2)
        except OSError:
            os._exit(0)
        if not msg or len(fds) != 2:
            os._exit(0)  # the grader has gone
        number += 1
        pid = os.fork()
        if pid == 0:
            control.close()
            _worker_process(fds[0], fds[1], number, limits)
        for fd in fds:
            os.close(fd)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        clean = _clean_up(pid, limits.get("sandboxed", True))
        wire.send(control, {"op": "exited", "status": status, "clean": clean})


def _not_dumpable() -> None:
    """No process of the sandbox may read or write the zygote's memory (ptrace, /proc/PID/mem)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def _clean_up(pid: int, sandboxed: bool) -> bool:
    """Kill what the last worker left behind (daemons, setsid children), empty the writable
    folders; False when something stays that the next submission would meet (a folder we
    cannot empty, a SysV shared-memory segment...): the grader then starts a fresh sandbox."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        # In the sandbox: every process of its uid but ourselves (its init ignores SIGKILL from
        # inside). Without one, kill(-1) would hit the grader's whole user: the group only.
        os.kill(-1, signal.SIGKILL) if sandboxed else os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    folders = [os.environ.get("TMPDIR", "/tmp")] + (["/dev/shm"] if sandboxed else [])
    try:
        mounts = _mount_points() if sandboxed else set()
        clean = all([_empty(folder, mounts) for folder in folders])
        # IPC objects outlive their processes; outside a sandbox they are the machine's own.
        return clean and not (sandboxed and _ipc_objects())
    except (OSError, RecursionError):
        return False


def _empty(folder: str, mounts: set[str]) -> bool:
    """Remove everything in `folder` but the sandbox's own binds (a checkout or venv under /tmp,
    read-only) and the folders that lead to them; whether nothing else is left."""
    clean = True
    for entry in os.scandir(folder):
        if entry.path in mounts:
            continue
        if entry.is_dir(follow_symlinks=False) and any(m.startswith(entry.path + "/")
                                                       for m in mounts):
            clean = _empty(entry.path, mounts) and clean  # a bind lies deeper: keep the way
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        clean = clean and not os.path.lexists(entry.path)
    return clean


def _mount_points() -> set[str]:
    """Where something is mounted in this sandbox (field 5 of /proc/self/mountinfo)."""
    with open("/proc/self/mountinfo") as f:
        fields = [line.split()[4] for line in f if len(line.split()) > 4]
    # Spaces and the like are written as octal escapes, e.g. "\040" for a space.
    return {re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), f) for f in fields}


def _ipc_objects() -> bool:
    """Whether this IPC namespace holds SysV shared memory, message queues or semaphores."""
    for kind in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{kind}") as f:
            if len(f.read().splitlines()) > 1:  # a header line, then one line per object
                return True
    return False


def _worker_process(conn_fd: int, out_fd: int, number: int, limits: dict) -> None:
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.get("nproc"):
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    if limits.get("address_space"):
        resource.setrlimit(resource.RLIMIT_AS, (limits["address_space"],) * 2)
    for fd in (1, 2):
        os.dup2(out_fd, fd)
    os.close(out_fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    work = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"job{number}")
    os.makedirs(work, exist_ok=True)
    os.chdir(work)
    try:
        Worker(socket.socket(fileno=conn_fd)).serve()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        os._exit(0)


def _kind(value: Any) -> str:
    """"stub" (a function still `...`), "function" or "value": how the grader stands for it."""
    from mnist_lab.checks import is_untouched

    try:
        if is_untouched(value):
            return "stub"
    except Exception:  # noqa: BLE001 - an odd `__code__`: not the stub, whatever it is
        pass
    return "function" if callable(value) else "value"


def _layout(module: Any) -> list:
    """A module's layers: each submodule's name and class, and its parameter and buffer names."""
    return [(name, type(m).__qualname__, sorted(m._parameters), sorted(m._buffers))
            for name, m in module.named_modules()]


def _raised(exc: BaseException) -> dict:
    return {"op": "raised", "type": type(exc).__name__[:60], "message": _text(exc)}


def _text(exc: BaseException) -> str:
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    return message[:_MAX_TEXT]


class Worker:
    """Answers the grader's requests over one connection."""

    def __init__(self, conn: socket.socket):
        import torch

        from mnist_lab.course import wire

        self.conn, self.torch, self.wire = conn, torch, wire
        self.env: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins,
                                    "display": lambda *a, **k: None}
        self.handles: dict[str, Any] = {}
        self.graphs: dict[int, tuple[list, list]] = {}

    def serve(self) -> None:
        while True:
            header, blobs = self.wire.recv(self.conn)
            op = header.get("op")
            if op == "run":
                self.wire.send(self.conn, self.run(header))
            elif op in ("call", "backward"):
                self.reply(self.call if op == "call" else self.backward, header, blobs)
            else:
                return

    def reply(self, answer, request: dict, data: list[bytes]) -> None:
        try:
            header, blobs = answer(request, data)
        except self.wire.PeerGone:
            raise
        except BaseException as exc:  # the student's error (or an unsendable value), as text
            header, blobs = _raised(exc), []
        try:
            self.wire.send(self.conn, header, blobs)
        except self.wire.WireError as exc:  # too large: checked before anything is sent
            self.wire.send(self.conn, _raised(exc))

    def run(self, header: dict) -> dict:
        """Execute the cells, each guarded; say which of the requested names exist."""
        notes = []
        for label, code in header.get("cells", []):
            try:
                exec(compile(str(code), str(label), "exec"), self.env)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt: the next cell runs
                notes.append(f"{label} raised {type(exc).__name__}: {_text(exc)}"[:500])
        names = {}
        for name in header.get("names", []):
            if name not in self.env:
                names[name] = "missing"
            else:
                self.handles[name] = self.env[name]
                names[name] = _kind(self.env[name])
        return {"op": "ready", "notes": notes, "names": names}

    def call(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        torch, wire = self.torch, self.wire
        decoder = wire.Decoder(header.get("table"), blobs, self._callback)
        args = decoder.decode(header.get("args"))
        kwargs = decoder.decode(header.get("kwargs"))
        target = self.handles.get(str(header.get("handle")))
        if target is None:
            raise NameError(f"{header.get('handle')!r} is not defined")
        torch.set_default_dtype(torch.float32)
        layout = [_layout(m) for m in decoder.modules]
        # "grad": the grader will ask for gradients of the result; "grad_mode": autograd was on
        # where the test called, so the student's own use of autograd works as in the notebook.
        with torch.set_grad_enabled(header.get("grad") is True or header.get("grad_mode") is True):
            value = target(*args, **kwargs) if callable(target) else target
        # The argument modules themselves (returned `model`) go back as references to the
        # grader's own objects, so `f(model) is model` holds there too.
        known = {id(m): {"ref": k} for k, m in enumerate(decoder.modules)}
        out = wire.Encoder(self._register, known=known)
        data = out.encode(value)
        outputs = out.tensors[:]  # the result's own tensors come first in the table
        after = {"tensors": {str(i): out.tensor(t) for i, t in decoder.tensors.items()},
                 "grads": {str(i): out.tensor(t.grad) for i, t in decoder.tensors.items()
                           if t.grad is not None},
                 "training": [m.training for m in decoder.modules],
                 "generators": [out.tensor(g.get_state()) for g in decoder.generators]}
        # An argument module whose layers the function changed goes back whole, so that the
        # grader's copy changes too (a test may check that the model was left as it was).
        after["modules"] = {str(k): out.module(m, 0) for k, m in enumerate(decoder.modules)
                            if _layout(m) != layout[k]}
        if header.get("grad"):
            inputs = [t for i, t in sorted(decoder.tensors.items()) if t.requires_grad]
            self.graphs[int(header.get("id", 0))] = (inputs, outputs)
            for old in sorted(self.graphs)[:-_KEEP_GRAPHS]:
                del self.graphs[old]
        return {"op": "result", "value": data, "after": after, "table": out.table(),
                "outputs": len(outputs)}, out.blobs

    def backward(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        torch, wire = self.torch, self.wire
        inputs, outputs = self.graphs.pop(int(header.get("id", -1)), (None, None))
        if inputs is None:
            raise RuntimeError("no graph kept for this call")
        decoder = wire.Decoder(header.get("table"), blobs)
        grads = [None if g is None else decoder.tensor(g) for g in header.get("grads", [])]
        pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None and o.requires_grad]
        found = [None] * len(inputs)
        if pairs and inputs:
            found = list(torch.autograd.grad([o for o, _ in pairs], inputs,
                                             [g.to(o.dtype) for o, g in pairs],
                                             allow_unused=True))
        out = wire.Encoder()
        return {"op": "grads", "grads": [None if g is None else out.tensor(g) for g in found],
                "table": out.table()}, out.blobs

    def _register(self, fn: Any) -> str:
        """A handle for a callable the student returned: the grader may call it later."""
        key = f"@{len(self.handles)}"
        self.handles[key] = fn
        return key

    def _callback(self, handle: Any):
        """A function that calls back into the grader (a callable argument of a test)."""
        wire = self.wire

        def call_grader(*args, **kwargs):
            enc = wire.Encoder()
            data = {"args": enc.encode(list(args)), "kwargs": enc.encode(kwargs)}
            wire.send(self.conn, {"op": "callback", "fn": handle, **data, "table": enc.table()},
                      enc.blobs)
            header, blobs = wire.recv(self.conn)
            if header.get("op") != "return":
                raise RuntimeError(str(header.get("message", "the grader's function failed")))
            return wire.Decoder(header.get("table"), blobs).decode(header.get("value"))

        return call_grader

