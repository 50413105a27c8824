"""Learned quantizers (LSQ), QCFS, integer spiking neurons and the QSD-Transformer transformation."""

from importlib.metadata import version as _version

__version__ = _version("spike-quant")

__all__ = ["__version__"]
