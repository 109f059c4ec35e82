import torch


def correct_1(preds, labels, num_classes=10):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(labels.tolist(), preds.tolist()):
        cm[t, p] += 1
    return cm


def correct_2(preds, labels, num_classes=10):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.long)
    ones = torch.ones(len(preds), dtype=torch.long)
    return cm.index_put_((labels.long(), preds.long()), ones, accumulate=True)


def correct_3(preds, labels, num_classes=10):
    eye = torch.eye(num_classes, dtype=torch.long)
    return eye[labels.long()].T @ eye[preds.long()]


def wrong_1(preds, labels, num_classes=10):  # rows are predictions
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(labels.tolist(), preds.tolist()):
        cm[p, t] += 1
    return cm


def wrong_2(preds, labels, num_classes=10):  # float counts
    cm = torch.zeros(num_classes, num_classes)
    for t, p in zip(labels.tolist(), preds.tolist()):
        cm[t, p] += 1
    return cm


def wrong_3(preds, labels, num_classes=10):  # no minlength: unseen classes break the shape
    counts = torch.bincount(labels.long() * num_classes + preds.long())
    side = int(len(counts) ** 0.5)
    return counts[: side * side].reshape(side, side)


def correct_4(preds, labels, num_classes=10):  # NumPy, int64 counts
    import numpy as np
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (labels.numpy(), preds.numpy()), 1)
    return cm


def correct_5(preds, labels, num_classes=10):  # counted as floats, converted at the end
    cm = torch.zeros((num_classes, num_classes))
    for t, p in zip(labels, preds):
        cm[t][p] = cm[t][p] + 1
    return cm.long()


def wrong_4(preds, labels, num_classes=10):  # int32 counts
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int32)
    for t, p in zip(labels.tolist(), preds.tolist()):
        cm[t, p] += 1
    return cm


def wrong_5(preds, labels, num_classes=10):  # fancy-index += counts a repeated cell once
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    cm[labels.long(), preds.long()] += 1
    return cm
