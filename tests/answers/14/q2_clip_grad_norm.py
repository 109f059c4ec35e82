import torch


def correct_1(grads, max_norm):
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_norm_(params, max_norm)  # adds 1e-6 to the norm
    return [p.grad for p in params]


def correct_2(grads, max_norm):
    norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))
    factor = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    return [g * factor for g in grads]


def correct_3(grads, max_norm):
    norm = sum(float((g**2).sum()) for g in grads) ** 0.5
    return [g * (max_norm / norm) for g in grads] if norm > max_norm else [g.clone() for g in grads]


def wrong_1(grads, max_norm):  # clips each tensor on its own
    return [g * min(1.0, max_norm / float(g.norm())) if g.norm() > 0 else g for g in grads]


def wrong_2(grads, max_norm):  # scales up small gradients too
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    return [g * (max_norm / norm) for g in grads]


def wrong_3(grads, max_norm):  # in place
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return grads


def correct_4(grads, max_norm):  # a tuple, the factor as a Python float
    norm = torch.stack([g.pow(2).sum() for g in grads]).sum().sqrt()
    factor = min(1.0, max_norm / float(norm)) if float(norm) > 0 else 1.0
    return tuple(g * factor for g in grads)


def wrong_4(grads, max_norm):  # the sum of the norms, not the norm of everything
    norm = sum(g.norm() for g in grads)
    return [g * (max_norm / norm) for g in grads] if norm > max_norm else list(grads)


def wrong_5(grads, max_norm):  # divides by a zero norm
    norm = sum(float((g**2).sum()) for g in grads) ** 0.5
    return [g * min(1.0, max_norm / norm) for g in grads]


HIDDEN_ONLY = {"wrong_5"}
