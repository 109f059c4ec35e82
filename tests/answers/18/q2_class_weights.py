import numpy as np
import torch


def correct_1(counts):
    counts = counts.float()
    return torch.nan_to_num(counts.sum() / (len(counts) * counts), posinf=0.0)


def correct_2(counts):
    n = counts.double().numpy()
    out = np.zeros_like(n)
    np.divide(n.sum(), len(n) * n, out=out, where=n > 0)
    return torch.from_numpy(out)


def correct_3(counts):
    total, classes = counts.sum().item(), len(counts)
    return torch.tensor([total / (classes * c) if c > 0 else 0.0 for c in counts.tolist()])


def wrong_1(counts):  # forgets C
    counts = counts.double()
    return torch.where(counts > 0, counts.sum() / counts.clamp(min=1), 0.0)


def wrong_2(counts):  # inf for an absent class
    counts = counts.double()
    return counts.sum() / (len(counts) * counts)


def wrong_3(counts):  # integer division
    return torch.where(counts > 0, counts.sum() // (len(counts) * counts.clamp(min=1)), 0)


def correct_4(counts):  # int counts: true division gives float32, inf replaced by 0
    weights = counts.sum() / (len(counts) * counts)
    return torch.where(counts > 0, weights, torch.zeros_like(weights))


def wrong_4(counts):  # C counts only the classes that occur
    present = (counts > 0).sum()
    weights = counts.sum() / (present * counts)
    return torch.where(counts > 0, weights, torch.zeros_like(weights))


def wrong_5(counts):  # 1 / n_c normalised to sum to 1
    weights = torch.where(counts > 0, 1 / counts.double(), 0.0)
    return weights / weights.sum()
