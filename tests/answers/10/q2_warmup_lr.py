def correct_1(step, warmup_steps, base_lr):
    return base_lr * min(1.0, (step + 1) / max(warmup_steps, 1))


def correct_2(step, warmup_steps, base_lr):
    if warmup_steps == 0 or step >= warmup_steps:
        return base_lr
    return (step + 1) * base_lr / warmup_steps


def correct_3(step, warmup_steps, base_lr):
    return base_lr if step >= warmup_steps else base_lr / warmup_steps * (step + 1)


def wrong_1(step, warmup_steps, base_lr):  # starts at 0
    return base_lr * min(1.0, step / warmup_steps) if warmup_steps else base_lr


def wrong_2(step, warmup_steps, base_lr):  # divides by 0 when there is no warm-up
    return base_lr * min(1.0, (step + 1) / warmup_steps)


def wrong_3(step, warmup_steps, base_lr):  # one step too many
    if step <= warmup_steps:
        return base_lr * (step + 1) / (warmup_steps + 1)
    return base_lr


def correct_4(step, warmup_steps, base_lr):
    if warmup_steps == 0:
        return base_lr
    return min(base_lr, base_lr * (step + 1) / warmup_steps)


def wrong_4(step, warmup_steps, base_lr):  # 0 at step 0, base_lr at the last warm-up step
    if step < warmup_steps:
        return base_lr * step / max(warmup_steps - 1, 1)
    return base_lr
