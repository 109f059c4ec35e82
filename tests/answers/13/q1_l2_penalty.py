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


def correct_4(params, weight_decay):  # a 0-d accumulator, added to in place
    total = torch.tensor(0.0)
    for p in params:
        total += (p**2).sum()
    return weight_decay / 2 * total


def correct_5(params, weight_decay):  # a plain 0.0 when there is nothing to penalise
    if weight_decay == 0:
        return 0.0
    return 0.5 * weight_decay * sum(torch.dot(p.reshape(-1), p.reshape(-1)) for p in params)


def wrong_4(params, weight_decay):  # the norms, not their squares
    return 0.5 * weight_decay * sum(p.norm() for p in params)
