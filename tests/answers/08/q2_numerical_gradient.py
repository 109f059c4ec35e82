import torch


def correct_1(f, x, eps=1e-6):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        e = torch.zeros(x.numel(), dtype=x.dtype)
        e[i] = eps
        e = e.view(x.shape)
        grad.view(-1)[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def correct_2(f, x, eps=1e-6):
    out = []
    for i in range(x.numel()):
        up, down = x.clone().flatten(), x.clone().flatten()
        up[i] += eps
        down[i] -= eps
        out.append((f(up.view_as(x)).item() - f(down.view_as(x)).item()) / (2 * eps))
    return torch.tensor(out, dtype=x.dtype).reshape(x.shape)


def correct_3(f, x, eps=1e-6):
    grad = torch.empty_like(x)
    for index in torch.cartesian_prod(*[torch.arange(n) for n in x.shape]).view(-1, x.dim()):
        index = tuple(index.tolist())
        step = torch.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def wrong_1(f, x, eps=1e-6):  # forward difference
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        up = x.clone()
        up.view(-1)[i] += eps
        grad.view(-1)[i] = (f(up) - f(x)) / eps
    return grad


def wrong_2(f, x, eps=1e-6):  # changes x and never puts it back
    grad = torch.zeros_like(x)
    flat = x.view(-1)
    for i in range(x.numel()):
        flat[i] += eps
        up = f(x).item()
        flat[i] -= 2 * eps
        down = f(x).item()
        grad.view(-1)[i] = (up - down) / (2 * eps)
    return grad


def wrong_3(f, x, eps=1e-6):  # flat result for a matrix
    flat = x.flatten()
    grad = torch.zeros_like(flat)
    for i in range(flat.numel()):
        up, down = flat.clone(), flat.clone()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up.view_as(x)) - f(down.view_as(x))) / (2 * eps)
    return grad


def correct_4(f, x, eps=1e-6):  # rows of eps·I as the steps
    basis = torch.eye(x.numel(), dtype=x.dtype) * eps
    slopes = [(f(x + e.view_as(x)) - f(x - e.view_as(x))) / (2 * eps) for e in basis]
    return torch.stack(slopes).reshape(x.shape)


def correct_5(f, x, eps=1e-6):  # on x itself, each entry put back exactly as it was
    grad = torch.zeros_like(x)
    flat = x.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        up = f(x).item()
        flat[i] = old - eps
        down = f(x).item()
        flat[i] = old
        grad.view(-1)[i] = (up - down) / (2 * eps)
    return grad


def wrong_4(f, x, eps=1e-6):  # the default eps, whatever eps is
    basis = torch.eye(x.numel(), dtype=x.dtype) * 1e-6
    slopes = [(f(x + e.view_as(x)) - f(x - e.view_as(x))) / 2e-6 for e in basis]
    return torch.stack(slopes).reshape(x.shape)


def wrong_5(f, x, eps=1e-6):  # divides by eps, not 2·eps
    basis = torch.eye(x.numel(), dtype=x.dtype) * eps
    slopes = [(f(x + e.view_as(x)) - f(x - e.view_as(x))) / eps for e in basis]
    return torch.stack(slopes).reshape(x.shape)
