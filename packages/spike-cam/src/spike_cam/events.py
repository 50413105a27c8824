"""The canonical event array: a structured NumPy array ``(t, x, y, p)`` plus a sensor size.

| field | dtype | meaning |
|---|---|---|
| ``t`` | int64 | timestamp in microseconds, non-decreasing within a stream |
| ``x`` | uint16 | column ``0 .. W-1`` |
| ``y`` | uint16 | row ``0 .. H-1`` |
| ``p`` | int8 | polarity, 1 = ON, 0 = OFF |

``sensor_size = (W, H, 2)``. Torch transforms take the ``[N, 4]`` int64 tensor view
(:func:`events_to_tensor`, columns ``t, x, y, p``).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "EVENT_DTYPE",
    "EventFormatError",
    "check_events",
    "events_to_tensor",
    "make_events",
    "tensor_to_events",
]

EVENT_DTYPE = np.dtype([("t", "<i8"), ("x", "<u2"), ("y", "<u2"), ("p", "i1")])


class EventFormatError(ValueError):
    """A file or array that is not a valid event stream; the message names the file and offset."""


def make_events(t: object, x: object, y: object, p: object) -> np.ndarray:
    """Build a canonical event array from four columns.

    Polarity given as ±1 or bool is mapped to 1 (ON) / 0 (OFF).

    Args:
        t: timestamps (µs), integer-valued.
        x: columns.
        y: rows.
        p: polarities (1/0, 1/-1 or bool).

    Returns:
        A structured array of :data:`EVENT_DTYPE`, shape ``[N]``.

    Raises:
        ValueError: if the columns differ in length, or hold negative coordinates.

    Examples:
        >>> make_events([0, 5], [1, 2], [3, 4], [1, -1])["p"].tolist()
        [1, 0]
    """
    cols = [np.asarray(c).reshape(-1) for c in (t, x, y, p)]
    n = len(cols[0])
    for name, c in zip("txyp", cols, strict=True):
        if len(c) != n:
            raise ValueError(f"event column {name!r} has {len(c)} values, expected {n}")
    tt, xx, yy, pp = cols
    for name, c in (("x", xx), ("y", yy)):
        if c.size and (c.min() < 0 or c.max() > np.iinfo(np.uint16).max):
            raise ValueError(
                f"event column {name!r} must be in [0, 65535], got range [{c.min()}, {c.max()}]"
            )
    ev = np.empty(n, dtype=EVENT_DTYPE)
    ev["t"], ev["x"], ev["y"] = tt, xx, yy
    ev["p"] = (pp > 0).astype(np.int8)
    return ev


def check_events(
    events: np.ndarray,
    sensor_size: tuple[int, int, int] | None = None,
    *,
    name: str = "events",
    require_sorted: bool = True,
) -> np.ndarray:
    """Validate a canonical event array.

    Args:
        events: the array.
        sensor_size: ``(W, H, 2)``; coordinates are checked against it when given.
        name: what to call the array in messages (e.g. the file name).
        require_sorted: require non-decreasing timestamps.

    Returns:
        ``events`` unchanged.

    Raises:
        EventFormatError: naming ``name`` and the first offending event index.
    """
    if not isinstance(events, np.ndarray) or events.dtype != EVENT_DTYPE:
        raise EventFormatError(f"{name}: expected an array of dtype {EVENT_DTYPE}")
    if require_sorted and events.size > 1:
        bad = np.flatnonzero(np.diff(events["t"]) < 0)
        if bad.size:
            i = int(bad[0]) + 1
            raise EventFormatError(
                f"{name}: timestamps decrease at event {i} ({events['t'][i - 1]} -> {events['t'][i]})"
            )
    if sensor_size is not None and events.size:
        W, H = int(sensor_size[0]), int(sensor_size[1])
        for field, limit in (("x", W), ("y", H)):
            bad = np.flatnonzero(events[field] >= limit)
            if bad.size:
                i = int(bad[0])
                raise EventFormatError(
                    f"{name}: event {i} has {field}={events[field][i]} outside the sensor "
                    f"({field} < {limit})"
                )
    if events.size and not np.isin(events["p"], (0, 1)).all():
        i = int(np.flatnonzero(~np.isin(events["p"], (0, 1)))[0])
        raise EventFormatError(f"{name}: event {i} has polarity {events['p'][i]}, expected 0 or 1")
    return events


def events_to_tensor(events: np.ndarray, device: torch.device | str | None = None) -> torch.Tensor:
    """The ``[N, 4]`` int64 tensor view (columns ``t, x, y, p``) used by the torch transforms.

    Args:
        events: canonical array.
        device: target device.

    Returns:
        ``[N, 4]`` int64 tensor.
    """
    cols = [torch.from_numpy(events[f].astype(np.int64)) for f in ("t", "x", "y", "p")]
    return (
        torch.stack(cols, dim=1).to(device)
        if cols[0].numel()
        else torch.zeros(0, 4, dtype=torch.int64, device=device)
    )


def tensor_to_events(ev: torch.Tensor) -> np.ndarray:
    """Back from the ``[N, 4]`` tensor view to the canonical array.

    Args:
        ev: ``[N, 4]`` tensor with columns ``t, x, y, p``.

    Returns:
        A structured array of :data:`EVENT_DTYPE`.
    """
    if ev.dim() != 2 or ev.shape[1] != 4:
        raise ValueError(f"ev must be [N, 4] (t, x, y, p), got shape {tuple(ev.shape)}")
    a = ev.detach().cpu().to(torch.int64).numpy()
    return make_events(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
