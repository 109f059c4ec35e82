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
