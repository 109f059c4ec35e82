"""The trusted side of a student's function: a proxy the tests call like the function (grading).

The grader runs every test itself, with `Proxy` objects in place of the student's functions.
Calling one sends the arguments as plain data (mnist_lab.course.wire) to the worker, which runs
the student's function and answers with plain data; the proxy rebuilds the result as exact
`torch.Tensor`s, applies the arguments' new state (in-place edits, requires_grad flags,
gradients, generator states, a model's changed layers) to the grader's own objects, and returns
it. The student's function runs with the grader's grad mode, as in the notebook. When an argument
requires gradients, the call is a `torch.autograd.Function` whose backward asks the worker for
the gradients it computed on its own graph, so `mnist_lab.checks.check_function` compares values
and gradients exactly as in the notebook, on the grader's side, where the student cannot reach.
"""

from __future__ import annotations

import builtins
import itertools
import socket
import time
from collections.abc import Callable
from typing import Any

import torch

from mnist_lab.course import wire


class WorkerLost(BaseException):
    """The worker missed the deadline, died or broke the protocol: stop testing this submission.

    A BaseException, so that a test's `except Exception` cannot turn it into a failed case.
    """

    def __init__(self, reason: str, timed_out: bool = False):
        super().__init__(reason)
        self.timed_out = timed_out


