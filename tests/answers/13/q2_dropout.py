import torch


def correct_1(x, mask, p, training=True):
    if not training:
        return x
    return torch.where(mask, x / (1 - p), torch.zeros_like(x))


def correct_2(x, mask, p, training=True):
    return x * mask.to(x.dtype) * (1 / (1 - p)) if training else x.clone()


def correct_3(x, mask, p, training=True):
    return x.masked_fill(~mask, 0.0) / (1 - p) if training else x


def wrong_1(x, mask, p, training=True):  # no rescaling
    return x * mask if training else x


def wrong_2(x, mask, p, training=True):  # divides by p
    return x * mask / p if training else x


def wrong_3(x, mask, p, training=True):  # classic dropout: scales at eval time instead
    return x * mask if training else x * (1 - p)


def correct_4(x, mask, p, training=True):  # in place, but on a copy
    if not training:
        return x.clone()
    y = x.clone()
    y[~mask] = 0
    y /= 1 - p
    return y


def wrong_4(x, mask, p, training=True):  # edits x in place
    if training:
        x[~mask] = 0
        x /= 1 - p
    return x


def wrong_5(x, mask, p, training=True):  # keeps the dropped units instead
    return x * ~mask / (1 - p) if training else x
