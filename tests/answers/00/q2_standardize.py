import torch


def correct_1(x, mean, std):
    return (x - mean) / std


def correct_2(x, mean, std):
    return x.sub(mean).div(std)


def correct_3(x, mean, std):
    return torch.div(x - torch.as_tensor(mean, dtype=x.dtype), std)


def wrong_1(x, mean, std):  # precedence: only the mean is divided
    return x - mean / std


def wrong_2(x, mean, std):  # edits x in place
    x -= mean
    x /= std
    return x


def wrong_3(x, mean, std):  # mean and std swapped
    return (x - std) / mean
