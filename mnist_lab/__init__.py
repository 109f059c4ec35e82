"""mnist-lab: a course in training neural networks on MNIST, and the small library behind it."""

from mnist_lab.data import Splits, load_fashion_mnist, load_mnist, load_splits
from mnist_lab.device import get_device, seed_everything
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.schedules import ScheduleConfig
from mnist_lab.train import History, TrainConfig, fit

__all__ = [
    "MLP",
    "History",
    "MLPConfig",
    "OptimConfig",
    "ScheduleConfig",
    "Splits",
    "TrainConfig",
    "fit",
    "get_device",
    "load_fashion_mnist",
    "load_mnist",
    "load_splits",
    "seed_everything",
]
__version__ = "0.1.0"