class Connection:
    """One submission's worker: requests with a deadline, callbacks served while waiting."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline
        self._callables: dict[int, Callable] = {}
        self._ids = itertools.count(1)

    def register(self, fn: Callable) -> int:
        key = next(self._ids)
        self._callables[key] = fn
        return key

    def request(self, header: dict, blobs: list[bytes] = ()) -> tuple[dict, list[bytes]]:
        """Send a request; serve the worker's callbacks until its answer arrives."""
        try:
            wire.send(self.sock, header, list(blobs))
            while True:
                reply, data = wire.recv(self.sock, self.deadline)
                if reply.get("op") != "callback":
                    return reply, data
                wire.send(self.sock, *self._callback(reply, data))
        except wire.PeerGone as exc:
            timed_out = str(exc) == "deadline" or time.monotonic() >= self.deadline
            raise WorkerLost(str(exc), timed_out) from None
        except OSError as exc:
            raise WorkerLost(f"the connection broke ({exc})") from None
        except wire.WireError as exc:
            raise WorkerLost(f"the worker sent {exc}") from None

    def _callback(self, reply: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """Run one of our own callables (a test's function) on the worker's plain data."""
        fn = self._callables.get(reply.get("fn"))
        try:
            decoder = wire.Decoder(reply.get("table"), blobs)
            args, kwargs = decoder.decode(reply.get("args")), decoder.decode(reply.get("kwargs"))
            if fn is None or not isinstance(args, list) or not isinstance(kwargs, dict):
                raise wire.WireError("a malformed callback")
            with torch.no_grad():
                value = fn(*args, **{str(k): v for k, v in kwargs.items()})
            enc = wire.Encoder()
            return {"op": "return", "value": enc.encode(value), "table": enc.table()}, enc.blobs
        except Exception as exc:  # the student's call was wrong: they get the error back
            return {"op": "raised", "message": f"{type(exc).__name__}: {str(exc)[:300]}"}, []


class Proxy:
    """Stands for the student's function `name` in the tests."""

    def __init__(self, conn: Connection, handle: str, name: str):
        self._conn, self._handle, self.__name__ = conn, handle, name

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        enc = wire.Encoder(self._conn.register, grads=True)
        call = _Call(self._conn, self._handle, enc, enc.encode(list(args)), enc.encode(kwargs),
                     next(self._conn._ids))
        # The student's function runs with the caller's grad mode, as it would in the notebook
        # (an answer may use autograd itself, e.g. torch.autograd.grad for a derivative).
        call.grad_mode = torch.is_grad_enabled()
        leaves = [t for t in enc.tensors if t.requires_grad] if torch.is_grad_enabled() else []
        if leaves:
            outputs = _Remote.apply(call, *leaves)
            value = call.value(outputs[:-1])
        else:
            value = call.value(call.forward(grad=False))
        call.apply_after()
        return value


class _Call:
    """One call of a student's function: the request, the reply, what to rebuild from it."""

    def __init__(self, conn: Connection, handle: str, enc: wire.Encoder, args: Any, kwargs: Any,
                 call_id: int):
        self.conn, self.handle, self.enc, self.id = conn, handle, enc, call_id
        self.args, self.kwargs = args, kwargs
        self.reply: dict = {}
        self.decoder: wire.Decoder | None = None
        self.differentiable: list[bool] = []
        self.grad_mode = False  # the grader's torch.is_grad_enabled() when the test called

    def forward(self, grad: bool) -> list[torch.Tensor]:
        header = {"op": "call", "handle": self.handle, "args": self.args, "kwargs": self.kwargs,
                  "table": self.enc.table(), "grad": grad, "grad_mode": self.grad_mode,
                  "id": self.id}
        self.reply, blobs = self.conn.request(header, self.enc.blobs)
        if self.reply.get("op") == "raised":
            raise student_exception(self.reply)
        if self.reply.get("op") != "result":
            raise WorkerLost("the worker answered a call with something else")
        self.decoder = wire.Decoder(self.reply.get("table"), blobs, self._remote_callable,
                                    refs=self.enc.modules)
        count = self.reply.get("outputs")
        if type(count) is not int or not 0 <= count <= len(self.reply.get("table") or []):
            raise wire.WireError("a malformed reply (outputs)")
        outputs = [self.decoder.tensor(i).detach() for i in range(count)]
        table = self.reply["table"]
        self.differentiable = [bool(table[i].get("rg")) and (t.is_floating_point()
                               or t.is_complex()) for i, t in enumerate(outputs)]
        return outputs

    def value(self, outputs: list[torch.Tensor]) -> Any:
        """The result, its tensors replaced by `outputs` (those autograd knows about)."""
        for i, t in enumerate(outputs):
            self.decoder.tensors[i] = t
        return self.decoder.decode(self.reply.get("value"))

    def _remote_callable(self, handle: Any) -> Proxy:
        return Proxy(self.conn, str(handle), "the function yours returned")

    def apply_after(self) -> None:
        """Give the grader's arguments the state the student's function left them in."""
        after = self.reply.get("after")
        if not isinstance(after, dict):
            raise wire.WireError("a malformed reply (argument state)")
        tensors, grads = after.get("tensors", {}), after.get("grads", {})
        with torch.no_grad():
            for i, mine in enumerate(self.enc.tensors):
                if str(i) not in tensors:
                    continue
                new = self.decoder.tensor(tensors[str(i)]).detach()
                flag = self.decoder.requires_grad(tensors[str(i)])
                if new.shape == mine.shape and new.dtype == mine.dtype and \
                        not torch.equal(new, mine.detach()):
                    mine.copy_(new)
                if mine.is_leaf and mine.requires_grad != flag and (
                        mine.is_floating_point() or mine.is_complex()):
                    mine.requires_grad_(flag)
                if str(i) in grads and mine.is_leaf and mine.requires_grad:
                    grad = self.decoder.tensor(grads[str(i)]).detach()
                    if grad.shape == mine.shape:
                        mine.grad = grad.to(mine.dtype)
                elif str(i) not in grads and mine.grad is not None and mine.is_leaf:
                    mine.grad = None
        for module, training in zip(self.enc.modules, after.get("training", [])):
            module.training = bool(training)
        for gen, index in zip(self.enc.generators, after.get("generators", [])):
            gen.set_state(self.decoder.tensor(index).detach().to(torch.uint8))
        changed = after.get("modules", {})
        for k, module in enumerate(self.enc.modules):
            if isinstance(changed, dict) and str(k) in changed:
                new = self.decoder.module(changed[str(k)], 0)
                if type(new) is type(module):  # its layers as the student left them
                    module.__dict__.clear()
                    module.__dict__.update(new.__dict__)


class _Remote(torch.autograd.Function):
    """A student call inside the grader's autograd graph: backward asks the worker."""

    @staticmethod
    def forward(ctx, call: _Call, *leaves: torch.Tensor):
        ctx.call, ctx.leaves = call, [(t.shape, t.dtype) for t in leaves]
        ctx.set_materialize_grads(False)
        outputs = call.forward(grad=True)
        marker = torch.zeros(())  # forward must return a tensor, even for a number result
        # One call: a second mark_non_differentiable replaces the first.
        ctx.mark_non_differentiable(marker, *[t for t, d in zip(outputs, call.differentiable)
                                              if not d])
        return (*outputs, marker)

    @staticmethod
    def backward(ctx, *grads):
        call: _Call = ctx.call
        enc = wire.Encoder()
        sent = [None if g is None or not d else enc.tensor(g.detach())
                for g, d in zip(grads[:-1], call.differentiable)]
        reply, blobs = call.conn.request({"op": "backward", "id": call.id, "grads": sent,
                                          "table": enc.table()}, enc.blobs)
        if reply.get("op") == "raised":
            raise student_exception(reply)
        decoder = wire.Decoder(reply.get("table"), blobs)
        found = reply.get("grads")
        if not isinstance(found, list) or len(found) != len(ctx.leaves):
            raise wire.WireError("a malformed reply (gradients)")
        out = []
        for index, (shape, dtype) in zip(found, ctx.leaves):
            g = None if index is None else decoder.tensor(index).detach()
            if g is not None and g.shape != shape:
                raise wire.WireError(f"a gradient of shape {tuple(g.shape)} for an input of "
                                     f"shape {tuple(shape)}")
            out.append(None if g is None else g.to(dtype))
        return (None, *out)


def student_exception(reply: dict) -> Exception:
    """The student's exception, rebuilt from its type name and (capped) message."""
    name = str(reply.get("type", "Exception"))[:60]
    message = str(reply.get("message", ""))[:2000]
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception) and name != "Exception":
        try:
            return builtin(message)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs other arguments
            pass
    safe = name if name.isidentifier() else "Exception"
    return type(safe, (StudentError,), {})(message)


class StudentError(Exception):
    """Base of exceptions raised by a student's function with a non-builtin type."""
