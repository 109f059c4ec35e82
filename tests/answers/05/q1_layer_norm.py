import torch
import torch.nn.functional as F


def correct_1(x, weight, bias, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def correct_2(x, weight, bias, eps=1e-5):
    var, mean = torch.var_mean(x, dim=1, keepdim=True, correction=0)
    return (x - mean) * torch.rsqrt(var + eps) * weight + bias


def correct_3(x, weight, bias, eps=1e-5):
    centred = x - x.mean(-1, keepdim=True)
    std = x.std(dim=-1, unbiased=False, keepdim=True)
    return weight * centred / (std**2 + eps).sqrt() + bias


def wrong_1(x, weight, bias, eps=1e-5):  # unbiased variance (D - 1)
    mean, var = x.mean(-1, keepdim=True), x.var(-1, keepdim=True)
    return weight * (x - mean) / torch.sqrt(var + eps) + bias


def wrong_2(x, weight, bias, eps=1e-5):  # over the batch (columns), like BatchNorm
    mean, var = x.mean(0, keepdim=True), x.var(0, unbiased=False, keepdim=True)
    return weight * (x - mean) / torch.sqrt(var + eps) + bias


def wrong_3(x, weight, bias, eps=1e-5):  # eps outside the root
    mean = x.mean(-1, keepdim=True)
    std = x.std(-1, unbiased=False, keepdim=True)
    return weight * (x - mean) / (std + eps) + bias


def correct_4(x, weight, bias, eps=1e-5):  # one row at a time, sums divided by D
    rows = []
    for row in x:
        mu = row.sum() / row.numel()
        var = ((row - mu) ** 2).sum() / row.numel()
        rows.append(weight * (row - mu) / (var + eps) ** 0.5 + bias)
    return torch.stack(rows)


def correct_5(x, weight, bias, eps=1e-5):  # E[x²] − E[x]², statistics without keepdim
    mu = x.mean(1)
    var = (x**2).mean(1) - mu**2
    return weight * (x - mu[:, None]) / torch.sqrt(var[:, None] + eps) + bias


def wrong_4(x, weight, bias, eps=1e-5):  # the default eps written in, whatever eps is
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return weight * (x - mean) / torch.sqrt(var + 1e-5) + bias


def wrong_5(x, weight, bias, eps=1e-5):  # weight and bias swapped
    return F.layer_norm(x, (x.shape[-1],), bias, weight, eps)
