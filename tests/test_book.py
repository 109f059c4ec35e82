"""The book's table: its six rows, the training protocol, the table and the command line."""

from __future__ import annotations

import argparse
import json

import pytest
import torch
from torch import nn

from mnist_lab.book import (
    BOOK_ROWS,
    BookData,
    cross_entropy_row,
    evaluate_accuracy,
    format_table,
    reproduce_book_table,
    rows_over_seeds,
    train_autograd,
    train_book_row,
)
from mnist_lab.course.cli import add_reproduce_arguments, main
from mnist_lab.models import MLP
from mnist_lab.numerics import TrainingDiverged


def small_data(n_train: int = 40, n_test: int = 30) -> BookData:
    """Random sparse 784-pixel 'images' with labels: the book's shapes, tiny sizes."""
    g = torch.Generator().manual_seed(0)

    def images(n):
        x = torch.rand(n, 784, generator=g)
        return x * (torch.rand(n, 784, generator=g) < 0.2)

    return BookData(images(n_train), torch.randint(0, 10, (n_train,), generator=g),
                    images(n_test), torch.randint(0, 10, (n_test,), generator=g))


def layer_types(model: MLP) -> list[type]:
    block = model.hidden[0]
    return [type(m) for m in (block.linear, block.act, block.norm, model.out, model.out_act)]


def test_rows_are_the_books_six_in_order():
    assert list(BOOK_ROWS) == ["baseline", "bce", "leaky_relu", "adam", "layernorm", "combined"]


def test_reference_accuracies_are_the_book_code_measured_here():
    measured = [row.reference_accuracy for row in BOOK_ROWS.values()]
    assert measured == [86.75, 90.39, 96.91, 97.38, 91.10, 97.27]
    assert [row.book_accuracy for row in BOOK_ROWS.values()] == [87, 91, 97, 97, 91, 97]


def test_baseline_is_the_books_network_and_recipe():
    row = BOOK_ROWS["baseline"]
    model = MLP(row.mlp)
    assert layer_types(model) == [nn.Linear, nn.Sigmoid, nn.Identity, nn.Linear, nn.Sigmoid]
    assert (model.hidden[0].linear.in_features, model.out.in_features) == (784, 200)
    assert (row.loss, row.optimizer, row.lr) == ("mse", "sgd", 0.01)


def test_leaky_relu_row_replaces_both_sigmoids():
    model = MLP(BOOK_ROWS["leaky_relu"].mlp)
    assert layer_types(model) == [nn.Linear, nn.LeakyReLU, nn.Identity, nn.Linear, nn.LeakyReLU]
    assert model.hidden[0].act.negative_slope == 0.02


def test_layernorm_row_normalises_after_the_hidden_sigmoid():
    model = MLP(BOOK_ROWS["layernorm"].mlp)
    assert layer_types(model) == [nn.Linear, nn.Sigmoid, nn.LayerNorm, nn.Linear, nn.Sigmoid]


def test_combined_row_is_leaky_relu_layernorm_bce_adam():
    row = BOOK_ROWS["combined"]
    assert layer_types(MLP(row.mlp)) == [nn.Linear, nn.LeakyReLU, nn.LayerNorm, nn.Linear,
                                         nn.Sigmoid]
    assert (row.loss, row.optimizer, row.lr) == ("bce", "adam", 1e-3)


def test_each_row_changes_one_thing_from_the_baseline():
    base = BOOK_ROWS["baseline"]
    assert BOOK_ROWS["bce"].loss == "bce" and BOOK_ROWS["bce"].mlp == base.mlp
    assert BOOK_ROWS["adam"].optimizer == "adam" and BOOK_ROWS["adam"].mlp == base.mlp
    assert BOOK_ROWS["layernorm"].loss == base.loss and BOOK_ROWS["layernorm"].lr == base.lr


def test_train_book_row_runs_the_protocol_on_given_data():
    run = train_book_row("bce", data=small_data(), epochs=2, engine="torch")
    assert run.steps == 80 and run.losses.shape == (8,)
    assert run.engine == "torch" and run.row is BOOK_ROWS["bce"]
    assert 0.0 <= run.accuracy <= 100.0 and run.seconds > 0


def test_auto_engine_trains_with_numba_on_cpu():
    assert train_book_row("baseline", data=small_data(), epochs=1).engine == "numba"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_auto_engine_on_a_gpu_trains_on_the_cpu_kernel_and_scores_on_the_gpu():
    cpu = small_data()
    gpu = BookData(*(t.cuda() for t in (cpu.x_train, cpu.y_train, cpu.x_test, cpu.y_test)))
    run = train_book_row("combined", data=gpu, epochs=1)
    same = train_book_row("combined", data=cpu, epochs=1)
    assert run.engine == "numba" and next(run.model.parameters()).device.type == "cuda"
    assert torch.equal(run.losses.cpu(), same.losses.cpu())


@pytest.mark.parametrize("engine", ["numba", "torch"])
def test_fast_engines_give_the_autograd_weights_for_a_row(engine):
    data = small_data()
    ref = train_book_row("combined", data=data, epochs=2, engine="autograd")
    fast = train_book_row("combined", data=data, epochs=2, engine=engine)
    gap = max((p - q).abs().max().item()
              for p, q in zip(ref.model.parameters(), fast.model.parameters()))
    assert gap <= 1e-5
    assert fast.accuracy == ref.accuracy


