"""A pretend GPU made of CPU tensors, to find device bugs on a machine that has no GPU.

    with fake_gpu() as gpu:
        history = fit(model, data, TrainConfig(device=gpu.device))
    gpu.syncs  # the host reads of values on the pretend GPU, e.g. ["aten._local_scalar_dense"]

The pretend GPU is called "meta": a CPU-only PyTorch cannot run autograd on a tensor that says
"cuda", while "meta" it knows as a device other than the CPU. Inside the block, a tensor asked
for on "meta" (a factory's device=, .to(), a module's .to()) is a real CPU tensor in a wrapper
whose .device says meta. Every operation on wrappers runs on the CPU for real, after checking
what CUDA checks (roughly; the rules are `_check_devices` and `_check_generator`):

- the tensors of one operation share a device, except 0-d CPU tensors (Python-number-like);
- a GPU tensor may be indexed with CPU indices, a CPU tensor not with GPU ones;
- a random draw on a device takes a generator of that device;
- `.numpy()` (and with it np.asarray and matplotlib) refuses a GPU tensor.

`fake_gpu(mps=True)` plays Apple's MPS: it refuses float64 on the pretend GPU, and adds "meta"
to mnist_lab.device.NO_FLOAT64 so that the library knows.

Each host read of a GPU value (.item(), float(), bool(), .tolist(), .cpu(), nonzero, a boolean
mask...) is recorded in `syncs`: on a GPU each one waits for all the queued work.

It is slow (every operation goes through Python) and an emulation: it finds tensors on the
wrong device and host reads, not CUDA's rounding, speed, memory or CUDA-only code paths
(`device.type == "cuda"` is False here). A `.to()` onto the pretend GPU makes a new leaf:
gradients do not flow back through it to a CPU tensor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

GPU = torch.device("meta")
CPU = torch.device("cpu")
_INDEXING = {"aten::index", "aten::index_put_", "aten::index_put", "aten::_index_put_impl_"}
_CROSS_DEVICE = {"aten::_to_copy", "aten::copy_", "aten::_copy_from"}
# Results whose size or value the host needs at once: a GPU must finish the work first.
_SYNCING = {"aten::_local_scalar_dense", "aten::nonzero", "aten::equal", "aten::is_nonzero",
            "aten::masked_select", "aten::_unique2", "aten::unique_dim",
            "aten::unique_consecutive", "aten::repeat_interleave"}


class FakeGpuTensor(torch.Tensor):
    """A CPU tensor (`elem`) in a wrapper that says it lives on the pretend GPU."""

    elem: torch.Tensor

    @staticmethod
    def __new__(cls, elem: torch.Tensor) -> FakeGpuTensor:
        out = torch.Tensor._make_wrapper_subclass(
            cls, elem.shape, strides=elem.stride(), storage_offset=elem.storage_offset(),
            dtype=elem.dtype, layout=elem.layout, device=GPU, requires_grad=elem.requires_grad)
        out.elem = elem.detach()  # autograd works on the wrapper, not inside it
        return out

    def __repr__(self) -> str:  # the wrapper has no storage of its own to print
        return f"FakeGpu({self.elem!r})"

    __torch_function__ = torch._C._disabled_torch_function_impl

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})


class FakeGpuGenerator(torch.Generator):
    """torch.Generator(device="meta") on the pretend GPU: a CPU generator that says meta."""

    def __new__(cls, device: str | torch.device = "cpu") -> FakeGpuGenerator:
        generator = super().__new__(cls)  # on the CPU, whatever the device
        generator._device = torch.device(device)
        return generator

    def __init__(self, device: str | torch.device = "cpu") -> None:
        pass  # all done in __new__

    @property
    def device(self) -> torch.device:
        return self._device


class _OnFakeGpu(TorchDispatchMode):
    """Every aten operation, also those PyTorch calls internally: factories and copies onto
    "meta" are made on the CPU and wrapped; the rest is checked, run and rewrapped (`_run`)."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})


