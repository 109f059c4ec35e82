import numpy as np
import torch


def correct_1(scores, m):
    order = sorted(range(len(scores)), key=lambda i: (scores[i].item(), i))
    return torch.tensor(sorted(order[m:]))


def correct_2(scores, m):
    order = np.argsort(scores.numpy(), kind="stable")
    return torch.from_numpy(np.sort(order[m:]))


def correct_3(scores, m):
    keep = torch.ones(len(scores), dtype=torch.bool)
    keep[torch.sort(scores, stable=True).indices[:m]] = False
    return keep.nonzero().flatten()


def wrong_1(scores, m):  # removes the highest-scored index among ties
    order = torch.argsort(scores, descending=True, stable=True)
    return order[: len(scores) - m].sort().values


def wrong_2(scores, m):  # not in increasing order
    return torch.argsort(scores, stable=True)[m:]


def wrong_3(scores, m):  # float indices
    return torch.argsort(scores, stable=True)[m:].sort().values.float()


def correct_4(scores, m):  # NumPy int64, stable argsort
    order = np.argsort(scores.numpy(), kind="stable")
    return np.sort(order[m:])


def wrong_4(scores, m):  # topk: its choice among tied scores is not "lower index removed first"
    return torch.topk(scores, len(scores) - m).indices.sort().values


def wrong_5(scores, m):  # a Python list, not a tensor
    return sorted(torch.argsort(scores, stable=True)[m:].tolist())
