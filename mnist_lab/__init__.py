"""mnist-lab: a course in training neural networks on MNIST, and the small library behind it."""

from mnist_lab.data import load_mnist
from mnist_lab.device import get_device, seed_everything
from mnist_lab.models import MLP, MLPConfig

__all__ = ["MLP", "MLPConfig", "get_device", "load_mnist", "seed_everything"]
__version__ = "0.1.0"
