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


def correct_4(x, mean, std):  # in place, but on a copy
    y = x.clone()
    y -= mean
    y /= std
    return y


def correct_5(x, mean, std):
    return x / std - mean / std


def wrong_4(x, mean, std):  # edits x in place behind autograd's back
    with torch.no_grad():
        x -= mean
        x /= std
    return x


def wrong_5(x, mean, std):  # divides by the variance
    return (x - mean) / std**2
