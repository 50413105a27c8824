"""Plots of spiking activity (needs the ``plot`` extra: ``pip install spike-core[plot]``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from spike_core._validation import check_rank, check_tensor

__all__ = ["membrane_plot", "raster_plot", "save_figure"]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'spike-core[plot]'") from exc
    return plt


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Save a matplotlib figure atomically (temporary file, then rename); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _as_2d(x: torch.Tensor, name: str) -> torch.Tensor:
    check_tensor(x, name)
    check_rank(x, name, 2, "[T, N] or [T, B, ...]")
    x = x.detach().float().cpu()
    return x[:, 0].reshape(x.shape[0], -1) if x.dim() > 2 else x


def raster_plot(
    spikes: torch.Tensor, path: str | os.PathLike[str] | None = None, *, title: str = "Spike raster"
) -> Any:
    """Raster of spikes over time.

    Args:
        spikes: ``[T, N]`` or ``[T, B, ...]`` (the first sample is plotted).
        path: write a PNG/SVG here when given (atomically).
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    s = _as_2d(spikes, "spikes")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    t, n = torch.nonzero(s > 0, as_tuple=True)
    ax.scatter(t.numpy(), n.numpy(), s=12, marker="|", color="black")
    ax.set(xlabel="time step", ylabel="neuron", title=title, xlim=(-0.5, s.shape[0] - 0.5))
    if path is not None:
        save_figure(fig, path)
    return fig


def membrane_plot(
    v: torch.Tensor,
    path: str | os.PathLike[str] | None = None,
    *,
    v_threshold: float | None = None,
    max_traces: int = 5,
    title: str = "Membrane potential",
) -> Any:
    """Membrane traces over time, with the threshold as a dashed line.

    Args:
        v: ``[T, N]`` or ``[T, B, ...]`` (the first sample is plotted).
        path: write a PNG/SVG here when given.
        v_threshold: draw this threshold.
        max_traces: number of neurons drawn.
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    x = _as_2d(v, "v")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for j in range(min(max_traces, x.shape[1])):
        ax.plot(x[:, j].numpy(), label=f"neuron {j}")
    if v_threshold is not None:
        ax.axhline(v_threshold, ls="--", color="gray", label="threshold")
    ax.set(xlabel="time step", ylabel="v", title=title)
    ax.legend(fontsize="small")
    if path is not None:
        save_figure(fig, path)
    return fig
