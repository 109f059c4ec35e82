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


def correct_4(param, grad, velocity, lr, momentum):  # a list, and in-place ops on copies
    v = velocity.clone()
    v.mul_(momentum).add_(grad)
    p = param.clone()
    p.sub_(lr * v)
    return [p, v]


def wrong_4(param, grad, velocity, lr, momentum):  # the other convention: lr inside the velocity
    velocity = momentum * velocity - lr * grad
    return param + velocity, velocity


def wrong_5(param, grad, velocity, lr, momentum):  # Nesterov's look-ahead
    velocity = momentum * velocity + grad
    return param - lr * (grad + momentum * velocity), velocity
