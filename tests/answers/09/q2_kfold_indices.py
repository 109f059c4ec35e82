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


def correct_4(n, k):  # a tuple of pairs, shuffled
    folds = torch.randperm(n).tensor_split(k)
    return tuple((torch.cat([f for j, f in enumerate(folds) if j != i]), folds[i])
                 for i in range(k))


def correct_5(n, k):  # plain Python lists of ints
    import random
    idx = list(range(n))
    random.Random(0).shuffle(idx)
    folds = [idx[i::k] for i in range(k)]
    return [([j for f in folds[:i] + folds[i + 1:] for j in f], folds[i]) for i in range(k)]


def wrong_4(n, k):  # torch.chunk: ceil(n / k) per fold, a short last one
    folds = torch.chunk(torch.arange(n), k)
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(len(folds))]
