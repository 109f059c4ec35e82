import torch


def correct_1(logits, labels):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, labels[:, None]).mean()


def correct_2(logits, labels):
    m = logits.amax(dim=-1, keepdim=True)
    log_sum_exp = m + torch.log(torch.sum(torch.exp(logits - m), dim=-1, keepdim=True))
    one_hot = torch.zeros_like(logits)
    one_hot[torch.arange(len(labels), device=logits.device), labels] = 1.0
    return ((log_sum_exp - logits) * one_hot).sum() / len(labels)


def correct_3(logits, labels):
    losses = []
    for row, label in zip(logits, labels):
        shifted = row - row.max()
        losses.append(torch.log(torch.exp(shifted).sum()) - shifted[label])
    return torch.stack(losses).mean()


def wrong_1(logits, labels):  # the naive softmax: exp(1000) overflows to inf
    probs = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(probs[torch.arange(len(labels)), labels]).mean()


def wrong_2(logits, labels):  # a sum over the batch, not the mean
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(len(labels)), labels].sum()


def wrong_3(logits, labels):  # the batch's largest logit, not each row's: a row underflows to 0
    shifted = logits - logits.max()
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs[torch.arange(len(labels)), labels].mean()


def correct_4(logits, labels):  # torch's own pieces: log_softmax and the NLL loss
    return torch.nn.functional.nll_loss(torch.log_softmax(logits, dim=1), labels)


def correct_5(logits, labels):  # a Python loop over rows, summed into a float
    total = 0.0
    for i in range(len(labels)):
        row = logits[i] - logits[i].max()
        total = total - (row[labels[i]] - row.exp().sum().log())
    return total / len(labels)


def wrong_4(logits, labels):  # log of a (stable) softmax: log(0) = -inf for an unlikely class
    return -torch.log(torch.softmax(logits, dim=1)[torch.arange(len(labels)), labels]).mean()


def wrong_5(logits, labels):  # every row's loss at every label: an N × N table
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[:, labels].mean()
