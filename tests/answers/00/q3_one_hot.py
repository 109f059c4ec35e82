import torch
import torch.nn.functional as F


def correct_1(labels, num_classes=10):
    return F.one_hot(labels, num_classes).float()


def correct_2(labels, num_classes=10):
    out = torch.zeros(len(labels), num_classes)
    out[torch.arange(len(labels)), labels] = 1.0
    return out


def correct_3(labels, num_classes=10):
    return torch.zeros(len(labels), num_classes).scatter_(1, labels[:, None], 1.0)


def wrong_1(labels, num_classes=10):  # int64, not float32
    return F.one_hot(labels, num_classes)


def wrong_2(labels, num_classes=10):  # ignores num_classes
    return torch.eye(10)[labels]


def wrong_3(labels, num_classes=10):  # sets whole columns
    out = torch.zeros(len(labels), num_classes)
    out[:, labels] = 1.0
    return out


def correct_4(labels, num_classes=10):
    return (labels[:, None] == torch.arange(num_classes)).float()


def correct_5(labels, num_classes=10):  # a loop over plain Python lists
    return torch.tensor([[1.0 if j == label else 0.0 for j in range(num_classes)]
                         for label in labels.tolist()])


def wrong_4(labels, num_classes=10):  # num_classes not passed on: as many columns as max + 1
    return F.one_hot(labels).float()


def wrong_5(labels, num_classes=10):  # a bool mask, not float32
    return labels[:, None] == torch.arange(num_classes)
