import torch


def correct_1(avg, new, decay):
    with torch.no_grad():  # as torch.optim.swa_utils does it
        return decay * avg + (1 - decay) * new


def correct_2(avg, new, decay):
    return avg + (1 - decay) * (new - avg)


def correct_3(avg, new, decay):
    return avg.clone().mul_(decay).add_(new, alpha=1 - decay)


def wrong_1(avg, new, decay):  # weights swapped
    return torch.lerp(avg, new, decay)


def wrong_2(avg, new, decay):  # in place
    avg.mul_(decay).add_((1 - decay) * new)
    return avg


def wrong_3(avg, new, decay):  # forgets 1 − decay
    return decay * avg + new


def correct_4(avg, new, decay):  # NumPy
    return decay * avg.numpy() + (1 - decay) * new.numpy()


def wrong_4(avg, new, decay):  # updates avg in place with += and *=
    avg *= decay
    avg += (1 - decay) * new
    return avg
