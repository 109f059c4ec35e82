import numpy as np


def correct_1(train_acc, val_acc):
    rules = [
        ("bad init", lambda: max(train_acc[:2]) < 0.2),
        ("overfitting", lambda: train_acc[-1] - val_acc[-1] > 0.05),
        ("train longer", lambda: val_acc[-1] - val_acc[-2] > 0.005),
        ("underfitting", lambda: train_acc[-1] < 0.9),
    ]
    for name, rule in rules:
        if rule():
            return name
    return "fine"


def correct_2(train_acc, val_acc):
    t, v = np.asarray(train_acc), np.asarray(val_acc)
    if (t[:2] < 0.2).all():
        return "bad init"
    if t[-1] - v[-1] > 0.05:
        return "overfitting"
    if np.diff(v)[-1] > 0.005:
        return "train longer"
    return "underfitting" if t[-1] < 0.9 else "fine"


def correct_3(train_acc, val_acc):
    *_, before, now = val_acc
    result = "fine"
    if train_acc[-1] < 0.9:
        result = "underfitting"
    if now - before > 0.005:
        result = "train longer"
    if train_acc[-1] - now > 0.05:
        result = "overfitting"
    if train_acc[0] < 0.2 and train_acc[1] < 0.2:
        result = "bad init"
    return result


def wrong_1(train_acc, val_acc):  # bad init from the first epoch alone
    if train_acc[0] < 0.2:
        return "bad init"
    if train_acc[-1] - val_acc[-1] > 0.05:
        return "overfitting"
    if val_acc[-1] - val_acc[-2] > 0.005:
        return "train longer"
    return "underfitting" if train_acc[-1] < 0.9 else "fine"


def wrong_2(train_acc, val_acc):  # train longer checked before overfitting
    if train_acc[0] < 0.2 and train_acc[1] < 0.2:
        return "bad init"
    if val_acc[-1] - val_acc[-2] > 0.005:
        return "train longer"
    if train_acc[-1] - val_acc[-1] > 0.05:
        return "overfitting"
    return "underfitting" if train_acc[-1] < 0.9 else "fine"


def wrong_3(train_acc, val_acc):  # underfitting judged on validation
    if train_acc[0] < 0.2 and train_acc[1] < 0.2:
        return "bad init"
    if train_acc[-1] - val_acc[-1] > 0.05:
        return "overfitting"
    if val_acc[-1] - val_acc[-2] > 0.005:
        return "train longer"
    return "underfitting" if val_acc[-1] < 0.9 else "fine"


def wrong_4(train_acc, val_acc):  # bad init judged on the validation accuracy
    if val_acc[0] < 0.2 and val_acc[1] < 0.2:
        return "bad init"
    if train_acc[-1] - val_acc[-1] > 0.05:
        return "overfitting"
    if val_acc[-1] - val_acc[-2] > 0.005:
        return "train longer"
    return "underfitting" if train_acc[-1] < 0.9 else "fine"


def wrong_5(train_acc, val_acc):  # any rise of the validation accuracy, not one above 0.005
    if train_acc[0] < 0.2 and train_acc[1] < 0.2:
        return "bad init"
    if train_acc[-1] - val_acc[-1] > 0.05:
        return "overfitting"
    if val_acc[-1] > val_acc[-2]:
        return "train longer"
    return "underfitting" if train_acc[-1] < 0.9 else "fine"
