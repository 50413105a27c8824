"""Number formatting for reports (atomic writes come from :mod:`spike_core.files`)."""

from __future__ import annotations

__all__ = ["si"]


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
