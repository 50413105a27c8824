"""Event-camera data on torch, SpikePoint and SpikMamba."""

from importlib.metadata import version as _version

__version__ = _version("spike-cam")

__all__ = ["__version__"]
