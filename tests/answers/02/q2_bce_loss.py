import torch
import torch.nn.functional as F


def correct_1(p, t):
    return F.binary_cross_entropy(p, t)


def correct_2(p, t):
    tiny = torch.exp(torch.tensor(-100.0, dtype=p.dtype))
    return -(t * torch.log(p.clamp(min=tiny)) + (1 - t) * torch.log((1 - p).clamp(min=tiny))).mean()


def correct_3(p, t):
    floor = torch.tensor(-100.0, dtype=p.dtype)
    losses = -(t * torch.maximum(torch.log(p), floor)
               + (1 - t) * torch.maximum(torch.log1p(-p), floor))
    return losses.sum() / p.numel()


def wrong_1(p, t):  # clamps p, not the logs: 16 instead of 100 for a certain mistake
    q = p.clamp(1e-7, 1 - 1e-7)
    return -(t * torch.log(q) + (1 - t) * torch.log(1 - q)).mean()


def wrong_2(p, t):  # picks one log by the hard label: wrong for soft targets
    return -torch.where(t > 0.5, torch.log(p), torch.log(1 - p)).clamp(min=-100).mean()


def wrong_3(p, t):  # only the t·log p term
    return -(t * torch.log(p).clamp(min=-100)).mean()


def correct_4(p, t):  # -log clamped at +100: the same thing
    surprise_yes = (-torch.log(p)).clamp(max=100)
    surprise_no = (-torch.log(1 - p)).clamp(max=100)
    return (t * surprise_yes + (1 - t) * surprise_no).mean()


def correct_5(p, t):  # xlogy: 0 · log 0 is 0 by definition
    return -(torch.xlogy(t, p).clamp(min=-100) + torch.xlogy(1 - t, 1 - p).clamp(min=-100)).mean()


def wrong_4(p, t):  # nan_to_num: a certain, wrong output costs 3.4e38, not 100
    return -torch.nan_to_num(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()


def wrong_5(p, t):  # adds 1e-12 inside the logs: 27.6 instead of 100
    return -(t * torch.log(p + 1e-12) + (1 - t) * torch.log(1 - p + 1e-12)).mean()
