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


def correct_4(p, t):  # the mean of the row means: the same when every row has the same length
    return ((p - t) ** 2).mean(dim=-1).mean()


def correct_5(p, t):
    d = (p - t).reshape(-1)
    return d @ d / d.numel()


def wrong_4(p, t):  # half the MSE, as some textbooks define it
    return 0.5 * ((p - t) ** 2).mean()


def wrong_5(p, t):  # summed, divided by the rows
    return F.mse_loss(p, t, reduction="sum") / p.shape[0]
