"""MLP Lens for PyTorch: per-layer saturation and gradient flow, written as MLP Lens run records."""
from .lens import Diverged, Lens, watch

__all__ = ["watch", "Lens", "Diverged"]
__version__ = "0.1.0"
