"""Spiking neural decoders with Bessel filtering for brain-machine interfaces."""

from importlib.metadata import version as _version

__version__ = _version("spike-bmi")

__all__ = ["__version__"]
