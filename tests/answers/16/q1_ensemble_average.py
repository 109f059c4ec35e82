import functools

import torch


def correct_1(prob_list):
    return sum(prob_list) / len(prob_list)


def correct_2(prob_list):
    return torch.mean(torch.stack(prob_list, dim=-1), dim=-1)


def correct_3(prob_list):
    return functools.reduce(torch.add, prob_list) * (1.0 / len(prob_list))


def wrong_1(prob_list):  # a sum
    return torch.stack(prob_list).sum(dim=0)


def wrong_2(prob_list):  # the mean over images
    return torch.stack(prob_list).mean(dim=1)


def wrong_3(prob_list):  # concatenated, not stacked: one row for everything
    return torch.cat(prob_list).mean(dim=0)


def wrong_4(prob_list):  # rows renormalised: the values agree on softmax rows, the gradient not
    mean = torch.stack(prob_list).mean(0)
    return mean / mean.sum(1, keepdim=True)


def wrong_5(prob_list):  # the geometric mean
    return torch.stack(prob_list).log().mean(0).exp()
