import numpy as np
import torch


def correct_1(best, factor, low, high):
    return max(best / factor, low), min(best * factor, high)


def correct_2(best, factor, low, high):
    return np.clip([best / factor, best * factor], low, high)


def correct_3(best, factor, low, high):
    return torch.tensor([best / factor, best * factor]).clamp(low, high)  # float32


def wrong_1(best, factor, low, high):  # not clipped
    return best / factor, best * factor


def wrong_2(best, factor, low, high):  # a linear range
    return max(best - factor, low), min(best + factor, high)


def wrong_3(best, factor, low, high):  # the clips swapped
    return min(best / factor, low), max(best * factor, high)


def correct_4(best, factor, low, high):  # a list
    return [max(low, best / factor), min(high, best * factor)]


def wrong_4(best, factor, low, high):  # the square root of the factor on each side
    return max(best / factor**0.5, low), min(best * factor**0.5, high)
