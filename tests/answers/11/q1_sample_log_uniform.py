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


def correct_4(low, high, n, generator):  # a Python list
    return [low * (high / low) ** u for u in torch.rand(n, generator=generator).tolist()]


def correct_5(low, high, n, generator):  # NumPy, seeded from the generator's seed
    import numpy as np
    rng = np.random.default_rng(generator.initial_seed())
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def wrong_4(low, high, n, generator):  # re-seeds the generator: every seed gives one draw
    generator.manual_seed(0)
    return low * (high / low) ** torch.rand(n, generator=generator)
