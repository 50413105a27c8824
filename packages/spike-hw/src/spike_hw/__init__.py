"""NIR interchange, a bit-exact fixed-point backend, PyNN export and the hippocampal CAM."""

from importlib.metadata import version as _version

__version__ = _version("spike-hw")

__all__ = ["__version__"]
