import torch


def correct_1(y, classes):
    table = torch.zeros(max(classes) + 1, dtype=torch.long)
    table[torch.tensor(classes)] = torch.arange(len(classes))
    return table[y]


def correct_2(y, classes):
    return torch.tensor([classes.index(v) for v in y.tolist()], dtype=torch.int64)


def correct_3(y, classes):
    return (y[:, None] == torch.tensor(classes)).long().argmax(dim=1)


def wrong_1(y, classes):  # assumes sorted, contiguous classes
    return y - min(classes)


def wrong_2(y, classes):  # in place, so a new label can be relabelled again
    for new, old in enumerate(classes):
        y[y == old] = new
    return y


def wrong_3(y, classes):  # float labels
    out = torch.zeros(len(y))
    for new, old in enumerate(classes):
        out[y == old] = new
    return out


def correct_4(y, classes):  # a dict from old label to position
    position = {c: i for i, c in enumerate(classes)}
    return torch.tensor([position[int(v)] for v in y])


def correct_5(y, classes):  # a NumPy lookup table: an int64 array
    import numpy as np
    table = np.zeros(max(classes) + 1, dtype=np.int64)
    table[classes] = np.arange(len(classes))
    return table[y.numpy()]


def wrong_4(y, classes):  # searchsorted: right only for sorted classes
    return torch.searchsorted(torch.tensor(sorted(classes)), y)
