import numpy as np
import torch


def correct_1(images):
    return images.reshape(len(images), 784).float() / 255


def correct_2(images):
    return torch.from_numpy(images.numpy().reshape(-1, 784).astype(np.float32) / np.float32(255))


def correct_3(images):
    return images.flatten(start_dim=1).to(torch.float32).mul(1 / 255)


def wrong_1(images):  # the batch's own maximum, not 255
    x = images.reshape(len(images), 784).float()
    return x / x.max()


def wrong_2(images):  # float64 from NumPy
    return images.numpy().reshape(len(images), 784) / 255


def wrong_3(images):  # not flattened
    return images.float() / 255
