import torch
import torch.nn.functional as F


def correct_1(x):
    s = torch.sigmoid(x)
    return s - s * s


def correct_2(x):
    q = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(torch.sigmoid(q).sum(), q)[0]


def correct_3(x):
    return torch.exp(-F.softplus(x) - F.softplus(-x))


def wrong_1(x):  # inf / inf = nan for very negative x
    return torch.exp(-x) / (1 + torch.exp(-x)) ** 2


def wrong_2(x):  # σ(x)·(1 − x)
    return torch.sigmoid(x) * (1 - x)


def wrong_3(x):  # the sigmoid itself
    return torch.sigmoid(x)


def correct_4(x):  # σ(x)·σ(−x): the same, and stable at both ends
    return torch.sigmoid(x) * torch.sigmoid(-x)


def correct_5(x):  # 1 / (2 + 2 cosh x): cosh overflows to inf, and 1 / inf is 0
    return 1 / (2 + 2 * torch.cosh(x))


def wrong_4(x):  # tanh's slope, not the sigmoid's
    return 1 - torch.tanh(x) ** 2
