"""The grading wire format: plain data between the trusted grader and a student's worker (grading).

A message (mnist_lab.course.framing) is a JSON header and raw byte blobs (one per tensor),
nothing that can carry code or objects: no pickle. Values are numbers, strings, None, lists,
tuples, dicts with string or number keys, tensors (dtype, shape, bytes, whether they require
grad or were made in inference mode), numpy arrays, torch dtypes, iterators (their items; they
arrive as an iterator, so a check for a list still sees the difference), torch generators (their
state), frozen dataclasses of `mnist_lab` (class name + fields), `torch.nn` modules built from
allow-listed classes (architecture + tensors) and references to callables held by the other
side. The receiver rebuilds plain `torch.Tensor`s (never a subclass) and only classes it already
imported from `torch.nn` or `mnist_lab`; anything else is a `WireError` naming what was refused.
Sizes and nesting are capped, so a hostile peer costs at most one message's worth of memory.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from mnist_lab.course.framing import (  # noqa: F401 - the wire's framing, re-exported
    MAX_BLOBS,
    MAX_HEADER,
    PeerGone,
    WireError,
    recv,
    send,
)

_KEYS = (str, int, float)  # dict keys that travel (bool is an int)
MAX_DEPTH = 48  # nesting of lists/dicts/modules
MAX_ITEMS = 200_000  # values in one message
MAX_ITERATED = 10_000  # items taken from a returned generator
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.uint8, torch.int8,
    torch.int16, torch.int32, torch.int64, torch.bool, torch.complex64, torch.complex128)}
_NP_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
# nn.Module bookkeeping rebuilt by the receiver, never sent.
_MODULE_INTERNAL = set(vars(nn.Module())) - {"training"}
_MODULE_TABLES = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"}
_LIBRARIES = ("torch.nn.", "mnist_lab.")


# ---------------------------------------------------------------------------------------------
# Encoding


class Encoder:
    """Turns a value into JSON-able data plus blobs; tensors are shared by identity (`memo`)."""

    def __init__(self, callables: Callable[[Any], Any] | None = None, grads: bool = False,
                 known: dict[int, Any] | None = None):
        self.blobs: list[bytes] = []
        self.tensors: list[torch.Tensor] = []
        self._memo: dict[int, int] = {}
        self._callables = callables  # registers a callable, returns its handle
        self._grads = grads  # also send each tensor's .grad
        self._count = 0
        self._known = known or {}  # id(obj) -> its reference: the receiver's own object
        self._entries: list[dict] = []
        self.modules: list[nn.Module] = []  # in encoding order (the decoder sees the same)
        self.generators: list[torch.Generator] = []

    def encode(self, value: Any, depth: int = 0) -> Any:
        self._count += 1
        if depth > MAX_DEPTH or self._count > MAX_ITEMS:
            raise WireError("the value is nested too deeply or has too many parts")
        if value is None or isinstance(value, (bool, str)):
            return value
        if id(value) in self._known:
            return self._known[id(value)]
        if isinstance(value, (int, float)):  # also int/float subclasses: sent as plain numbers
            return {"n": float(value)} if isinstance(value, float) else {"i": str(int(value))}
        if isinstance(value, torch.Tensor):
            return {"t": self.tensor(value)}
        if isinstance(value, np.ndarray) and value.dtype.name in _NP_DTYPES:
            array = np.ascontiguousarray(value).reshape(value.shape)  # it makes 0-d arrays 1-d
            self.blobs.append(array.tobytes())
            return {"np": array.dtype.name, "shape": list(array.shape), "b": len(self.blobs) - 1}
        if isinstance(value, np.generic):
            return self.encode(value.item(), depth + 1)
        if isinstance(value, torch.dtype):
            return {"dtype": str(value).removeprefix("torch.")}
        if isinstance(value, torch.Generator):
            self.generators.append(value)
            return {"gen": self.tensor(value.get_state())}
        if isinstance(value, nn.Module):
            return self.module(value, depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = _library_class(type(value), "mnist_lab.")
            fields = {f.name: self.encode(getattr(value, f.name), depth + 1)
                      for f in dataclasses.fields(value)}
            return {"dc": cls, "fields": fields}
        if isinstance(value, (list, tuple, torch.Size, range)):
            items = [self.encode(v, depth + 1) for v in value]
            return {"list": items} if isinstance(value, list) else {"tuple": items}
        if isinstance(value, dict):
            if not all(isinstance(k, _KEYS) for k in value):
                raise WireError("a dict whose keys are not strings or numbers")
            return {"dict": [[self.encode(k), self.encode(v, depth + 1)] for k, v in value.items()]}
        if isinstance(value, (Iterator, map, filter, zip, enumerate)):
            items = []
            for item in value:
                items.append(self.encode(item, depth + 1))
                if len(items) > MAX_ITERATED:
                    raise WireError(f"a generator of more than {MAX_ITERATED} items")
            return {"iter": items}  # arrives as an iterator: a check for a list still sees one
        if callable(value) and self._callables is not None and not isinstance(value, type):
            return {"fn": self._callables(value)}
        raise WireError(f"a value of type {type(value).__name__}: use tensors, numbers, strings, "
                        "lists, tuples, dicts or torch.nn modules")

    def tensor(self, t: torch.Tensor) -> int:
        """Index of `t` in this message's tensor table (its bytes, dtype, shape, flags)."""
        key = id(t)
        if key in self._memo:
            return self._memo[key]
        plain = t.detach().as_subclass(torch.Tensor)
        if plain.is_sparse or plain.layout != torch.strided or plain.is_quantized:
            raise WireError("a sparse or quantized tensor: use an ordinary dense tensor")
        if str(plain.dtype).removeprefix("torch.") not in _DTYPES:
            raise WireError(f"a tensor of dtype {plain.dtype}")
        # A fresh dense copy: .contiguous() leaves a one-element view's stride as it was (a
        # slice like x[3::7]), and .view(torch.uint8) needs a stride of 1.
        data = plain.cpu().clone(memory_format=torch.contiguous_format).reshape(-1)
        self.blobs.append(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
        index = len(self.tensors)
        self.tensors.append(t)
        self._memo[key] = index
        entry = {"dtype": str(data.dtype).removeprefix("torch."), "shape": list(plain.shape),
                 "b": len(self.blobs) - 1, "rg": bool(t.requires_grad)}
        if plain.is_inference():  # made under torch.inference_mode(): autograd refuses it
            entry["inf"] = True
        self._entries.append(entry)
        if self._grads and t.grad is not None:
            entry["grad"] = self.tensor(t.grad)
        return self._memo[key]

    def table(self) -> list[dict]:
        """The tensor table to put in the header (dtype, shape, blob, requires_grad, grad)."""
        return list(self._entries)

    def module(self, m: nn.Module, depth: int) -> dict:
        self.modules.append(m)
        attrs = {}
        for key, value in vars(m).items():
            if key in _MODULE_INTERNAL:
                if key not in _MODULE_TABLES and isinstance(value, dict) and value:
                    raise WireError(f"a {type(m).__name__} with hooks attached")
                continue
            attrs[key] = self.encode(value, depth + 1)
        return {"mod": _library_class(type(m), *_LIBRARIES), "attrs": attrs,
                "children": {k: None if c is None else self.module(c, depth + 1)
                             for k, c in m._modules.items()},
                "params": {k: None if p is None else self.tensor(p)
                           for k, p in m._parameters.items()},
                "buffers": {k: None if b is None else self.tensor(b)
                            for k, b in m._buffers.items()},
                "transient": sorted(m._non_persistent_buffers_set)}


def _library_class(cls: type, *prefixes: str) -> str:
    """'module:QualName' of a class from torch.nn or mnist_lab; WireError for any other."""
    module, name = cls.__module__, cls.__qualname__
    if not module.startswith(prefixes) or module.startswith("mnist_lab.course") or "<" in name:
        where = "your notebook" if module == "__main__" else module
        raise WireError(f"a {name} defined in {where}: grading can only pass objects built from "
                        "torch.nn layers and mnist_lab classes (nn.Sequential, nn.Linear, MLP...)")
    return f"{module}:{name}"


# ---------------------------------------------------------------------------------------------
# Decoding


class Decoder:
    """Rebuilds values from a header's data, its tensor table and blobs."""

    def __init__(self, table: Any, blobs: list[bytes],
                 callable_for: Callable[[Any], Callable] | None = None,
                 refs: list | None = None):
        self._table = table if isinstance(table, list) else []
        self._blobs = blobs
        self.tensors: dict[int, torch.Tensor] = {}  # by table index (a module's: its Parameter)
        self.modules: list[nn.Module] = []
        self.generators: list[torch.Generator] = []
        self._callable_for = callable_for
        self._refs = refs or []  # our own objects the sender refers to (modules we sent)

    def tensor(self, index: Any) -> torch.Tensor:
        if type(index) is not int or not 0 <= index < len(self._table):
            raise WireError("a malformed message (bad tensor reference)")
        if index in self.tensors:
            return self.tensors[index]
        entry = self._table[index]
        if not isinstance(entry, dict) or entry.get("dtype") not in _DTYPES:
            raise WireError("a malformed message (bad tensor entry)")
        dtype, shape, blob = _DTYPES[entry["dtype"]], entry.get("shape"), self._blob(entry)
        if not (isinstance(shape, list) and len(shape) <= 16
                and all(type(s) is int and s >= 0 for s in shape)):
            raise WireError("a malformed message (bad tensor shape)")
        itemsize = torch.empty((), dtype=dtype).element_size()
        numel = 1
        for s in shape:
            numel *= s
        if numel * itemsize != len(blob):
            raise WireError("a malformed message (tensor size does not match its shape)")
        raw = torch.frombuffer(bytearray(blob), dtype=torch.uint8) if blob else \
            torch.empty(0, dtype=torch.uint8)
        t = raw.view(dtype).reshape(shape).clone() if numel else torch.empty(shape, dtype=dtype)
        if entry.get("inf") is True:
            with torch.inference_mode():
                t = t.clone()
        elif entry.get("rg") is True and (t.is_floating_point() or t.is_complex()):
            t.requires_grad_(True)
        if "grad" in entry:
            t.grad = self.tensor(entry["grad"]).detach()
        self.tensors[index] = t
        return t

    def requires_grad(self, index: int) -> bool:
        """The sender's requires_grad flag of a tensor (whatever became of our copy)."""
        entry = self._table[index] if type(index) is int and 0 <= index < len(self._table) \
            else {}
        return isinstance(entry, dict) and entry.get("rg") is True

    def _blob(self, entry: dict) -> bytes:
        b = entry.get("b")
        if type(b) is not int or not 0 <= b < len(self._blobs):
            raise WireError("a malformed message (bad blob reference)")
        return self._blobs[b]

    def decode(self, data: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("a value nested too deeply")
        if data is None or isinstance(data, (bool, str)):
            return data
        if not isinstance(data, dict) or len(data) == 0:
            raise WireError("a malformed message (unknown value)")
        if "i" in data:
            return int(data["i"])  # ValueError for a huge or bad number: caught by the caller
        if "n" in data:
            return float(data["n"])
        if "t" in data:
            return self.tensor(data["t"])
        if "list" in data or "tuple" in data:
            items = [self.decode(v, depth + 1) for v in _list(data.get("list", data.get("tuple")))]
            return items if "list" in data else tuple(items)
        if "iter" in data:
            return iter([self.decode(v, depth + 1) for v in _list(data["iter"])])
        if "dict" in data:
            return {_key(self.decode(k, depth + 1)): self.decode(v, depth + 1)
                    for k, v in (_pair(p) for p in _list(data["dict"]))}
        if "np" in data:
            if data["np"] not in _NP_DTYPES:
                raise WireError("a malformed message (numpy dtype)")
            flat = np.frombuffer(self._blob(data), dtype=data["np"]).copy()
            return flat.reshape([int(s) for s in _list(data.get("shape"))])
        if "dtype" in data:
            if data["dtype"] not in _DTYPES:
                raise WireError("a malformed message (dtype)")
            return _DTYPES[data["dtype"]]
        if "gen" in data:
            gen = torch.Generator()
            gen.set_state(self.tensor(data["gen"]).detach().to(torch.uint8))
            self.generators.append(gen)
            return gen
        if "dc" in data:
            cls = _resolve(data["dc"], ("mnist_lab.",), None)
            if not dataclasses.is_dataclass(cls):
                raise WireError(f"{data['dc']} is not a dataclass")
            fields = data.get("fields")
            if not isinstance(fields, dict):
                raise WireError("a malformed message (dataclass fields)")
            return cls(**{str(k): self.decode(v, depth + 1) for k, v in fields.items()})
        if "mod" in data:
            return self.module(data, depth)
        if "ref" in data:
            k = data["ref"]
            if type(k) is not int or not 0 <= k < len(self._refs):
                raise WireError("a malformed message (bad reference)")
            return self._refs[k]
        if "fn" in data and self._callable_for is not None:
            return self._callable_for(data["fn"])
        raise WireError("a malformed message (unknown value)")

    def module(self, data: dict, depth: int) -> nn.Module:
        if depth > MAX_DEPTH:
            raise WireError("a module nested too deeply")
        cls = _resolve(data.get("mod"), _LIBRARIES, nn.Module)
        m = cls.__new__(cls)
        nn.Module.__init__(m)
        self.modules.append(m)
        for key, value in _dict(data.get("attrs")).items():
            if not key.isidentifier() or key.startswith("_") or hasattr(type(m), key):
                raise WireError(f"a {cls.__name__} with an unexpected attribute {key!r}")
            m.__dict__[key] = self.decode(value, depth + 1)
        for key, child in _dict(data.get("children")).items():
            m._modules[key] = None if child is None else self.module(child, depth + 1)
        for key, index in _dict(data.get("params")).items():
            if index is None:
                m._parameters[key] = None
                continue
            t = self.tensor(index)
            param = t if isinstance(t, nn.Parameter) else nn.Parameter(t.detach(),
                                                                        self.requires_grad(index))
            param.grad = t.grad if t.is_leaf else None
            self.tensors[index] = m._parameters[key] = param
        for key, index in _dict(data.get("buffers")).items():
            m._buffers[key] = None if index is None else self.tensor(index).detach()
        m._non_persistent_buffers_set = {k for k in _list(data.get("transient"))
                                         if isinstance(k, str)}
        return m


def _resolve(spec: Any, prefixes: tuple[str, ...], base: type | None) -> type:
    """A class already imported from an allowed library; never imports anything."""
    if not isinstance(spec, str) or ":" not in spec:
        raise WireError("a malformed message (class name)")
    module_name, qualname = spec.split(":", 1)
    module = sys.modules.get(module_name)
    if module is None or not module_name.startswith(prefixes) or \
            module_name.startswith("mnist_lab.course"):
        raise WireError(f"class {spec} is not one grading can rebuild")
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or (base is not None and not issubclass(obj, base)):
        raise WireError(f"class {spec} is not one grading can rebuild")
    return obj


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise WireError("a malformed message (expected a list)")
    return value


def _dict(value: Any) -> dict:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise WireError("a malformed message (expected a dict)")
    return value


def _key(value: Any) -> Any:
    """A decoded dict key: a string or a number (bool, int, float), never anything unhashable."""
    if not isinstance(value, _KEYS):
        raise WireError("a malformed message (dict key)")
    return value


def _pair(value: Any) -> tuple:
    if not (isinstance(value, list) and len(value) == 2):
        raise WireError("a malformed message (dict entry)")
    return value[0], value[1]
