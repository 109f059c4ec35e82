import torch


def correct_1(cm):
    diag = cm.diagonal().float()
    return (torch.nan_to_num(diag / cm.sum(dim=0)), torch.nan_to_num(diag / cm.sum(dim=1)))


def correct_2(cm):
    cm = cm.double()
    predicted, actual, right = cm.sum(0), cm.sum(1), torch.diag(cm)
    precision = torch.where(predicted > 0, right / predicted.clamp(min=1e-12), 0.0)
    recall = torch.where(actual > 0, right / actual.clamp(min=1e-12), 0.0)
    return precision, recall


def correct_3(cm):
    c = len(cm)
    precision, recall = torch.zeros(c), torch.zeros(c)
    for k in range(c):
        col, row = cm[:, k].sum().item(), cm[k, :].sum().item()
        precision[k] = cm[k, k].item() / col if col else 0.0
        recall[k] = cm[k, k].item() / row if row else 0.0
    return precision, recall


def wrong_1(cm):  # rows and columns swapped
    right = cm.diagonal().double()
    return right / cm.sum(dim=1).clamp(min=1), right / cm.sum(dim=0).clamp(min=1)


def wrong_2(cm):  # nan for an empty column
    right = cm.diagonal().double()
    return right / cm.sum(dim=0), right / cm.sum(dim=1)


def wrong_3(cm):  # integer division
    right = cm.diagonal()
    return right // cm.sum(dim=0).clamp(min=1), right // cm.sum(dim=1).clamp(min=1)


def correct_4(cm):  # NumPy float arrays, a list for the pair
    import numpy as np
    a = cm.numpy().astype(float)
    right, col, row = np.diag(a), a.sum(0), a.sum(1)
    return [np.divide(right, col, out=np.zeros_like(right), where=col > 0),
            np.divide(right, row, out=np.zeros_like(right), where=row > 0)]


def wrong_4(cm):  # one stacked (2, C) tensor, not a pair
    right = cm.diagonal().float()
    return torch.stack([right / cm.sum(0).clamp(min=1), right / cm.sum(1).clamp(min=1)])


def wrong_5(cm):  # 0/0 handled for precision only: recall of an absent class is nan
    right = cm.diagonal().double()
    return torch.nan_to_num(right / cm.sum(0)), right / cm.sum(1)

