import numpy as np
import torch


def correct_1(outputs, labels):
    return (outputs.argmax(dim=1) == labels).float().mean().item()


def correct_2(outputs, labels):
    return np.mean(np.argmax(outputs.numpy(), axis=1) == labels.numpy())


def correct_3(outputs, labels):
    _, predicted = torch.max(outputs, 1)
    return (predicted == labels).sum().item() / len(labels)


def wrong_1(outputs, labels):  # a percentage
    return 100 * (outputs.argmax(dim=1) == labels).float().mean().item()


def wrong_2(outputs, labels):  # thresholds at 0.5 instead of the largest output
    return ((outputs > 0.5).float().argmax(dim=1) == labels).float().mean().item()


def wrong_3(outputs, labels):  # a count, not a fraction
    return (outputs.argmax(dim=1) == labels).sum().item()


def correct_4(outputs, labels):  # a 0-d NumPy array (a 0-d tensor's .numpy())
    return (outputs.argmax(-1) == labels).double().mean().numpy()


def correct_5(outputs, labels):  # a loop, and a 0-d tensor from true division
    right = torch.zeros((), dtype=torch.int64)
    for row, label in zip(outputs, labels):
        right += int(torch.argmax(row) == label)
    return right / len(labels)


def wrong_4(outputs, labels):  # the smallest output, not the largest
    return (outputs.argmin(1) == labels).float().mean().item()


def wrong_5(outputs, labels):  # integer division: 0 unless every row is right
    return (outputs.argmax(1) == labels).sum().item() // len(labels)
