"""Operation counting, energy estimation and bit budgets for spiking models."""

from importlib.metadata import version as _version

__version__ = _version("spike-energy")

__all__ = ["__version__"]
