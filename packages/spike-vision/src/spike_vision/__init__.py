"""Spiking vision transformers: Spikformer, Spike-driven Transformer, Meta-SpikeFormer, QSD, detection and segmentation."""

from importlib.metadata import version as _version

__version__ = _version("spike-vision")

__all__ = ["__version__"]
