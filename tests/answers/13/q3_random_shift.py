import torch
import torch.nn.functional as F


def correct_1(images, dx, dy):
    padded = F.pad(images, (27, 27, 27, 27))
    return torch.stack([padded[k, 27 - int(dy[k]):55 - int(dy[k]), 27 - int(dx[k]):55 - int(dx[k])]
                        for k in range(len(images))])


def correct_2(images, dx, dy):
    out = []
    for img, a, b in zip(images, dx.tolist(), dy.tolist()):
        moved = torch.roll(img, shifts=(b, a), dims=(0, 1))
        if b > 0:
            moved[:b] = 0
        elif b < 0:
            moved[b:] = 0
        if a > 0:
            moved[:, :a] = 0
        elif a < 0:
            moved[:, a:] = 0
        out.append(moved)
    return torch.stack(out)


def correct_3(images, dx, dy):
    out = torch.zeros_like(images)
    rows, cols = torch.arange(28)[:, None], torch.arange(28)[None, :]
    for k in range(len(images)):
        src_r, src_c = rows - dy[k], cols - dx[k]
        inside = (src_r >= 0) & (src_r < 28) & (src_c >= 0) & (src_c < 28)
        picked = images[k][src_r.clamp(0, 27), src_c.clamp(0, 27)]
        out[k] = torch.where(inside, picked, torch.zeros_like(picked))
    return out


def wrong_1(images, dx, dy):  # wraps around
    return torch.stack([torch.roll(img, (int(b), int(a)), dims=(0, 1))
                        for img, a, b in zip(images, dx, dy)])


def wrong_2(images, dx, dy):  # dx moves down, dy right
    return correct_1(images, dy, dx)


def wrong_3(images, dx, dy):  # the opposite direction
    return correct_1(images, -dx, -dy)


def correct_4(images, dx, dy):  # NumPy, pixel by pixel
    import numpy as np
    a = images.numpy()
    out = np.zeros_like(a)
    for k in range(len(a)):
        for r in range(28):
            for c in range(28):
                rr, cc = r - int(dy[k]), c - int(dx[k])
                if 0 <= rr < 28 and 0 <= cc < 28:
                    out[k, r, c] = a[k, rr, cc]
    return out


def wrong_4(images, dx, dy):  # slices one pixel short: the last row and column are lost
    out = torch.zeros_like(images)
    for k in range(len(images)):
        a, b = int(dx[k]), int(dy[k])
        src = images[k, max(-b, 0):27 - max(b, 0), max(-a, 0):27 - max(a, 0)]
        out[k, max(b, 0):max(b, 0) + src.shape[0], max(a, 0):max(a, 0) + src.shape[1]] = src
    return out
