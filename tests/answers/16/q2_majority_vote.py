from collections import Counter

import torch
import torch.nn.functional as F


def correct_1(pred_list, num_classes=10):
    preds = torch.stack(pred_list, dim=1)  # (N, K)
    return torch.stack([torch.bincount(row, minlength=num_classes).argmax() for row in preds])


def correct_2(pred_list, num_classes=10):
    votes = torch.zeros(len(pred_list[0]), num_classes, dtype=torch.long)
    for preds in pred_list:
        votes.scatter_add_(1, preds[:, None], torch.ones_like(preds)[:, None])
    return votes.argmax(dim=1)


def correct_3(pred_list, num_classes=10):
    counts = sum(F.one_hot(p, num_classes) for p in pred_list)
    best = counts.max(dim=1, keepdim=True).values
    ties = counts == best
    return torch.where(ties, torch.arange(num_classes), num_classes).min(dim=1).values


def wrong_1(pred_list, num_classes=10):  # a tie goes to the first member's vote
    columns = torch.stack(pred_list, dim=1).tolist()
    return torch.tensor([Counter(c).most_common(1)[0][0] for c in columns])


def wrong_2(pred_list, num_classes=10):  # averages the class numbers
    return torch.stack(pred_list).float().mean(dim=0).round().long()


def wrong_3(pred_list, num_classes=10):  # float votes
    votes = F.one_hot(torch.stack(pred_list), num_classes).sum(dim=0)
    return votes.argmax(dim=1).float()
