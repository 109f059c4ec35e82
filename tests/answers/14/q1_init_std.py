import math

import torch
from torch import nn


def correct_1(scheme, fan_in, fan_out):
    return (2 / (fan_in + fan_out)) ** 0.5 if scheme == "xavier" else (2 / fan_in) ** 0.5


def correct_2(scheme, fan_in, fan_out):
    total = torch.tensor(float(fan_in + fan_out if scheme == "xavier" else fan_in))
    return torch.sqrt(2 / total)  # a 0-d float32 tensor


def correct_3(scheme, fan_in, fan_out):
    if scheme == "kaiming":
        return nn.init.calculate_gain("relu") / math.sqrt(fan_in)
    return math.sqrt(2.0) / math.sqrt(fan_in + fan_out)


def wrong_1(scheme, fan_in, fan_out):  # Kaiming without the 2
    return math.sqrt(2 / (fan_in + fan_out)) if scheme == "xavier" else math.sqrt(1 / fan_in)


def wrong_2(scheme, fan_in, fan_out):  # Xavier with a product
    return math.sqrt(2 / (fan_in * fan_out)) if scheme == "xavier" else math.sqrt(2 / fan_in)


def wrong_3(scheme, fan_in, fan_out):  # Kaiming on fan_out
    return math.sqrt(2 / (fan_in + fan_out)) if scheme == "xavier" else math.sqrt(2 / fan_out)


def correct_4(scheme, fan_in, fan_out):  # NumPy floats
    import numpy as np
    return np.sqrt(2 / (fan_in + fan_out)) if scheme == "xavier" else np.sqrt(2) / np.sqrt(fan_in)


def wrong_4(scheme, fan_in, fan_out):  # the uniform distribution's bound, not the normal's std
    return math.sqrt(6 / (fan_in + fan_out)) if scheme == "xavier" else math.sqrt(6 / fan_in)
