"""The grading wire format and the proxies that call a student's function across it.

The codec tests need no worker. The proxy tests start one worker process (the zygote of
mnist_lab.course.worker, without bubblewrap: what is tested here is the protocol, not the
isolation, which tests/test_grading_attacks.py covers).
"""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pytest
import torch
from torch import nn

from mnist_lab import checks
from mnist_lab.course import wire
from mnist_lab.course.proxy import Connection, Proxy, WorkerLost
from mnist_lab.course.sandbox import Limits, Slot
from mnist_lab.models import MLP


def roundtrip(value):
    enc = wire.Encoder()
    data = json.loads(json.dumps(enc.encode(value)))
    return wire.Decoder(json.loads(json.dumps(enc.table())), enc.blobs).decode(data)


# --- the codec -------------------------------------------------------------------------------

def test_tensors_come_back_exact_with_dtype_shape_and_flags():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    for t in (x, torch.arange(6).reshape(2, 3), torch.tensor(True), torch.zeros(0, 5),
              torch.tensor(2.5, dtype=torch.bfloat16), x.detach().t(), torch.arange(7)[3::7]):
        back = roundtrip(t)
        assert type(back) is torch.Tensor and back.dtype == t.dtype and back.shape == t.shape
        assert torch.equal(back.detach(), t.detach()) and back.requires_grad == t.requires_grad


def test_a_tensor_subclass_arrives_as_a_plain_tensor():
    class Liar(torch.Tensor):
        pass

    assert type(roundtrip(torch.ones(2).as_subclass(Liar))) is torch.Tensor


def test_containers_numbers_and_shared_tensors_keep_their_structure():
    t = torch.ones(2)
    back = roundtrip([t, t, (1, 2.5, None, "s", True), {"k": 10**40}, np.arange(3),
                      torch.float16])
    assert back[0] is back[1]
    assert back[2:4] == [(1, 2.5, None, "s", True), {"k": 10**40}]
    assert back[4].tolist() == [0, 1, 2] and back[5] is torch.float16


def test_numpy_arrays_keep_their_shape_even_with_no_dimensions():
    for array in (np.array(0.25), np.arange(6, dtype=np.float32).reshape(2, 3).T):
        back = roundtrip(array)
        assert back.shape == array.shape and back.dtype == array.dtype
        assert np.array_equal(back, array)


def test_dict_keys_keep_their_type():
    back = roundtrip({1e-3: [0.9], 64: [0.97], "a": [0.5], True: 1})
    assert back == {1e-3: [0.9], 64: [0.97], "a": [0.5], True: 1}
    assert [type(k) for k in back] == [float, int, str, bool]


def test_a_dict_key_that_is_not_a_string_or_number_is_refused():
    enc = wire.Encoder()
    data = json.loads(json.dumps(enc.encode({"k": 1})))
    data["dict"][0][0] = {"list": []}
    with pytest.raises(wire.WireError, match="dict key"):
        wire.Decoder(enc.table(), enc.blobs).decode(data)


def test_models_travel_as_architecture_and_tensors():
    model = MLP(sizes=(6, 5, 3), hidden_activation="leaky_relu", norm="layer")
    model.out.weight.requires_grad_(False)
    back = roundtrip(nn.Sequential(model, nn.Softmax(dim=1)))
    x = torch.rand(2, 6)
    assert str(back) == str(nn.Sequential(model, nn.Softmax(dim=1)))
    assert torch.equal(back(x), nn.Sequential(model, nn.Softmax(dim=1))(x))
    assert back[0].cfg == model.cfg and not back[0].out.weight.requires_grad


def test_generators_travel_as_their_state():
    gen = torch.Generator().manual_seed(7)
    back = roundtrip(gen)
    assert torch.equal(torch.rand(3, generator=back), torch.rand(3, generator=gen))


@pytest.mark.parametrize("value", [object(), lambda x: x, type("Net", (nn.Module,), {})(),
                                   {(1, 2): 3}])
def test_anything_else_is_refused_with_a_clear_error(value):
    with pytest.raises(wire.WireError):
        wire.Encoder().encode(value)


def test_a_module_with_hooks_is_refused():
    layer = nn.Linear(2, 2)
    layer.register_forward_hook(lambda *a: None)
    with pytest.raises(wire.WireError, match="hooks"):
        wire.Encoder().encode(layer)


def test_classes_are_only_rebuilt_from_torch_nn_and_mnist_lab():
    for spec in ("os:system", "builtins:eval", "mnist_lab.course.grading:GradeRun",
                 "torch.nn:Module.__subclasses__"):
        with pytest.raises(wire.WireError):
            wire.Decoder([], []).decode({"mod": spec, "attrs": {}, "children": {},
                                         "params": {}, "buffers": {}, "transient": []})


def test_a_module_attribute_may_not_shadow_its_methods():
    data = wire.Encoder().encode(nn.ReLU())
    data["attrs"]["forward"] = "x"
    with pytest.raises(wire.WireError, match="unexpected attribute"):
        wire.Decoder([], []).decode(data)


@pytest.mark.parametrize("table", [[{"dtype": "float32", "shape": [4], "b": 0}],
                                   [{"dtype": "object", "shape": [1], "b": 0}],
                                   [{"dtype": "float32", "shape": [-1], "b": 0}],
                                   [{"dtype": "float32", "shape": [1], "b": 5}]])
def test_malformed_tensor_entries_are_refused(table):
    with pytest.raises(wire.WireError):
        wire.Decoder(table, [b"\0" * 8]).decode({"t": 0})


