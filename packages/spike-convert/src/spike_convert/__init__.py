"""Lossless CRNN-to-SNN conversion (CNN-Morph, RNN-Morph) with BIF neurons."""

from importlib.metadata import version as _version

__version__ = _version("spike-convert")

__all__ = ["__version__"]
