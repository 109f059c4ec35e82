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