def test_same_seed_gives_the_same_run():
    data = small_data()
    a = train_book_row("adam", data=data, epochs=1, seed=3, engine="torch")
    b = train_book_row("adam", data=data, epochs=1, seed=3, engine="torch")
    assert torch.equal(a.losses, b.losses)


def test_unknown_row_lists_the_choices():
    with pytest.raises(ValueError, match="baseline"):
        train_book_row("relu", data=small_data())


def test_unknown_engine_is_rejected():
    with pytest.raises(ValueError, match="engine"):
        train_book_row("baseline", data=small_data(), engine="jax")


def test_train_autograd_stops_on_a_non_finite_loss():
    data = small_data()
    model = MLP(BOOK_ROWS["leaky_relu"].mlp)
    with pytest.raises(TrainingDiverged, match="learning rate"):
        train_autograd(model, data.x_train * 100, data.y_train, lr=10.0, steps=400)


def test_evaluate_accuracy_is_the_percent_of_correct_argmax():
    class Echo(nn.Module):  # outputs its input: the "prediction" is the argmax of x
        def forward(self, x):
            return x

    x = torch.eye(4)[[0, 1, 2, 3]]
    assert evaluate_accuracy(Echo(), x, torch.tensor([0, 1, 2, 0])) == 75.0


def test_reproduce_book_table_reports_each_row_as_it_finishes():
    finished = []
    runs = reproduce_book_table(["adam", "baseline"], data=small_data(), epochs=1,
                                engine="torch", progress=lambda run: finished.append(run.row.name))
    assert finished == ["adam", "baseline"] == [run.row.name for run in runs]


def test_format_table_shows_ours_beside_the_books_figures():
    runs = reproduce_book_table(["baseline", "combined"], data=small_data(), epochs=1,
                                engine="torch")
    table = format_table(runs)
    assert "baseline" in table and "combined" in table
    assert "86.75%" in table and "97.27%" in table  # the book's code, re-run here
    assert f"{runs[0].accuracy:.2f}%" in table
    assert "total" in table


def test_a_cross_entropy_row_trains_logits_with_softmax_ce():
    row = cross_entropy_row("combined")
    assert (row.name, row.loss, row.mlp.output_activation) == ("combined_ce", "ce", "none")
    assert row.mlp.norm == BOOK_ROWS["combined"].mlp.norm  # the rest of the row is kept
    run = train_book_row(row, data=small_data(), epochs=1, engine="torch")
    assert run.losses.isfinite().all() and run.within_tolerance() is None
    assert "combined_ce" in format_table([run])  # no book figures: shown as dashes


def test_reproduce_arguments_parse():
    parser = argparse.ArgumentParser()
    add_reproduce_arguments(parser)
    args = parser.parse_args(["--rows", "bce", "adam", "--engine", "torch", "--json", "out.json"])
    assert (args.rows, args.engine, args.json, args.epochs) == (["bce", "adam"], "torch",
                                                                "out.json", 3)


def test_reproduce_arguments_reject_an_unknown_row():
    parser = argparse.ArgumentParser()
    add_reproduce_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--rows", "dropout"])


@pytest.mark.data
@pytest.mark.slow
def test_reproduce_writes_json_for_one_epoch_of_the_baseline(tmp_path, capsys):
    out = tmp_path / "table.json"
    assert main(["reproduce", "--rows", "baseline", "--epochs", "1", "--json", str(out)]) == 0
    (result,) = json.loads(out.read_text())
    assert result["name"] == "baseline" and result["steps"] == 60_000
    assert 55.0 <= result["accuracy"] <= 66.0  # one epoch of the baseline: 60.39% with seed 0
    assert "baseline" in capsys.readouterr().out


def test_rows_over_seeds_trains_side_by_side_to_the_same_runs_as_one_at_a_time():
    data = small_data()
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(3)  # three runs at once, in threads
        first, side_by_side = rows_over_seeds(("baseline", "adam"), (0, 1, 2), data)
        for name in ("baseline", "adam"):
            one_at_a_time = [train_book_row(name, seed=seed, data=data) for seed in (0, 1, 2)]
            accuracies = torch.tensor([run.accuracy for run in one_at_a_time])
            assert torch.equal(side_by_side[name], accuracies)
            assert torch.equal(first[name].losses, one_at_a_time[0].losses)
            for a, b in zip(first[name].model.parameters(), one_at_a_time[0].model.parameters()):
                assert torch.equal(a, b)
    finally:
        torch.set_num_threads(threads)


def test_rows_over_seeds_pairs_each_rows_accuracies_by_seed():
    data = small_data()
    first, accs = rows_over_seeds(("baseline", "bce"), (0, 1), data)
    assert set(first) == set(accs) == {"baseline", "bce"}
    assert accs["bce"].shape == (2,)
    again = train_book_row("bce", seed=1, data=data)
    assert accs["bce"][1].item() == again.accuracy
    assert first["baseline"].accuracy == train_book_row("baseline", seed=0, data=data).accuracy
