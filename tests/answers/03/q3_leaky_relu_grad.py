import torch
import torch.nn.functional as F


def correct_1(x, slope=0.02):
    return (x > 0).to(x.dtype) * (1 - slope) + slope


def correct_2(x, slope=0.02):
    q = x.detach().clone().requires_grad_(True)
    return torch.autograd.grad(F.leaky_relu(q, slope).sum(), q)[0]


def correct_3(x, slope=0.02):
    out = torch.full_like(x, slope)
    out[x > 0] = 1.0
    return out


def wrong_1(x, slope=0.02):  # 1 at x = 0
    return torch.where(x >= 0, torch.ones_like(x), torch.full_like(x, slope))


def wrong_2(x, slope=0.02):  # ReLU's slope: 0 for negative x
    return (x > 0).to(x.dtype)


def wrong_3(x, slope=0.02):  # the book's 0.02 always
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, 0.02))


def correct_4(x, slope=0.02):  # Python scalars in torch.where (a float32 result)
    return torch.where(x > 0, 1.0, slope)


def correct_5(x, slope=0.02):  # NumPy
    import numpy as np
    return np.where(x.numpy() > 0, 1.0, slope)


def wrong_4(x, slope=0.02):  # 0 at exactly x = 0
    return torch.where(x > 0, 1.0, torch.where(x < 0, slope, 0.0))
