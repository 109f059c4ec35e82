import torch
import torch.nn.functional as F


def correct_1(p, t):
    return F.mse_loss(p, t)


def correct_2(p, t):
    return (p - t).pow(2).sum() / p.numel()


def correct_3(p, t):
    return torch.mean(torch.square(t - p))


def wrong_1(p, t):  # a sum
    return ((p - t) ** 2).sum()


def wrong_2(p, t):  # summed over classes, averaged over rows
    return ((p - t) ** 2).sum(dim=-1).mean()


def wrong_3(p, t):  # absolute error
    return (p - t).abs().mean()