def test_deep_nesting_is_refused():
    data: dict = {"list": []}
    for _ in range(wire.MAX_DEPTH + 5):
        data = {"list": [data]}
    with pytest.raises(wire.WireError):
        wire.Decoder([], []).decode(data)


def test_an_oversized_or_garbled_message_is_refused():
    a, b = socket.socketpair()
    a.sendall((wire.MAX_HEADER + 1).to_bytes(8, "big"))
    with pytest.raises(wire.WireError):
        wire.recv(b, time.monotonic() + 2)
    a.sendall((5).to_bytes(8, "big") + b"{[}]x")
    with pytest.raises(wire.WireError):
        wire.recv(b, time.monotonic() + 2)
    a.close()
    with pytest.raises(wire.PeerGone):
        wire.recv(b, time.monotonic() + 2)


# --- proxies against a real worker -----------------------------------------------------------

STUDENT = '''
import torch
def double(x):
    return 2 * x
def detached(x):
    return (2 * x).detach()
def bad_grad(x):
    class F(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x
        @staticmethod
        def backward(ctx, g):
            return 3 * g
    return F.apply(x)
def in_place(x):
    x.mul_(2)
    return x
def freeze(model):
    for p in model.parameters():
        p.requires_grad_(False)
    return model
def draw(gen):
    return torch.rand(2, generator=gen)
def numerical(f, x):
    return torch.stack([f(x + e) - f(x) for e in 1e-3 * torch.eye(len(x))]) / 1e-3
def loop(x):
    while True:
        pass
def derivative(x):
    q = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad((q ** 3).sum(), q)[0]
def halves(x):
    yield from x.split(len(x) // 2)
def inference(x):
    with torch.inference_mode():
        return 2 * x
def behead(model):
    model.out = torch.nn.Identity()
    return model
'''

NAMES = ["double", "detached", "bad_grad", "in_place", "freeze", "draw", "numerical",
         "derivative", "halves", "inference", "behead"]


@pytest.fixture(scope="module")
def worker():
    slot = Slot(Limits(), [], sandbox=False)
    slot.start()
    yield slot
    slot.close()


@pytest.fixture
def student(worker):
    """name -> proxy, in a fresh worker with the STUDENT cell run."""
    sock, _ = worker.open_job()
    conn = Connection(sock, time.monotonic() + 20)
    reply, _ = conn.request({"op": "run", "cells": [["cell", STUDENT]], "names": NAMES})
    assert reply["op"] == "ready"
    yield lambda name: Proxy(conn, name, name)
    worker.close_job(sock)


def test_check_function_compares_values_and_gradients_through_a_proxy(student):
    assert checks.check_function(student("double"), lambda x: x + x, [(torch.randn(4),)],
                                 quiet=True)


def test_a_wrong_gradient_computed_by_the_worker_is_caught(student):
    with pytest.raises(checks.CheckFailed, match="gradient"):
        checks.check_function(student("bad_grad"), lambda x: 2 * x, [(torch.randn(3),)],
                              quiet=True)


def test_a_result_cut_off_from_autograd_is_seen_as_such(student):
    with pytest.raises(checks.CheckFailed, match="cut off from autograd"):
        checks.check_function(student("detached"), lambda x: 2 * x, [(torch.randn(3),)],
                              quiet=True)


def test_in_place_edits_of_arguments_come_back_to_the_grader(student):
    x = torch.ones(3)
    student("in_place")(x)
    assert torch.equal(x, torch.full((3,), 2.0))


def test_a_models_flags_change_and_the_same_model_is_returned(student):
    model = MLP(sizes=(4, 3, 2))
    assert student("freeze")(model) is model
    assert not any(p.requires_grad for p in model.parameters())


def test_a_generator_advances_as_if_used_here(student):
    gen, same = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(student("draw")(gen), torch.rand(2, generator=same))
    assert torch.equal(torch.rand(2, generator=gen), torch.rand(2, generator=same))


def test_a_callable_argument_is_called_back_in_the_grader(student):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    got = student("numerical")(lambda v: (v ** 2).sum(), x)
    assert torch.allclose(got, 2 * x, atol=1e-2)


def test_a_function_using_autograd_itself_works_as_in_the_notebook(student):
    x = torch.tensor([1.0, -2.0, 0.5])
    assert checks.check_function(student("derivative"), lambda v: 3 * v ** 2, [(x,)],
                                 grad=False, quiet=True)


def test_a_returned_generator_arrives_as_an_iterator_not_a_list(student):
    got = student("halves")(torch.arange(4))
    assert not isinstance(got, list)
    assert [h.tolist() for h in got] == [[0, 1], [2, 3]]


def test_an_inference_tensor_arrives_as_one(student):
    got = student("inference")(torch.ones(2))
    assert got.is_inference() and torch.equal(got, torch.full((2,), 2.0))


def test_layers_the_function_replaced_are_replaced_in_the_graders_model_too(student):
    model = MLP(sizes=(4, 3, 2))
    assert student("behead")(model) is model
    assert isinstance(model.out, torch.nn.Identity)
    assert model(torch.ones(1, 4)).shape == (1, 3)  # the hidden layer's outputs now


def test_an_undefined_name_raises_name_error(student):
    with pytest.raises(NameError):
        student("nope")(1)


def test_the_deadline_stops_a_looping_function(worker):
    sock, _ = worker.open_job()
    conn = Connection(sock, time.monotonic() + 1)
    conn.request({"op": "run", "cells": [["cell", STUDENT]], "names": ["loop"]})
    with pytest.raises(WorkerLost) as lost:
        Proxy(conn, "loop", "loop")(1)
    assert lost.value.timed_out
    worker.kill()
