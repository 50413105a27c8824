"""A synthetic DVS source: rendered moving shapes turned into events by log-intensity changes.

The v2e idea, simplified: each pixel keeps a reference log intensity ``L_ref``; when the current
log intensity ``L = log(I + eps)`` moves ``n`` thresholds ``C`` away, the pixel emits ``n``
events of that sign (timestamps spread linearly between the two frames) and ``L_ref`` moves by
``n C``. :class:`SyntheticGestures` renders six "gestures" of a bright disk (swipe right, left,
down, up, circle clockwise, counter-clockwise) with random radius, speed and start, giving an
embedded labelled action data set that needs no download.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from spike_cam.events import EVENT_DTYPE, make_events

__all__ = ["GESTURES", "SyntheticGestures", "frames_to_events", "render_gesture"]

GESTURES = ("swipe-right", "swipe-left", "swipe-down", "swipe-up", "circle-cw", "circle-ccw")


def render_gesture(
    label: int, *, size: int = 32, frames: int = 32, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Render one gesture as intensity frames.

    Args:
        label: index into :data:`GESTURES`.
        size: frame width and height.
        frames: number of frames.
        rng: random generator for the jitter (radius, speed, start, background).

    Returns:
        ``[frames, size, size]`` float32 intensities in ``(0, 1]``.
    """
    if not 0 <= label < len(GESTURES):
        raise ValueError(f"label must be in [0, {len(GESTURES)}), got {label}")
    rng = rng or np.random.default_rng(0)
    r = size * rng.uniform(0.08, 0.14)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    s = np.linspace(0, 1, frames, dtype=np.float32)
    jitter = rng.uniform(-0.1, 0.1, 2) * size
    lo, hi = 0.2 * size, 0.8 * size
    c = size / 2
    if label < 4:
        a = lo + (hi - lo) * s
        a = a if label in (0, 2) else hi + lo - a
        if label < 2:
            cx, cy = a, np.full_like(s, c + jitter[1])
        else:
            cx, cy = np.full_like(s, c + jitter[0]), a
    else:
        turns = rng.uniform(0.8, 1.0)
        sign = 1.0 if label == 4 else -1.0
        phase = rng.uniform(0, 2 * math.pi)
        ang = phase + sign * 2 * math.pi * turns * s
        rad = 0.25 * size
        cx, cy = c + jitter[0] + rad * np.cos(ang), c + jitter[1] + rad * np.sin(ang)
    bg = rng.uniform(0.05, 0.15)
    d2 = (xx[None] - cx[:, None, None]) ** 2 + (yy[None] - cy[:, None, None]) ** 2
    disk = 1.0 / (1.0 + np.exp((np.sqrt(d2) - r) * 2.0))
    return (bg + (0.9 - bg) * disk).astype(np.float32)


def frames_to_events(
    frames: np.ndarray, *, frame_us: int = 10_000, threshold: float = 0.2, eps: float = 1e-3
) -> np.ndarray:
    """Convert intensity frames to events by log-intensity change thresholds.

    Args:
        frames: ``[F, H, W]`` non-negative intensities.
        frame_us: time between frames (µs).
        threshold: contrast threshold ``C`` on ``log(I + eps)``.
        eps: offset inside the log.

    Returns:
        Canonical events (time-sorted; ties ordered by pixel).
    """
    if frames.ndim != 3:
        raise ValueError(f"frames must be [F, H, W], got shape {frames.shape}")
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    L = np.log(frames.astype(np.float64) + eps)
    ref = L[0].copy()
    parts = []
    for k in range(1, len(L)):
        diff = L[k] - ref
        n = np.floor(np.abs(diff) / threshold).astype(np.int64)
        ys, xs = np.nonzero(n)
        if len(ys) == 0:
            continue
        counts = n[ys, xs]
        pol = (diff[ys, xs] > 0).astype(np.int8)
        ref[ys, xs] += np.sign(diff[ys, xs]) * counts * threshold
        rep = np.repeat(np.arange(len(ys)), counts)
        # the j-th of n events of a pixel fires at fraction j / n between the frames
        within = np.concatenate([np.arange(1, c + 1) / c for c in counts])
        t = ((k - 1) + within) * frame_us
        parts.append(make_events(np.round(t).astype(np.int64), xs[rep], ys[rep], pol[rep]))
    if not parts:
        return np.empty(0, dtype=EVENT_DTYPE)
    ev = np.concatenate(parts)
    return ev[np.argsort(ev["t"], kind="stable")]


class SyntheticGestures(torch.utils.data.Dataset):
    """Embedded labelled event data set of six synthetic gestures (deterministic given ``seed``).

    Args:
        samples_per_class: recordings per gesture.
        size: sensor width and height (``sensor_size = (size, size, 2)``).
        frames: rendered frames per recording (10 ms apart).
        seed: seed of the jitter.
        transform: optional callable applied to the ``[N, 4]`` event tensor (e.g. a framing).

    Returns (items):
        ``(transform(events) or events [N, 4] int64 tensor, label)``.

    Examples:
        >>> ds = SyntheticGestures(samples_per_class=1, size=16, frames=8)
        >>> len(ds), ds[0][0].shape[1]
        (6, 4)
    """

    def __init__(
        self,
        *,
        samples_per_class: int = 20,
        size: int = 32,
        frames: int = 32,
        seed: int = 0,
        transform: object = None,
    ) -> None:
        if samples_per_class < 1 or size < 8 or frames < 2:
            raise ValueError("need samples_per_class >= 1, size >= 8 and frames >= 2")
        self.sensor_size = (size, size, 2)
        self.transform = transform
        rng = np.random.default_rng(seed)
        self.samples: list[tuple[np.ndarray, int]] = []
        for i in range(samples_per_class * len(GESTURES)):
            label = i % len(GESTURES)
            ev = frames_to_events(render_gesture(label, size=size, frames=frames, rng=rng))
            self.samples.append((ev, label))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from spike_cam.events import events_to_tensor

        ev, label = self.samples[i]
        x = events_to_tensor(ev)
        return (self.transform(x) if callable(self.transform) else x), label
