import torch


def correct_1(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    g = grad + weight_decay * param
    m = torch.lerp(m, g, 1 - b1)
    v = b2 * v + (1 - b2) * g * g
    step = lr / (1 - b1**t)
    denom = v.sqrt() / (1 - b2**t) ** 0.5 + eps
    return param - step * m / denom, m, v


def correct_2(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    if weight_decay:
        grad = grad.add(param, alpha=weight_decay)
    m_new = m * beta1 + grad * (1 - beta1)
    v_new = v * beta2 + grad.pow(2) * (1 - beta2)
    m_hat, v_hat = m_new / (1 - beta1**t), v_new / (1 - beta2**t)
    return param - lr * m_hat / (torch.sqrt(v_hat) + eps), m_new, v_new


def correct_3(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # PyTorch's own arrangement: step size lr / bc1, denominator sqrt(v) / sqrt(bc2) + eps
    beta1, beta2 = betas
    grad = grad + param * weight_decay
    exp_avg = m.lerp(grad, 1 - beta1)
    exp_avg_sq = v.mul(beta2).addcmul(grad, grad, value=1 - beta2)
    bias_correction1, bias_correction2 = 1 - beta1**t, 1 - beta2**t
    denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add(eps)
    return param.addcdiv(exp_avg, denom, value=-lr / bias_correction1), exp_avg, exp_avg_sq


def wrong_1(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # returns the bias-corrected state
    b1, b2 = betas
    grad = grad + weight_decay * param
    m = (b1 * m + (1 - b1) * grad) / (1 - b1**t)
    v = (b2 * v + (1 - b2) * grad**2) / (1 - b2**t)
    return param - lr * m / (v.sqrt() + eps), m, v


def wrong_2(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # eps inside the root
    b1, b2 = betas
    grad = grad + weight_decay * param
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return param - lr * (m / (1 - b1**t)) / torch.sqrt(v / (1 - b2**t) + eps), m, v


def wrong_3(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # no bias correction
    b1, b2 = betas
    grad = grad + weight_decay * param
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    return param - lr * m / (v.sqrt() + eps), m, v


def correct_4(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              **unused):
    # the running means as "move a fraction of the way", powers with math.pow
    import math
    b1, b2 = betas
    g = grad + weight_decay * param
    m = m + (1 - b1) * (g - m)
    v = v + (1 - b2) * (g * g - v)
    m_hat, v_hat = m / (1 - math.pow(b1, t)), v / (1 - math.pow(b2, t))
    return param - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v


def wrong_4(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # the default betas written in, whatever betas is
    g = grad + weight_decay * param
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g**2
    return param - lr * (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + eps), m, v


def wrong_5(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # the default eps written in, whatever eps is
    b1, b2 = betas
    g = grad + weight_decay * param
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    return param - lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + 1e-8), m, v


def wrong_6(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # AdamW's decoupled decay, not the L2 penalty in the gradient
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad**2
    step = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
    return param * (1 - lr * weight_decay) - lr * step, m, v


def wrong_7(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    # only m is bias-corrected
    b1, b2 = betas
    g = grad + weight_decay * param
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    return param - lr * (m / (1 - b1**t)) / (v.sqrt() + eps), m, v
