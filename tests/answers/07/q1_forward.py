import torch
import torch.nn.functional as F

SLOPE = 0.02  # the lesson's constant


def correct_1(W1, b1, W2, b2, x):
    z1 = F.linear(x, W1, b1)
    h = F.leaky_relu(z1, SLOPE)
    return z1, h, F.linear(h, W2, b2)


def correct_2(W1, b1, W2, b2, x):
    z1 = torch.addmm(b1, x, W1.t())
    h = torch.maximum(z1, SLOPE * z1)  # the slope is below 1
    return z1, h, torch.addmm(b2, h, W2.t())


def correct_3(W1, b1, W2, b2, x):
    z1 = torch.einsum("bi,hi->bh", x, W1) + b1
    h = z1.clamp(min=0) + SLOPE * z1.clamp(max=0)
    logits = torch.einsum("bh,oh->bo", h, W2) + b2
    return z1, h, logits


def wrong_1(W1, b1, W2, b2, x):  # a plain ReLU
    z1 = x @ W1.T + b1
    h = torch.relu(z1)
    return z1, h, h @ W2.T + b2


def wrong_2(W1, b1, W2, b2, x):  # the slope itself, not slope × z1, for negative inputs
    z1 = x @ W1.T + b1
    h = torch.where(z1 > 0, z1, SLOPE)
    return z1, h, h @ W2.T + b2


def wrong_3(W1, b1, W2, b2, x):  # the LeakyReLU on the logits too
    z1 = x @ W1.T + b1
    h = torch.where(z1 > 0, z1, SLOPE * z1)
    z2 = h @ W2.T + b2
    return z1, h, torch.where(z2 > 0, z2, SLOPE * z2)


def correct_4(W1, b1, W2, b2, x):  # a list, and torch's LeakyReLU module
    z1 = x @ W1.T + b1
    h = torch.nn.LeakyReLU(0.02)(z1)
    return [z1, h, h @ W2.T + b2]


def wrong_4(W1, b1, W2, b2, x):  # h and z1 swapped
    z1 = x @ W1.T + b1
    h = torch.where(z1 > 0, z1, SLOPE * z1)
    return h, z1, h @ W2.T + b2
