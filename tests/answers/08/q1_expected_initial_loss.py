import math

import numpy as np
import torch


def correct_1(loss, num_classes):
    return {"cross_entropy": math.log(num_classes), "mse": 0.25, "bce": math.log(2)}[loss]


def correct_2(loss, num_classes):
    if loss == "cross_entropy":
        return -math.log(1 / num_classes)
    return 0.5**2 if loss == "mse" else -math.log(0.5)


def correct_3(loss, num_classes):
    if loss == "cross_entropy":
        return float(np.log(num_classes))
    if loss == "mse":
        return 0.25
    return float(torch.nn.functional.binary_cross_entropy(torch.tensor([0.5]),
                                                          torch.tensor([1.0])))


def wrong_1(loss, num_classes):  # a tensor, not a Python float
    if loss == "cross_entropy":
        return torch.log(torch.tensor(float(num_classes)))
    return torch.tensor(0.25) if loss == "mse" else torch.log(torch.tensor(2.0))


def wrong_2(loss, num_classes):  # MSE summed over the classes
    return {"cross_entropy": math.log(num_classes), "mse": 0.25 * num_classes,
            "bce": math.log(2)}[loss]


def wrong_3(loss, num_classes):  # BCE as if it were a softmax
    return {"cross_entropy": math.log(num_classes), "mse": 0.25,
            "bce": math.log(num_classes)}[loss]


def correct_4(loss, num_classes):  # the lesson's rounded log 2 ≈ 0.693, typed in
    if loss == "cross_entropy":
        return math.log(num_classes)
    return 0.25 if loss == "mse" else 0.693


def correct_5(loss, num_classes):  # NumPy floats (np.float64 is a Python float)
    return {"cross_entropy": np.log(num_classes), "mse": np.float64(0.25),
            "bce": np.log(2.0)}[loss]


def wrong_4(loss, num_classes):  # base-10 logs
    return {"cross_entropy": math.log10(num_classes), "mse": 0.25, "bce": math.log10(2)}[loss]


def wrong_5(loss, num_classes):  # log(C − 1): close to log C only when C is large
    return {"cross_entropy": math.log(num_classes - 1), "mse": 0.25, "bce": math.log(2)}[loss]
