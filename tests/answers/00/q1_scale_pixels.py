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


def correct_4(images):  # a NumPy float32 array: the prompt allows NumPy
    return images.numpy().reshape(-1, 784).astype(np.float32) / np.float32(255)


def correct_5(images):  # uint8 / int is true division in torch: float32 already
    return images.reshape(-1, 784) / 255


def wrong_4(images):  # column by column: each image transposed before flattening
    return images.transpose(1, 2).reshape(len(images), 784).float() / 255


def wrong_5(images):  # squeezed: a batch of one image becomes a [784] vector
    return (images.reshape(len(images), 784).float() / 255).squeeze()


HIDDEN_ONLY = {"wrong_5"}
