import torch
from torch.utils.data import DataLoader, TensorDataset


def correct_1(x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    return list(zip(x[order].split(batch_size), y[order].split(batch_size)))


def correct_2(x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    batches = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        batches.append((x[idx], y[idx]))
    return batches


def correct_3(x, y, batch_size, generator):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=generator)
    return [(xb, yb) for xb, yb in loader]


def wrong_1(x, y, batch_size, generator):  # the global random state, not the generator
    order = torch.randperm(len(x))
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x), batch_size)]


def wrong_2(x, y, batch_size, generator):  # drops the short last batch
    order = torch.randperm(len(x), generator=generator)
    return [(x[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(x) - batch_size + 1, batch_size)]


def wrong_3(x, y, batch_size, generator):  # shuffles x and y separately
    ox = torch.randperm(len(x), generator=generator)
    oy = torch.randperm(len(x), generator=generator)
    return [(x[ox[i:i + batch_size]], y[oy[i:i + batch_size]])
            for i in range(0, len(x), batch_size)]


def correct_4(x, y, batch_size, generator):  # [xb, yb] lists, a permutation as a Python list
    order = torch.randperm(len(x), generator=generator).tolist()
    return [[x[order[i:i + batch_size]], y[order[i:i + batch_size]]]
            for i in range(0, len(order), batch_size)]


def correct_5(x, y, batch_size, generator):  # a while loop and index_select
    perm = torch.randperm(x.shape[0], generator=generator)
    out, start = [], 0
    while start < len(perm):
        idx = perm[start:start + batch_size]
        out.append((x.index_select(0, idx), y.index_select(0, idx)))
        start += batch_size
    return out


def wrong_4(x, y, batch_size, generator):  # n // b + 1 batches: an empty one when b divides n
    order = torch.randperm(len(x), generator=generator)
    spans = [order[i * batch_size:(i + 1) * batch_size] for i in range(len(x) // batch_size + 1)]
    return [(x[s], y[s]) for s in spans]


def wrong_5(x, y, batch_size, generator):  # a generator, not a list
    order = torch.randperm(len(x), generator=generator)
    for i in range(0, len(x), batch_size):
        yield x[order[i:i + batch_size]], y[order[i:i + batch_size]]
