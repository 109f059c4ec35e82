"""Predictions, accuracy, evaluate, the confusion matrix and precision/recall."""

import pytest
import torch
from torch import nn

from mnist_lab.losses import make_loss
from mnist_lab.metrics import (
    accuracy,
    confusion_matrix,
    evaluate,
    model_outputs,
    precision_recall,
    predict,
    predict_proba,
)
from mnist_lab.models import MLP


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(50, 784, generator=g), torch.randint(0, 10, (50,), generator=g)


def _model(**kwargs):
    torch.manual_seed(0)
    return MLP(sizes=(784, 16, 10), **kwargs)


def test_predict_proba_of_a_logits_model_is_a_softmax(data):
    x, _ = data
    model = _model(output_activation="none")
    probs = predict_proba(model, x)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(50))
    torch.testing.assert_close(probs, model(x).softmax(dim=1))


def test_predict_proba_of_a_sigmoid_model_is_its_raw_outputs(data):
    x, _ = data
    model = _model()  # the book's sigmoid outputs
    torch.testing.assert_close(predict_proba(model, x), model(x))


def test_predict_proba_treats_a_model_without_cfg_as_logits(data):
    x, _ = data
    model = nn.Sequential(nn.Linear(784, 10))
    torch.testing.assert_close(predict_proba(model, x), model(x).softmax(dim=1))
    torch.testing.assert_close(predict_proba(model, x, logits=False), model(x))


def test_model_outputs_in_batches_equal_one_big_batch(data):
    x, _ = data
    model = _model()
    torch.testing.assert_close(model_outputs(model, x, batch_size=7), model(x))


def test_model_outputs_carry_no_autograd_graph(data):
    assert not model_outputs(_model(), data[0]).requires_grad


def test_predict_is_the_argmax(data):
    x, _ = data
    model = _model()
    assert torch.equal(predict(model, x, batch_size=8), model(x).argmax(dim=1))


def test_accuracy_counts_matching_predictions(data):
    x, y = data
    model = _model()
    expected = (model(x).argmax(dim=1) == y).float().mean().item()
    assert accuracy(model, x, y, batch_size=16) == pytest.approx(expected)


def test_evaluate_gives_the_mean_loss_over_all_samples(data):
    x, y = data
    model = _model()
    loss_fn = make_loss("mse")
    scores = evaluate(model, x, y, loss_fn, batch_size=16)  # batches of 16, 16, 16, 2
    assert scores["loss"] == pytest.approx(loss_fn(model(x), y).item(), rel=1e-5)
    assert scores["acc"] == pytest.approx(accuracy(model, x, y))


def test_evaluate_without_loss_fn_reports_only_accuracy(data):
    assert set(evaluate(_model(), *data)) == {"acc"}


def test_evaluate_uses_eval_mode_and_restores_training_mode(data):
    x, y = data
    model = _model(dropout=0.5)
    model.train()
    first = evaluate(model, x, y)
    assert model.training
    assert evaluate(model, x, y) == first  # dropout off: the same answer twice


def test_evaluate_rejects_mismatched_lengths(data):
    x, y = data
    with pytest.raises(ValueError, match="x has 50 rows but y has 49 labels"):
        evaluate(_model(), x, y[:-1])


def test_confusion_matrix_counts_each_true_predicted_pair():
    g = torch.Generator().manual_seed(1)
    preds = torch.randint(0, 10, (500,), generator=g)
    labels = torch.randint(0, 10, (500,), generator=g)
    cm = confusion_matrix(preds, labels)
    expected = torch.zeros(10, 10, dtype=torch.long)
    for p, t in zip(preds.tolist(), labels.tolist()):
        expected[t, p] += 1
    assert torch.equal(cm, expected)


def test_confusion_matrix_rejects_classes_out_of_range():
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), num_classes=3)


def test_precision_recall_from_a_known_matrix():
    cm = torch.tensor([[8, 2, 0], [1, 9, 0], [0, 0, 0]])  # class 2 never seen nor predicted
    precision, recall = precision_recall(cm)
    torch.testing.assert_close(precision, torch.tensor([8 / 9, 9 / 11, 0.0], dtype=torch.float64))
    torch.testing.assert_close(recall, torch.tensor([0.8, 0.9, 0.0], dtype=torch.float64))
