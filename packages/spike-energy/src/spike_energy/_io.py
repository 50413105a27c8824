"""Atomic file writes and number formatting."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "si"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def si(value: float, unit: str = "") -> str:
    """Format ``value`` with an SI prefix (``1.77M``, ``8.14 uJ``)."""
    if value == 0:
        return f"0{' ' + unit if unit else ''}"
    prefixes = (
        [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")]
        if not unit
        else [(1.0, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")]
    )
    for scale, p in prefixes:
        if abs(value) >= scale:
            text = f"{value / scale:.4g}{p}"
            return f"{text[: -len(p)]} {p}{unit}" if unit and p else f"{text} {unit}".strip()
    scale, p = prefixes[-1]
    return f"{value / scale:.4g} {p}{unit}".strip()
