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
