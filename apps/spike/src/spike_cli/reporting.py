"""A short Markdown report with figures, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_text", "write_report"]


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


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
