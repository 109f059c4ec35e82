import torch
import torch.nn.functional as F


def correct_1(x, slope=0.02):
    return F.leaky_relu(x, negative_slope=slope)


def correct_2(x, slope=0.02):
    return torch.clamp(x, min=0) + slope * torch.clamp(x, max=0)


def correct_3(x, slope=0.02):
    return x * ((x > 0).to(x.dtype) + slope * (x <= 0).to(x.dtype))


def wrong_1(x, slope=0.02):  # torch's default slope 0.01, not the one given
    return F.leaky_relu(x)


def wrong_2(x, slope=0.02):  # adds slope·x everywhere
    return x.clamp(min=0) + slope * x


def wrong_3(x, slope=0.02):  # edits x in place
    x[x < 0] *= slope
    return x


def correct_4(x, slope=0.02):  # max(x, slope·x), right for any slope below 1
    return torch.max(x, slope * x)


def correct_5(x, slope=0.02):  # in place, but on a copy
    y = x.clone()
    y[y < 0] *= slope
    return y


def wrong_4(x, slope=0.02):  # slope·|x|: positive on the left
    return torch.where(x > 0, x, slope * x.abs())
