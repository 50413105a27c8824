"""Spiking sequence models: SpikeGPT, L2MU and spiking recurrent cells."""

from importlib.metadata import version as _version

__version__ = _version("spike-seq")

__all__ = ["__version__"]
