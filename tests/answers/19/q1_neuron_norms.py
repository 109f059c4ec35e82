import torch


def correct_1(weight):
    return torch.linalg.vector_norm(weight, ord=1, dim=1)


def correct_2(weight):
    return weight.norm(p=1, dim=-1)


def correct_3(weight):
    return weight.abs() @ torch.ones(weight.shape[1], dtype=weight.dtype)


def wrong_1(weight):  # per column (outgoing), not per row
    return weight.abs().sum(dim=0)


def wrong_2(weight):  # L2, not L1
    return weight.norm(dim=1)


def wrong_3(weight):  # no abs
    return weight.sum(dim=1)


def correct_4(weight):  # one row at a time
    return torch.stack([row.abs().sum() for row in weight])


def wrong_4(weight):  # keepdim: shape (H, 1), not (H,)
    return weight.abs().sum(dim=1, keepdim=True)
