import numpy as np


def correct_1(val_accs, patience):
    best, best_epoch = -1.0, 0
    for epoch, acc in enumerate(val_accs):
        if acc > best:
            best, best_epoch = acc, epoch
    return len(val_accs) - 1 - best_epoch >= patience


def correct_2(val_accs, patience):
    return len(val_accs) - 1 - int(np.argmax(val_accs)) >= patience


def correct_3(val_accs, patience):
    if len(val_accs) <= patience:
        return False
    return max(val_accs[-patience:]) <= max(val_accs[:-patience])


def wrong_1(val_accs, patience):  # a tie counts as a new best
    best_epoch = len(val_accs) - 1 - val_accs[::-1].index(max(val_accs))
    return len(val_accs) - 1 - best_epoch >= patience


def wrong_2(val_accs, patience):  # off by one
    return len(val_accs) - 1 - val_accs.index(max(val_accs)) > patience


def wrong_3(val_accs, patience):  # the epochs since the best, not True/False
    return len(val_accs) - 1 - val_accs.index(max(val_accs))


def correct_4(val_accs, patience):  # a NumPy bool
    return np.argmax(val_accs) <= len(val_accs) - 1 - patience


def correct_5(val_accs, patience):  # epochs since the best, counted as they come
    since, best = 0, float("-inf")
    for acc in val_accs:
        if acc > best:
            best, since = acc, 0
        else:
            since += 1
    return since >= patience


def wrong_4(val_accs, patience):  # compares the window with the epoch just before it only
    if len(val_accs) <= patience:
        return False
    return all(acc <= val_accs[-patience - 1] for acc in val_accs[-patience:])


def wrong_5(val_accs, patience):  # 1 or 0, not True or False
    return int(len(val_accs) - 1 - val_accs.index(max(val_accs)) >= patience)
