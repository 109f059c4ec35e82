import torch
import torch.nn.functional as F

from mnist_lab import by_hand
from mnist_lab.losses import cross_entropy

SLOPE = 0.02  # the lesson's constant


def _forward_backward(W1, b1, W2, b2, x, labels):
    """(loss, dW1, db1, dW2, db2) with the lesson's formulas."""
    z1 = x @ W1.T + b1
    h = torch.where(z1 > 0, z1, SLOPE * z1)
    logits = h @ W2.T + b2
    dz2 = (logits.softmax(1) - F.one_hot(labels, logits.shape[1])) / len(labels)
    dz1 = (dz2 @ W2) * torch.where(z1 > 0, 1.0, SLOPE)
    return cross_entropy(logits, labels), dz1.T @ x, dz1.sum(0), dz2.T @ h, dz2.sum(0)


def correct_1(W1, b1, W2, b2, x, labels, lr):
    loss, *grads = _forward_backward(W1, b1, W2, b2, x, labels)
    return (*(p - lr * g for p, g in zip((W1, b1, W2, b2), grads)), loss)


def correct_2(W1, b1, W2, b2, x, labels, lr):  # autograd does the backward pass
    params = [p.detach().clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    logits = by_hand.forward(dict(zip(by_hand.PARAM_NAMES, params)), x).logits
    loss = cross_entropy(logits, labels)
    grads = torch.autograd.grad(loss, params)
    new = [(p - lr * g).detach() for p, g in zip(params, grads)]
    return (*new, loss.detach())


def correct_3(W1, b1, W2, b2, x, labels, lr):  # in place, but on copies
    params = {"W1": W1.clone(), "b1": b1.clone(), "W2": W2.clone(), "b2": b2.clone()}
    cache = by_hand.forward(params, x)
    loss = cross_entropy(cache.logits, labels)
    for name, grad in by_hand.backward(params, cache, labels).items():
        params[name].sub_(lr * grad)
    return params["W1"], params["b1"], params["W2"], params["b2"], loss


def wrong_1(W1, b1, W2, b2, x, labels, lr):  # plus: a step up the gradient
    loss, dW1, db1, dW2, db2 = _forward_backward(W1, b1, W2, b2, x, labels)
    return W1 + lr * dW1, b1 + lr * db1, W2 + lr * dW2, b2 + lr * db2, loss


def wrong_2(W1, b1, W2, b2, x, labels, lr):  # the loss after the step, not before
    _, dW1, db1, dW2, db2 = _forward_backward(W1, b1, W2, b2, x, labels)
    new = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    loss, *_ = _forward_backward(*new, x, labels)
    return (*new, loss)


def wrong_3(W1, b1, W2, b2, x, labels, lr):  # divides by the batch again: backward already did
    loss, dW1, db1, dW2, db2 = _forward_backward(W1, b1, W2, b2, x, labels)
    n = len(labels)
    return W1 - lr * dW1 / n, b1 - lr * db1 / n, W2 - lr * dW2 / n, b2 - lr * db2 / n, loss


def correct_4(W1, b1, W2, b2, x, labels, lr):  # the lesson's forward and backward, a list
    # (forward and backward are the lesson's exercises 1 and 2, defined in the notebook)
    z1, h, logits = forward(W1, b1, W2, b2, x)  # noqa: F821 (and the loss as a Python float)
    loss = cross_entropy(logits, labels).item()
    dW1, db1, dW2, db2 = backward(W1, W2, x, z1, h, logits, labels)  # noqa: F821
    return [W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2, loss]


def correct_5(W1, b1, W2, b2, x, labels, lr):  # a backward pass that writes one_hot(labels, 10)
    z1 = x @ W1.T + b1
    h = torch.where(z1 > 0, z1, SLOPE * z1)
    logits = h @ W2.T + b2
    dz2 = (logits.softmax(1) - F.one_hot(labels, 10)) / len(labels)
    dz1 = (dz2 @ W2) * torch.where(z1 > 0, 1.0, SLOPE)
    grads = dz1.T @ x, dz1.sum(0), dz2.T @ h, dz2.sum(0)
    return (*(p - lr * g for p, g in zip((W1, b1, W2, b2), grads)), cross_entropy(logits, labels))


def wrong_4(W1, b1, W2, b2, x, labels, lr):  # updates the inputs in place
    z1, h, logits = forward(W1, b1, W2, b2, x)  # noqa: F821
    loss = cross_entropy(logits, labels)
    for p, g in zip((W1, b1, W2, b2), backward(W1, W2, x, z1, h, logits, labels)):  # noqa: F821
        p -= lr * g
    return W1, b1, W2, b2, loss
