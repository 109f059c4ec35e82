"""The experiment panel's records (lesson 06): the settings of a run and what it recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mnist_lab.losses import LOSSES
from mnist_lab.models import ACTIVATIONS, NORMS
from mnist_lab.optim import OPTIMIZERS

HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "none")


@dataclass(frozen=True)
class PanelSettings:
    """The experiment panel's choices; the defaults are the book's combined network (lesson 06)."""

    loss: str = "bce"
    activation: str = "leaky_relu"
    optimizer: str = "adam"
    norm: str = "layer"
    lr: float = 1e-3
    epochs: int = 3

    def __post_init__(self) -> None:
        for name, allowed in (("loss", LOSSES), ("activation", HIDDEN_ACTIVATIONS),
                              ("optimizer", OPTIMIZERS), ("norm", NORMS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {allowed}")
        if not self.lr > 0 or self.epochs < 1:
            raise ValueError(f"need lr > 0 and epochs >= 1, got lr={self.lr}, epochs={self.epochs}")


@dataclass
class PanelRun:
    """One training run of the experiment panel: its settings and what it recorded."""

    number: int
    settings: PanelSettings
    steps: list[int] = field(default_factory=list)  # step numbers of `losses`
    losses: list[float] = field(default_factory=list)  # mini-batch loss every `every` steps
    val_acc: list[float] = field(default_factory=list)  # one per finished epoch
    seconds: float = 0.0
    finished: bool = False  # ended, for whatever reason
    stopped: bool = False  # ended by the Stop button
    diverged: bool = False  # the loss became NaN or infinite
    error: str | None = None  # anything else that went wrong

    def row(self) -> dict[str, Any]:
        """The run as one row of the comparison table."""
        s = self.settings
        note = ("diverged" if self.diverged else self.error or
                ("stopped" if self.stopped else ""))
        return {"run": self.number, "loss": s.loss, "activation": s.activation,
                "optimiser": s.optimizer, "norm": s.norm, "lr": f"{s.lr:.2g}",
                "epochs": f"{len(self.val_acc)}/{s.epochs}",
                "val acc": f"{self.val_acc[-1]:.2%}" if self.val_acc else "–",
                "time": f"{self.seconds:.1f} s" if self.finished else "training…",
                "note": note}

    def outcome(self) -> str:
        """One plain sentence on how the run ended, for the panel's status line."""
        s = self.settings
        if self.diverged:
            return (f"Run {self.number} diverged: its loss grew until it was no longer a number, "
                    f"so it learned nothing. A learning rate of {s.lr:.2g} is too large for "
                    f"{s.optimizer} here: try {s.lr / 10:.2g}.")
        if self.error:
            return f"Run {self.number} failed: {self.error}"
        acc = f"{self.val_acc[-1]:.1%} validation accuracy" if self.val_acc else "no epoch done"
        how = "stopped" if self.stopped else "finished"
        return f"Run {self.number} {how} after {self.seconds:.1f} s: {acc}. Ready."
