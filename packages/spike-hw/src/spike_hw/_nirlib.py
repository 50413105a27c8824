"""Lazy import of the optional ``nir`` package."""

from __future__ import annotations

from typing import Any


def nir_module() -> Any:
    """Return the ``nir`` module or raise an ImportError naming the extra."""
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - nir is installed in the dev env
        raise ImportError("NIR support needs the 'nir' package: pip install spike-hw[nir]") from exc
    return nir
