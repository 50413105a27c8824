"""Event transforms on torch tensors (CPU and GPU alike).

Events are the ``[N, 4]`` int64 tensor view of the canonical array (columns ``t, x, y, p``;
see :func:`spike_cam.events_to_tensor`), time-sorted. Every function returns new tensors on
the input's device; frame outputs are time-major ``[T, C, H, W]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from spike_cam._accumulate import accumulate_counts, accumulate_voxels, searchsorted_strided

__all__ = [
    "Compose",
    "crop",
    "denoise",
    "downsample",
    "flip_lr",
    "flip_ud",
    "merge_polarity",
    "refractory",
    "slice_by_count",
    "slice_by_time",
    "time_surface",
    "time_windows",
    "to_frames",
    "voxel_grid",
]

T, X, Y, P = 0, 1, 2, 3


def _check(ev: torch.Tensor) -> torch.Tensor:
    if not isinstance(ev, torch.Tensor) or ev.dim() != 2 or ev.shape[1] != 4:
        shape = tuple(ev.shape) if isinstance(ev, torch.Tensor) else type(ev).__name__
        raise ValueError(f"events must be an [N, 4] tensor (t, x, y, p), got {shape}")
    return ev


def _size(sensor_size: Sequence[int]) -> tuple[int, int]:
    if len(sensor_size) < 2 or int(sensor_size[0]) < 1 or int(sensor_size[1]) < 1:
        raise ValueError(f"sensor_size must be (W, H[, 2]) with positive sizes, got {sensor_size}")
    return int(sensor_size[0]), int(sensor_size[1])


def slice_by_time(ev: torch.Tensor, t0: int, t1: int) -> torch.Tensor:
    """Events with ``t0 <= t < t1`` (half-open).

    Args:
        ev: ``[N, 4]`` events, time-sorted.
        t0: start (µs, inclusive).
        t1: end (µs, exclusive).

    Returns:
        ``[M, 4]`` events.
    """
    _check(ev)
    lo, hi = searchsorted_strided(ev[:, T], torch.tensor([t0, t1], device=ev.device)).tolist()
    return ev[lo:hi]


def slice_by_count(ev: torch.Tensor, n: int, *, overlap: int = 0) -> list[torch.Tensor]:
    """Consecutive slices of ``n`` events (the last may be shorter), overlapping by ``overlap``.

    Args:
        ev: ``[N, 4]`` events.
        n: events per slice.
        overlap: events shared by consecutive slices (``0 <= overlap < n``).

    Returns:
        A list of ``[<=n, 4]`` tensors.
    """
    _check(ev)
    if n < 1 or not 0 <= overlap < n:
        raise ValueError(f"need n >= 1 and 0 <= overlap < n, got n={n}, overlap={overlap}")
    step = n - overlap
    return [ev[i : i + n] for i in range(0, max(len(ev) - overlap, 1), step)]


def time_windows(ev: torch.Tensor, window_us: int, step_us: int) -> list[torch.Tensor]:
    """Sliding windows ``[s, s + window_us)`` for ``s = t_0, t_0 + step_us, ...`` (order kept).

    Args:
        ev: ``[N, 4]`` events, time-sorted.
        window_us: window length (µs).
        step_us: window step (µs).

    Returns:
        One ``[M, 4]`` tensor per window start up to the last event.
    """
    _check(ev)
    if window_us < 1 or step_us < 1:
        raise ValueError(f"window_us and step_us must be >= 1, got {window_us}, {step_us}")
    if len(ev) == 0:
        return []
    t0, tl = int(ev[0, T]), int(ev[-1, T])
    return [slice_by_time(ev, s, s + window_us) for s in range(t0, tl + 1, step_us)]


def _bin_bounds(
    ev: torch.Tensor, n_bins: int | None, bin_us: int | None
) -> tuple[torch.Tensor, int]:
    """Start indices of the time bins (plus the end), found by binary search on the times."""
    if (n_bins is None) == (bin_us is None):
        raise ValueError("give exactly one of n_bins and bin_us")
    if bin_us is not None and bin_us < 1:
        raise ValueError(f"bin_us must be >= 1, got {bin_us}")
    if n_bins is not None and n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    t = ev[:, T]
    if len(t) == 0:
        nb = 1 if bin_us is not None else int(n_bins or 1)
        return torch.zeros(nb + 1, dtype=torch.int64), nb
    t0, tl = int(t[0]), int(t[-1])
    if bin_us is not None:
        nb = (tl - t0) // bin_us + 1
        edges = t0 + torch.arange(nb + 1, device=t.device) * bin_us
    else:
        assert n_bins is not None
        nb, span = n_bins, tl - t0 + 1
        # first t with (t - t0) * nb // span >= b  <=>  t - t0 >= ceil(b * span / nb)
        edges = t0 + (torch.arange(nb + 1, device=t.device) * span + nb - 1) // nb
    bounds = searchsorted_strided(t, edges)
    bounds[-1] = len(t)
    return bounds, nb


def _check_int(ev: torch.Tensor) -> None:
    if ev.dtype.is_floating_point or ev.dtype.is_complex or ev.dtype == torch.bool:
        raise TypeError(f"events must be an integer tensor, got dtype {ev.dtype}")


def to_frames(
    ev: torch.Tensor,
    sensor_size: Sequence[int],
    *,
    n_bins: int | None = None,
    bin_us: int | None = None,
    mode: str = "count",
) -> torch.Tensor:
    """Integrate events into frames.

    Events are binned by time (``n_bins`` equal bins over ``t_0 .. t_N``, or bins of
    ``bin_us`` from ``t_0``) and counted per polarity and pixel. Coordinates are checked
    against the sensor (a ``ValueError`` names the first event outside it).

    Args:
        ev: ``[N, 4]`` integer events, time-sorted.
        sensor_size: ``(W, H[, 2])``.
        n_bins: number of equal time bins over the stream's span, or
        bin_us: bin length in µs (one of the two).
        mode: ``"count"`` (events per polarity, channels OFF, ON), ``"binary"`` (whether any
            event occurred, per polarity) or ``"sum"`` (both polarities in one channel).

    Returns:
        ``[T, C, H, W]`` float32 frames (``C = 2``, or 1 for ``"sum"``), time-major.

    Raises:
        ValueError: bad shape, sizes or bins, or an event outside the sensor.
        TypeError: a non-integer event tensor.

    Examples:
        >>> ev = torch.tensor([[0, 1, 0, 1], [5, 1, 0, 1], [9, 0, 1, 0]])
        >>> to_frames(ev, (2, 2), n_bins=1)[0, 1].tolist()
        [[0.0, 2.0], [0.0, 0.0]]
    """
    _check(ev)
    _check_int(ev)
    W, H = _size(sensor_size)
    if mode not in ("count", "binary", "sum"):
        raise ValueError(f"mode must be 'count', 'binary' or 'sum', got {mode!r}")
    bounds, nb = _bin_bounds(ev, n_bins, bin_us)
    C = 1 if mode == "sum" else 2
    out = accumulate_counts(ev, W, H, bounds, nb, polarity=C == 2).reshape(nb, C, H, W)
    return out.clamp_(max=1.0) if mode == "binary" else out


def voxel_grid(ev: torch.Tensor, sensor_size: Sequence[int], n_bins: int) -> torch.Tensor:
    """Voxel grid: polarity (±1) spread bilinearly over ``n_bins`` time bins.

    The normalised time ``(n_bins - 1) (t - t_0) / (t_N - t_0)`` of each event splits its
    value between the two nearest bins. Coordinates and polarities are checked against the
    sensor (a ``ValueError`` names the first bad event).

    Args:
        ev: ``[N, 4]`` integer events, time-sorted.
        sensor_size: ``(W, H[, 2])``.
        n_bins: number of time bins.

    Returns:
        ``[n_bins, H, W]`` float32, time-major.

    Raises:
        ValueError: bad shape, sizes or ``n_bins``, or an event outside the sensor.
        TypeError: a non-integer event tensor.
    """
    _check(ev)
    _check_int(ev)
    W, H = _size(sensor_size)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if len(ev) == 0:
        return torch.zeros(n_bins, H, W, dtype=torch.float32, device=ev.device)
    return accumulate_voxels(ev, W, H, n_bins).reshape(n_bins, H, W)


def time_surface(
    ev: torch.Tensor, sensor_size: Sequence[int], tau_us: float, *, t_ref: int | None = None
) -> torch.Tensor:
    """Exponential time surface ``exp(-(t_ref - t_last) / tau)`` per polarity and pixel.

    Args:
        ev: ``[N, 4]`` events, time-sorted.
        sensor_size: ``(W, H[, 2])``.
        tau_us: decay constant (µs).
        t_ref: reference time (default: the last event's time).

    Returns:
        ``[2, H, W]`` float32 in ``[0, 1]`` (0 where a pixel never fired).
    """
    _check(ev)
    W, H = _size(sensor_size)
    if not tau_us > 0:
        raise ValueError(f"tau_us must be positive, got {tau_us}")
    out = torch.zeros(2 * H * W, dtype=torch.float32, device=ev.device)
    if len(ev) == 0:
        return out.reshape(2, H, W)
    ref = int(ev[-1, T]) if t_ref is None else int(t_ref)
    keep = ev[:, T] <= ref
    e = ev[keep]
    last = torch.full((2 * H * W,), -1, dtype=torch.int64, device=ev.device)
    idx = (e[:, P] * H + e[:, Y]) * W + e[:, X]
    last.scatter_reduce_(0, idx, e[:, T], reduce="amax")
    fired = last >= 0
    out[fired] = torch.exp(-(ref - last[fired]).to(torch.float32) / float(tau_us))
    return out.reshape(2, H, W)


def _last_at(
    ev: torch.Tensor, pix: torch.Tensor, n_pix: int, query_pix: torch.Tensor
) -> torch.Tensor:
    """Time of the latest event at ``query_pix`` with time <= each event's time, or -inf (-1)."""
    t = ev[:, T]
    span = int(t.max()) + 2 if len(t) else 2
    key = pix * span + t
    order = torch.argsort(key, stable=True)
    skey = key[order]
    q = query_pix * span + t
    valid = (query_pix >= 0) & (query_pix < n_pix)
    pos = torch.searchsorted(skey, q.clamp(min=0), right=True) - 1
    ok = valid & (pos >= 0)
    found = skey[pos.clamp(min=0)]
    ok &= found // span == query_pix
    return torch.where(ok, found % span, torch.full_like(t, -1))


def denoise(
    ev: torch.Tensor, sensor_size: Sequence[int], dt_us: int, *, connectivity: int = 8
) -> torch.Tensor:
    """Background-activity filter: keep an event if one of its neighbours fired within ``dt_us``.

    A neighbour's event counts when ``t_e - dt_us <= t_n <= t_e`` (events at the same time
    count, in either order).

    Args:
        ev: ``[N, 4]`` events, time-sorted.
        sensor_size: ``(W, H[, 2])``.
        dt_us: support window (µs).
        connectivity: 8 (the full 3 x 3 neighbourhood) or 4 (left, right, up, down only, as
            Tonic's ``Denoise``).

    Returns:
        The kept events, order preserved.
    """
    _check(ev)
    W, H = _size(sensor_size)
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    if len(ev) == 0:
        return ev
    x, y, t = ev[:, X], ev[:, Y], ev[:, T]
    pix = y * W + x
    keep = torch.zeros(len(ev), dtype=torch.bool, device=ev.device)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if (dx == 0 and dy == 0) or (connectivity == 4 and dx != 0 and dy != 0):
                continue
            nx, ny = x + dx, y + dy
            inside = (nx >= 0) & (nx < W) & (ny >= 0) & (ny < H)
            q = torch.where(inside, ny * W + nx, torch.full_like(pix, -1))
            last = _last_at(ev, pix, W * H, q)
            keep |= (last >= 0) & (t - last <= dt_us)
    return ev[keep]


def refractory(ev: torch.Tensor, sensor_size: Sequence[int], period_us: int) -> torch.Tensor:
    """Drop an event if the previous event at the same pixel (any polarity) is within ``period_us``.

    Compares with the previous *received* event at the pixel (not the previous kept one), so
    the filter is vectorised; a burst faster than ``period_us`` keeps only its first event.

    Args:
        ev: ``[N, 4]`` events, time-sorted.
        sensor_size: ``(W, H[, 2])``.
        period_us: refractory period (µs).

    Returns:
        The kept events, order preserved.
    """
    _check(ev)
    W, _ = _size(sensor_size)
    if len(ev) < 2:
        return ev
    pix = ev[:, Y] * W + ev[:, X]
    order = torch.argsort(pix, stable=True)  # stable: time order kept within a pixel
    sp, st = pix[order], ev[order, T]
    drop_sorted = torch.zeros_like(sp, dtype=torch.bool)
    drop_sorted[1:] = (sp[1:] == sp[:-1]) & (st[1:] - st[:-1] < period_us)
    drop = torch.empty_like(drop_sorted)
    drop[order] = drop_sorted
    return ev[~drop]


def downsample(ev: torch.Tensor, factor: int) -> torch.Tensor:
    """Spatial downsampling: ``x // factor``, ``y // factor``.

    Args:
        ev: ``[N, 4]`` events.
        factor: integer factor >= 1.

    Returns:
        ``[N, 4]`` events on the ``(W // factor, H // factor)`` grid.
    """
    _check(ev)
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    out = ev.clone()
    out[:, X] //= factor
    out[:, Y] //= factor
    return out


def crop(ev: torch.Tensor, x0: int, y0: int, width: int, height: int) -> torch.Tensor:
    """Events inside ``[x0, x0 + width) x [y0, y0 + height)``, shifted to the crop's origin.

    Args:
        ev: ``[N, 4]`` events.
        x0: left column.
        y0: top row.
        width: crop width.
        height: crop height.

    Returns:
        ``[M, 4]`` events.
    """
    _check(ev)
    keep = (ev[:, X] >= x0) & (ev[:, X] < x0 + width) & (ev[:, Y] >= y0) & (ev[:, Y] < y0 + height)
    out = ev[keep].clone()
    out[:, X] -= x0
    out[:, Y] -= y0
    return out


def flip_lr(ev: torch.Tensor, width: int) -> torch.Tensor:
    """Mirror horizontally: ``x -> width - 1 - x``."""
    out = _check(ev).clone()
    out[:, X] = width - 1 - out[:, X]
    return out


def flip_ud(ev: torch.Tensor, height: int) -> torch.Tensor:
    """Mirror vertically: ``y -> height - 1 - y``."""
    out = _check(ev).clone()
    out[:, Y] = height - 1 - out[:, Y]
    return out


def merge_polarity(ev: torch.Tensor) -> torch.Tensor:
    """Set every polarity to 0 (one channel)."""
    out = _check(ev).clone()
    out[:, P] = 0
    return out


class Compose:
    """Apply transforms in order.

    Args:
        transforms: callables, each mapping its input to the next one's.

    Examples:
        >>> ev = torch.tensor([[0, 3, 1, 1]])
        >>> Compose([lambda e: flip_lr(e, 4), merge_polarity])(ev).tolist()
        [[0, 0, 1, 0]]
    """

    def __init__(self, transforms: Sequence[Callable[[torch.Tensor], torch.Tensor]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Apply every transform to ``x`` in turn."""
        for f in self.transforms:
            x = f(x)
        return x
