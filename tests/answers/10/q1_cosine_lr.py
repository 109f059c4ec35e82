import math

import numpy as np
import torch


def correct_1(step, total_steps, base_lr, min_lr=0.0):
    return min_lr + 0.5 * (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps))


def correct_2(step, total_steps, base_lr, min_lr=0.0):
    t = torch.tensor(step / total_steps)  # float32
    return (min_lr + (base_lr - min_lr) * (1 + torch.cos(torch.pi * t)) / 2).item()


def correct_3(step, total_steps, base_lr, min_lr=0.0):
    return base_lr - (base_lr - min_lr) * np.sin(np.pi * step / total_steps / 2) ** 2


def wrong_1(step, total_steps, base_lr, min_lr=0.0):  # ends one step early
    t = step / (total_steps - 1) if total_steps > 1 else step
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * t)) / 2


def wrong_2(step, total_steps, base_lr, min_lr=0.0):  # a tensor, not a number
    t = torch.tensor(step / total_steps)
    return min_lr + (base_lr - min_lr) * (1 + torch.cos(math.pi * t)) / 2


def wrong_3(step, total_steps, base_lr, min_lr=0.0):  # forgets the floor's offset
    return base_lr * (1 + math.cos(math.pi * step / total_steps)) / 2 + min_lr


def correct_4(step, total_steps, base_lr, min_lr=0.0):  # a NumPy float32
    return np.float32(min_lr + (base_lr - min_lr) * (1 + np.cos(np.pi * step / total_steps)) / 2)


def wrong_4(step, total_steps, base_lr, min_lr=0.0):  # steps counted from 1
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * (step + 1) / total_steps)) / 2
