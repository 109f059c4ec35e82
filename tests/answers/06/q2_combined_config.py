import dataclasses

from mnist_lab.models import MLPConfig


def correct_1():
    return MLPConfig(hidden_activation="leaky_relu", norm="layer")


def correct_2():
    return MLPConfig((784, 200, 10), "leaky_relu", "sigmoid", 0.02, "layer")


def correct_3():
    return dataclasses.replace(MLPConfig(), hidden_activation="leaky_relu", norm="layer",
                               negative_slope=0.02)


def wrong_1():  # BatchNorm
    return MLPConfig(hidden_activation="leaky_relu", norm="batch")


def wrong_2():  # another slope
    return MLPConfig(hidden_activation="leaky_relu", negative_slope=0.2, norm="layer")


def wrong_3():  # a dict, not an MLPConfig
    return {"sizes": (784, 200, 10), "hidden_activation": "leaky_relu", "norm": "layer"}


def correct_4():  # sizes as a list, the slope written another way
    return MLPConfig(sizes=[784, 200, 10], hidden_activation="leaky_relu", norm="layer",
                     negative_slope=2e-2)


def wrong_4():  # logits: no sigmoid on the outputs
    return MLPConfig(hidden_activation="leaky_relu", norm="layer", output_activation="none")
