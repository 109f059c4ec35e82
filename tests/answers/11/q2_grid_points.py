import numpy as np
import torch


def correct_1(low, high, n):
    return torch.logspace(np.log10(low), np.log10(high), n)


def correct_2(low, high, n):
    return np.geomspace(low, high, n)


def correct_3(low, high, n):
    return [low * (high / low) ** (i / (n - 1)) for i in range(n)]


def wrong_1(low, high, n):  # linear spacing
    return torch.linspace(low, high, n)


def wrong_2(low, high, n):  # logspace wants exponents, not values
    return np.logspace(low, high, n)


def wrong_3(low, high, n):  # never reaches high
    return [low * (high / low) ** (i / n) for i in range(n)]


def correct_4(low, high, n):  # exp of a float32 linspace of logs
    import math
    return torch.exp(torch.linspace(math.log(low), math.log(high), n))


def wrong_4(low, high, n):  # natural logs as logspace's base-10 exponents
    import math
    return torch.logspace(math.log(low), math.log(high), n)
