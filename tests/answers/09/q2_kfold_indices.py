import numpy as np
import torch


def correct_1(n, k):
    folds = torch.tensor_split(torch.arange(n), k)
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def correct_2(n, k):
    parts = np.array_split(np.random.default_rng(0).permutation(n), k)
    return [(np.concatenate([p for j, p in enumerate(parts) if j != i]), parts[i])
            for i in range(k)]


def correct_3(n, k):
    everything = torch.arange(n)
    out = []
    for i in range(k):
        val = everything[i::k]
        out.append((everything[everything % k != i], val))
    return out


def wrong_1(n, k):  # the last fold takes the whole remainder
    size = n // k
    idx = torch.arange(n)
    vals = [idx[i * size:(i + 1) * size] for i in range(k - 1)] + [idx[(k - 1) * size:]]
    return [(torch.cat([v for j, v in enumerate(vals) if j != i]), vals[i]) for i in range(k)]


def wrong_2(n, k):  # train_idx is everything
    folds = torch.tensor_split(torch.arange(n), k)
    return [(torch.arange(n), f) for f in folds]


def wrong_3(n, k):  # equal folds of n // k: the remainder is never validated
    size = n // k
    idx = torch.arange(n)
    return [(torch.cat([idx[:i * size], idx[(i + 1) * size:]]), idx[i * size:(i + 1) * size])
            for i in range(k)]
