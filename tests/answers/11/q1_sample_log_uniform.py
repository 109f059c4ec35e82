import math

import torch


def correct_1(low, high, n, generator):
    u = torch.rand(n, generator=generator)
    return torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))


def correct_2(low, high, n, generator):
    exponents = torch.empty(n, dtype=torch.float64).uniform_(math.log10(low), math.log10(high),
                                                             generator=generator)
    return 10**exponents


def correct_3(low, high, n, generator):
    u = torch.rand(n, generator=generator, dtype=torch.float64).numpy()
    return low * (high / low) ** u


def wrong_1(low, high, n, generator):  # uniform, not log-uniform
    return low + (high - low) * torch.rand(n, generator=generator)


def wrong_2(low, high, n, generator):  # ignores the generator
    u = torch.rand(n)
    return torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))


def wrong_3(low, high, n, generator):  # mixes log10 and exp
    u = torch.rand(n, generator=generator)
    return torch.exp(math.log10(low) + u * (math.log10(high) - math.log10(low)))
