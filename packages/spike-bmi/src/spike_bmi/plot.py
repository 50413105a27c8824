"""Figure of decoded versus true velocity (matplotlib, behind the ``plot`` extra)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from spike_bmi._preprocess import SAMPLE_PERIOD

__all__ = ["plot_decoding"]


def _np(x: torch.Tensor | np.ndarray) -> np.ndarray:
    arr = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return arr.reshape(arr.shape[0], -1)


def plot_decoding(
    labels: torch.Tensor | np.ndarray,
    traces: Mapping[str, torch.Tensor | np.ndarray],
    path: str | os.PathLike[str],
    *,
    max_bins: int = 2500,
    title: str = "",
) -> Path:
    """Write a PNG of true velocity and decoded traces (x and y panels), atomically.

    Args:
        labels: true velocity ``[T, ..., 2]`` (time-major; batch entry 0 is plotted).
        traces: name -> decoded velocity of the same shape (e.g. raw and filtered).
        path: destination ``.png``.
        max_bins: plot at most this many bins from the start.
        title: figure title.

    Returns:
        The written path.

    Raises:
        ImportError: without matplotlib (install ``spike-bmi[plot]``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'spike-bmi[plot]'") from exc
    y = _np(labels)[:max_bins]
    t = np.arange(y.shape[0]) * SAMPLE_PERIOD
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for d, ax in enumerate(axes):
        ax.plot(t, y[:, d], color="black", lw=1.5, label="true")
        for name, tr in traces.items():
            ax.plot(t, _np(tr)[: y.shape[0], d], lw=1.0, label=name)
        ax.set_ylabel(f"v{'xy'[d]} (mm / 4 ms)")
    axes[0].legend(loc="upper right", fontsize=8, ncol=len(traces) + 1)
    axes[-1].set_xlabel("time (s)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    dest = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=dest.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=100)
        Path(tmp).replace(dest)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return dest
