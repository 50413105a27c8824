"""E-3DSNN: spike voxel coding and spike sparse convolution for point clouds, on CPU."""

from importlib.metadata import version as _version

__version__ = _version("spike-3d")

__all__ = ["__version__"]
