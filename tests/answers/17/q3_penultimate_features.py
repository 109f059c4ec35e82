import torch
from torch import nn


def correct_1(model, x):
    with torch.no_grad():
        h = x
        for block in model.hidden:
            h = block(h)
        return h


@torch.no_grad()
def correct_2(model, x):
    body = nn.Sequential(*model.hidden)
    return body(x)


def correct_3(model, x):
    h = x
    for block in model.hidden:
        h = block(h)
    return h.detach()


def wrong_1(model, x):  # inference tensors: no head can be trained on them
    with torch.inference_mode():
        h = x
        for block in model.hidden:
            h = block(h)
    return h


def wrong_2(model, x):  # replaces the model's head
    model.out = nn.Identity()
    model.out_act = nn.Identity()
    with torch.no_grad():
        return model(x)


def wrong_3(model, x):  # no torch.no_grad(): the features carry the model's graph
    h = x
    for block in model.hidden:
        h = block(h)
    return h


def correct_4(model, x):  # a forward hook on the last hidden block
    store = {}
    handle = model.hidden[-1].register_forward_hook(lambda m, i, o: store.setdefault("h", o))
    with torch.no_grad():
        model(x)
    handle.remove()
    return store["h"]


def wrong_4(model, x):  # the last block's Linear only: no activation, no norm
    with torch.no_grad():
        h = x
        for block in model.hidden[:-1]:
            h = block(h)
        return model.hidden[-1].linear(h)
