"""The `spike` command line: composes the Spike packages into end-to-end tasks."""

from importlib.metadata import version as _version

__version__ = _version("spike-cli")

__all__ = ["__version__"]
