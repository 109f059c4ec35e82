import numpy as np
import torch


def correct_1(x):
    return torch.sigmoid(x)


def correct_2(x):
    return 0.5 * (1 + torch.tanh(x / 2))


def correct_3(x):
    return torch.exp(-torch.nn.functional.softplus(-x))


def wrong_1(x):  # inf / inf = nan at x = 100
    return torch.exp(x) / (1 + torch.exp(x))


def wrong_2(x):  # sign slip: 1 - sigmoid
    return 1 / (1 + torch.exp(x))


def wrong_3(x):  # NumPy: right values, no gradient
    return torch.tensor(1 / (1 + np.exp(-x.detach().numpy())))


def correct_4(x):  # the two-branch stable form; the unused branch's nan is never picked
    return torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))


def correct_5(x):
    return torch.special.expit(x)


def wrong_4(x):  # negates x in place
    return 1 / (1 + x.neg_().exp_())
