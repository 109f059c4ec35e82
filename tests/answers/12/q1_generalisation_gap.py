import statistics

import numpy as np
import torch


def correct_1(train_acc, val_acc, last=3):
    gaps = np.array(train_acc[-last:]) - np.array(val_acc[-last:])
    return float(gaps.mean())


def correct_2(train_acc, val_acc, last=3):
    k = min(last, len(train_acc))
    return statistics.fmean(t - v for t, v in zip(train_acc[-k:], val_acc[-k:]))


def correct_3(train_acc, val_acc, last=3):
    gap = torch.tensor(train_acc, dtype=torch.float64) - torch.tensor(val_acc, dtype=torch.float64)
    return gap[-last:].mean().item()


def wrong_1(train_acc, val_acc, last=3):  # the first epochs
    gaps = [t - v for t, v in zip(train_acc, val_acc)][:last]
    return sum(gaps) / len(gaps)


def wrong_2(train_acc, val_acc, last=3):  # divides by `last` even with fewer epochs
    gaps = [t - v for t, v in zip(train_acc, val_acc)][-last:]
    return sum(gaps) / last


def wrong_3(train_acc, val_acc, last=3):  # a NumPy array, not a float
    return np.mean(np.array(train_acc[-last:]) - np.array(val_acc[-last:]), keepdims=True)


def correct_4(train_acc, val_acc, last=3):  # float32 tensors of the lists
    return (torch.tensor(train_acc) - torch.tensor(val_acc))[-last:].mean().item()


def correct_5(train_acc, val_acc, last=3):  # mean of train minus mean of val: the same
    return statistics.mean(train_acc[-last:]) - statistics.mean(val_acc[-last:])


def wrong_4(train_acc, val_acc, last=3):  # the size of the gap, sign dropped
    gaps = [abs(t - v) for t, v in zip(train_acc, val_acc)][-last:]
    return sum(gaps) / len(gaps)
