from torch import nn


def correct_1(model):
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for p in model.parameters():
        p.requires_grad = False
    linears[-1].weight.requires_grad = True
    linears[-1].bias.requires_grad = True
    return model


def correct_2(model):
    model.requires_grad_(False)
    last = None
    for m in model.modules():
        if isinstance(m, nn.Linear):
            last = m
    last.requires_grad_(True)
    return model


def correct_3(model):
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    for name, p in model.named_parameters():
        p.requires_grad_(name.rsplit(".", 1)[0] == names[-1])
    return model


def wrong_1(model):  # the last child, which may not be a Linear
    for p in model.parameters():
        p.requires_grad_(False)
    for p in list(model.children())[-1].parameters():
        p.requires_grad_(True)
    return model


def wrong_2(model):  # the last two parameters, whatever they belong to
    params = list(model.parameters())
    for p in params[:-2]:
        p.requires_grad_(False)
    return model


def wrong_3(model):  # forgets to return the model
    model.requires_grad_(False)
    [m for m in model.modules() if isinstance(m, nn.Linear)][-1].requires_grad_(True)


def correct_4(model):  # the first Linear met walking the modules backwards
    model.requires_grad_(False)
    for m in reversed(list(model.modules())):
        if isinstance(m, nn.Linear):
            m.requires_grad_(True)
            break
    return model


def wrong_4(model):  # the last module that has parameters, Linear or not
    model.requires_grad_(False)
    [m for m in model.modules() if list(m.parameters(recurse=False))][-1].requires_grad_(True)
    return model
