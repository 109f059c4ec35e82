import torch


def correct_1(params, weight_decay):
    return weight_decay / 2 * torch.cat([p.flatten() for p in params]).pow(2).sum()


def correct_2(params, weight_decay):
    total = 0.0
    for p in params:
        total = total + torch.sum(p * p)
    return 0.5 * weight_decay * total


def correct_3(params, weight_decay):
    return weight_decay * torch.stack([p.norm() ** 2 for p in params]).sum() / 2


def wrong_1(params, weight_decay):  # no 1/2: the gradient is twice weight_decay · p
    return weight_decay * sum((p**2).sum() for p in params)


def wrong_2(params, weight_decay):  # a mean per tensor
    return 0.5 * weight_decay * sum((p**2).mean() for p in params)


def wrong_3(params, weight_decay):  # cut off from autograd
    return torch.tensor(0.5 * weight_decay * sum((p**2).sum().item() for p in params))
