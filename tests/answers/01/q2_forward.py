import torch
import torch.nn.functional as F


def correct_1(x, W1, b1, W2, b2):
    return torch.sigmoid(torch.sigmoid(x @ W1.T + b1) @ W2.T + b2)


def correct_2(x, W1, b1, W2, b2):
    return torch.sigmoid(F.linear(torch.sigmoid(F.linear(x, W1, b1)), W2, b2))


def correct_3(x, W1, b1, W2, b2):
    h = 1 / (1 + torch.exp(-torch.addmm(b1, x, W1.t())))
    return 1 / (1 + torch.exp(-(torch.matmul(h, W2.transpose(0, 1)) + b2)))


def wrong_1(x, W1, b1, W2, b2):  # no sigmoid on the outputs
    return torch.sigmoid(x @ W1.T + b1) @ W2.T + b2


def wrong_2(x, W1, b1, W2, b2):  # ReLU in the hidden layer
    return torch.sigmoid(torch.relu(x @ W1.T + b1) @ W2.T + b2)


def wrong_3(x, W1, b1, W2, b2):  # hard-coded sizes
    h = torch.sigmoid(x.reshape(-1, 784) @ W1.T + b1)
    return torch.sigmoid(h @ W2.T + b2).reshape(-1, 10)


def correct_4(x, W1, b1, W2, b2):  # columns as samples, transposed back
    h = torch.sigmoid(W1 @ x.T + b1[:, None])
    return torch.sigmoid(W2 @ h + b2[:, None]).T


def correct_5(x, W1, b1, W2, b2):  # one sample at a time
    return torch.stack([torch.sigmoid(W2 @ torch.sigmoid(W1 @ row + b1) + b2) for row in x])


def wrong_4(x, W1, b1, W2, b2):  # softmax on the outputs
    return torch.softmax(torch.sigmoid(x @ W1.T + b1) @ W2.T + b2, dim=1)