class _HostReads(TorchFunctionMode):
    """What is not an aten operation: .numpy() and .tolist(), and the generator's device."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        on_gpu = any(isinstance(t, FakeGpuTensor) for t in _tensors(args, kwargs))
        if func in (torch.Tensor.numpy, torch.Tensor.__array__) and on_gpu:
            raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first. (fake_gpu)")
        if func is torch.Tensor.tolist and on_gpu:
            _record_sync(func)
            return args[0].elem.tolist()
        if func is torch.Tensor.__format__ and on_gpu:  # f"{loss:.3f}" reads the number
            _record_sync(func)
            return args[0].elem.__format__(*args[1:])
        _check_generator(func, kwargs, on_gpu)
        if _device_of(kwargs) == GPU and not _tensors(args, kwargs):
            # A factory; torch.tensor(data, device=...) never reaches the dispatch mode.
            if func in (torch.tensor, torch.as_tensor):
                _record_sync(func)  # a copy of host data onto the GPU
            out = func(*args, **{**kwargs, "device": CPU})
            return tree_map(lambda t: _rewrap(t, {}, type(t) is torch.Tensor), out)
        return func(*args, **kwargs)


class FakeGpu:
    """What `fake_gpu()` yields: its device, and the host reads it saw, in order."""

    device = GPU

    def __init__(self, mps: bool = False) -> None:
        self.mps = mps  # refuse float64, as MPS does
        self.syncs: list[str] = []


_ACTIVE: list[FakeGpu] = []


@contextlib.contextmanager
def fake_gpu(mps: bool = False) -> Iterator[FakeGpu]:
    """Within the block, "meta" is a pretend GPU of real CPU tensors (see the module docstring);
    with `mps`, one without float64."""
    fake = FakeGpu(mps)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch, "Generator", FakeGpuGenerator)  # accepts device="meta"
        if mps:
            import mnist_lab.device
            known = getattr(mnist_lab.device, "NO_FLOAT64", set())
            mp.setattr(mnist_lab.device, "NO_FLOAT64", {*known, GPU.type}, raising=False)
        _ACTIVE.append(fake)
        try:
            with _HostReads(), _OnFakeGpu():
                yield fake
        finally:
            _ACTIVE.pop()


# ---- the rules ------------------------------------------------------------------------------


def _tensors(args, kwargs) -> list[torch.Tensor]:
    return [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]


def _where(t: torch.Tensor) -> torch.device:
    if isinstance(t, FakeGpuTensor):
        return GPU
    if t.device == GPU:  # made by a path the modes do not see: it holds no data
        raise AssertionError("fake_gpu: a real meta tensor got through; teach fake_gpu its maker")
    return CPU


def _device_of(kwargs: dict) -> torch.device | None:
    device = kwargs.get("device")
    return None if device is None else torch.device(device)


def _check_devices(func, args, kwargs) -> None:
    """Raise the error CUDA raises when one operation mixes devices."""
    name = func._schema.name
    if name in _CROSS_DEVICE:
        return
    if name in _INDEXING:  # self[indices] (= values): indices on the CPU or on self's device
        self_, indices = args[0], [i for i in args[1] if i is not None]
        for index in indices:
            if _where(index) not in (CPU, _where(self_)):
                raise RuntimeError(
                    "indices should be either on cpu or on the same device as the indexed "
                    f"tensor ({_where(self_).type}) (fake_gpu, {func})")
        args = (self_, *args[2:])
    # A 0-d CPU tensor may join in as an input, not be written to (x_cpu_0d += x_gpu fails).
    written = args[0] if name.endswith("_") and args and isinstance(args[0], torch.Tensor) else None
    devices = {_where(t) for t in _tensors(args, kwargs)
               if t is written or not (_where(t) == CPU and t.dim() == 0)}
    if len(devices) > 1:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, meta and cpu! (fake_gpu, {func})")


def _check_generator(func, kwargs, on_gpu: bool) -> None:
    """A random draw takes a generator of the device it draws on (CUDA's rule)."""
    generator = kwargs.get("generator")
    if generator is None:
        return
    target = _device_of(kwargs) or (GPU if on_gpu else CPU)
    if generator.device.type != target.type:
        raise RuntimeError(f"Expected a '{target.type}' device type for generator but found "
                           f"'{generator.device.type}' (fake_gpu, {func.__name__})")


def _syncs(func, args, kwargs) -> bool:
    """Whether the host waits for the GPU: it reads a value, or a size that depends on values."""
    name = func._schema.name
    if name in _SYNCING:
        return _where(args[0]) == GPU
    # A copy between host and GPU waits for the GPU unless non_blocking (torch's CUDA copy
    # synchronizes the stream), either way.
    if name == "aten::_to_copy":
        target = _device_of(kwargs) or _where(args[0])
        return target != _where(args[0]) and not kwargs.get("non_blocking", False)
    if name == "aten::copy_":
        non_blocking = args[2] if len(args) > 2 else kwargs.get("non_blocking", False)
        return _where(args[0]) != _where(args[1]) and not non_blocking
    if name == "aten::index":  # a boolean mask: the result's size is its count of True
        return any(i is not None and i.dtype == torch.bool for i in args[1])
    return False


def _record_sync(func) -> None:
    if _ACTIVE:
        _ACTIVE[-1].syncs.append(str(getattr(func, "__name__", func)))


def _run(func, args, kwargs):
    """Check one aten operation as CUDA would, then run it on the CPU tensors inside."""
    _check_devices(func, args, kwargs)
    if _syncs(func, args, kwargs):
        _record_sync(func)
    on_gpu = _result_device(func, args, kwargs) == GPU
    if _device_of(kwargs) == GPU:
        kwargs = {**kwargs, "device": CPU}
    out = func(*tree_map(_unwrap, args), **tree_map(_unwrap, kwargs))
    # An in-place operation returns its own argument: give back that wrapper, not a new one.
    mine = {id(a.elem): a for a in _tensors(args, kwargs) if isinstance(a, FakeGpuTensor)}
    return tree_map(lambda t: _rewrap(t, mine, on_gpu), out)


def _result_device(func, args, kwargs) -> torch.device:
    if kwargs.get("device") is not None:  # _to_copy, new_zeros, zeros_like...
        return _device_of(kwargs)
    if func._schema.name in ("aten::_to_copy", "aten::copy_"):
        return _where(args[0])
    return GPU if any(_where(t) == GPU for t in _tensors(args, kwargs)) else CPU


def _unwrap(x):
    return x.elem if isinstance(x, FakeGpuTensor) else x


def _rewrap(t, mine: dict, on_gpu: bool):
    if not isinstance(t, torch.Tensor):
        return t
    if id(t) in mine:
        return mine[id(t)]
    if on_gpu and t.dtype == torch.float64 and _ACTIVE and _ACTIVE[-1].mps:
        raise TypeError("Cannot convert a MPS Tensor to float64 dtype as the MPS framework "
                        "doesn't support float64. Please use float32 instead. (fake_gpu)")
    return FakeGpuTensor(t) if on_gpu else t
