"""Event clouds: sliding windows of events turned into ``N`` normalised points ``(x, y, t)``."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from spike_cam.transforms import _check, time_windows

__all__ = ["event_windows", "normalize_cloud", "resample", "to_points"]


def event_windows(
    ev: torch.Tensor, window_us: int, step_us: int, *, min_events: int = 1
) -> list[torch.Tensor]:
    """Overlapping windows ``[s, s + window_us)`` every ``step_us``, dropping sparse ones.

    Args:
        ev: ``[N, 4]`` events (``t, x, y, p``), time-sorted.
        window_us: window length (µs); 500 000 for DVS128 Gesture in the authors' later code.
        step_us: window step (µs); 250 000 likewise.
        min_events: drop windows with fewer events (100 for Gesture likewise).

    Returns:
        The kept windows, events never reordered.
    """
    return [w for w in time_windows(ev, window_us, step_us) if len(w) >= min_events]


def resample(ev: torch.Tensor, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Resample to exactly ``n`` events, keeping time order.

    A random subset without replacement when there are at least ``n`` events, with replacement
    otherwise; the chosen indices are sorted.

    Args:
        ev: ``[M, 4]`` events, ``M >= 1``.
        n: points wanted.
        generator: seeded CPU generator.

    Returns:
        ``[n, 4]`` events.
    """
    _check(ev)
    m = len(ev)
    if m == 0 or n < 1:
        raise ValueError(f"need at least one event and n >= 1, got {m} events, n={n}")
    if m >= n:
        idx = torch.randperm(m, generator=generator)[:n]
    else:
        idx = torch.randint(0, m, (n,), generator=generator)
    return ev[torch.sort(idx).values.to(ev.device)]


def normalize_cloud(ev: torch.Tensor, sensor_size: Sequence[int]) -> torch.Tensor:
    """Points ``(x / W, y / H, (t - t_min) / (t_max - t_min + 1e-6))``, polarity dropped.

    Args:
        ev: ``[N, 4]`` events.
        sensor_size: ``(W, H[, 2])``.

    Returns:
        ``[N, 3]`` float32 points in ``[0, 1]``.
    """
    _check(ev)
    W, H = int(sensor_size[0]), int(sensor_size[1])
    t = ev[:, 0].to(torch.float64)
    tn = (t - t.min()) / (t.max() - t.min() + 1e-6)
    return torch.stack([ev[:, 1] / W, ev[:, 2] / H, tn], dim=1).to(torch.float32)


def to_points(
    ev: torch.Tensor,
    sensor_size: Sequence[int],
    n: int,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Resample a window to ``n`` events and normalise it: ``[n, 3]`` points ``(x, y, t)``."""
    return normalize_cloud(resample(ev, n, generator=generator), sensor_size)
