import torch


def correct_1(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def correct_2(param, grad, velocity, lr, momentum):
    new_v = velocity.mul(momentum).add(grad)
    return param.sub(new_v, alpha=lr), new_v


def correct_3(param, grad, velocity, lr, momentum):
    v = torch.add(grad, velocity, alpha=momentum)
    return torch.addcmul(param, v, torch.full_like(v, -lr)), v


def wrong_1(param, grad, velocity, lr, momentum):  # old velocity in the step
    return param - lr * velocity, momentum * velocity + grad


def wrong_2(param, grad, velocity, lr, momentum):  # dampened: (1 - momentum) · grad
    velocity = momentum * velocity + (1 - momentum) * grad
    return param - lr * velocity, velocity


def wrong_3(param, grad, velocity, lr, momentum):  # in place
    velocity.mul_(momentum).add_(grad)
    param -= lr * velocity
    return param, velocity
