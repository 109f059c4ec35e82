import torch
import torch.nn.functional as F


def correct_1(p, t):
    return (-t / p + (1 - t) / (1 - p)) / p.numel()


def correct_2(p, t):
    q = p.detach().clone().requires_grad_(True)
    return torch.autograd.grad(F.binary_cross_entropy(q, t), q)[0]


def correct_3(p, t):
    n = 1
    for size in p.shape:
        n *= size
    return (p - t) / (p - p * p) / n


def wrong_1(p, t):  # forgets the mean
    return (p - t) / (p * (1 - p))


def wrong_2(p, t):  # divides by the rows, not the elements
    return (p - t) / (p * (1 - p)) / len(p)


def wrong_3(p, t):  # the logit's gradient, not p's
    return (p - t) / p.numel()


def correct_4(p, t):  # autograd through the lesson's own bce_loss, on the input itself
    p.requires_grad_(True)
    bce_loss(p, t).backward()  # noqa: F821 (the lesson's exercise 2, defined in the notebook)
    return p.grad


def correct_5(p, t):  # NumPy
    a, b = p.numpy(), t.numpy()
    return (a - b) / (a * (1 - a)) / a.size


def wrong_4(p, t):  # divides by the classes only
    return (p - t) / (p * (1 - p)) / p.shape[-1]


def wrong_5(p, t):  # assumes a 2-d p
    return (p - t) / (p * (1 - p)) / (p.shape[0] * p.shape[1])


HIDDEN_ONLY = {"wrong_5"}
