import torch


def correct_1(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    g = grad.add(param, alpha=weight_decay)
    s = square_avg.mul(alpha).addcmul(g, g, value=1 - alpha)
    return param.addcdiv(g, s.sqrt().add(eps), value=-lr), s


def correct_2(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    g = grad + weight_decay * param if weight_decay != 0 else grad
    new_avg = square_avg * alpha + (1 - alpha) * g.square()
    step = g / new_avg.sqrt().add(eps)
    return param - step * lr, new_avg


def correct_3(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    if weight_decay:
        grad = grad + weight_decay * param
    square_avg = torch.lerp(grad * grad, square_avg, alpha)
    return param - lr * grad / (torch.sqrt(square_avg) + eps), square_avg


def wrong_1(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    # eps inside the root
    grad = grad + weight_decay * param
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return param - lr * grad / torch.sqrt(square_avg + eps), square_avg


def wrong_2(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    # forgets weight decay
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return param - lr * grad / (square_avg.sqrt() + eps), square_avg


def wrong_3(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    # steps with the old average
    grad = grad + weight_decay * param
    new_avg = alpha * square_avg + (1 - alpha) * grad**2
    return param - lr * grad / (square_avg.sqrt() + eps), new_avg


def correct_4(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
              **unused):  # extra keyword arguments accepted and ignored
    g = grad + weight_decay * param
    s = alpha * square_avg + (1 - alpha) * g * g
    return [param - lr * g / (torch.sqrt(s) + eps), s]


def wrong_4(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    # the default alpha written in, whatever alpha is
    grad = grad + weight_decay * param
    square_avg = 0.99 * square_avg + 0.01 * grad**2
    return param - lr * grad / (square_avg.sqrt() + eps), square_avg


def wrong_5(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    # alpha and 1 - alpha swapped
    grad = grad + weight_decay * param
    square_avg = (1 - alpha) * square_avg + alpha * grad**2
    return param - lr * grad / (square_avg.sqrt() + eps), square_avg


def wrong_6(param, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
    # weight decay in the step but not in the running average
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return param - lr * (grad + weight_decay * param) / (square_avg.sqrt() + eps), square_avg
