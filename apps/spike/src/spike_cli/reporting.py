"""A short Markdown report with figures, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spike_core import atomic_write_text

__all__ = ["write_report"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def write_report(out: Path, results: dict[str, Any], *, figures: dict[str, str]) -> Path:
    """Write ``out/report.md``: a table of ``results`` and the ``figures`` (title -> file name)."""
    lines = ["# Spike demo report", "", "| quantity | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in results.items()]
    for title, name in figures.items():
        lines += ["", f"## {title}", "", f"![{title}]({name})"]
    return atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
