"""Chunked scatter kernels behind :func:`spike_cam.to_frames` and :func:`spike_cam.voxel_grid`.

The ``[N, 4]`` event tensor is row-major, so each column is a strided view and every eager
pass over a column streams the whole tensor through memory. On CPU the events are therefore
processed in chunks of :data:`CHUNK` rows that stay in cache: the coordinate check, the flat
index ``(p * H + y) * W + x`` and the time weights all read the same cached rows, and one
``index_add_`` per chunk accumulates them. Time-sorted events make each time bin a contiguous
run, found by a binary search on the (strided) time column; a chunk that straddles bins gets
per-event bin ids from the run lengths. On other devices the whole stream is one chunk.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
import torch

T, X, Y, P = 0, 1, 2, 3
CHUNK = 1 << 14  # rows per chunk: 512 KiB of int64 events, well inside L2


def searchsorted_strided(t: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Left insertion points of ``values`` in the sorted 1-D ``t``, without copying ``t``.

    ``torch.searchsorted`` copies a non-contiguous sequence (the time column of ``[N, 4]``
    events is one), a full pass for a handful of edges; this vectorised binary search reads
    ``O(len(values) log N)`` elements.

    Args:
        t: ``[N]`` non-decreasing, any stride.
        values: ``[M]`` query values (same device).

    Returns:
        ``[M]`` int64: for each value, the number of elements of ``t`` below it.
    """
    n = t.shape[0]
    lo = torch.zeros(values.shape, dtype=torch.int64, device=t.device)
    hi = torch.full(values.shape, n, dtype=torch.int64, device=t.device)
    if n == 0:
        return lo
    for _ in range(n.bit_length() + 1):
        active = lo < hi
        mid = (lo + hi) // 2
        go = active & (t[mid.clamp(max=n - 1)] < values)
        lo = torch.where(go, mid + 1, lo)
        hi = torch.where(active & ~go, mid, hi)
    return lo


def _first_bad(col: torch.Tensor, limit: int) -> int:
    bad = torch.nonzero((col < 0) | (col >= limit))
    return int(bad[0, 0])


class _CoordCheck:
    """Range check of x, y (and p) against the sensor, raising ``ValueError`` at the first bad event.

    On CPU (int64 events) it runs per chunk through unsigned NumPy views of the columns (one
    SIMD max per column on strided data, which also pulls the chunk into cache for the index
    computation); otherwise once over the whole tensor.
    """

    def __init__(self, ev: torch.Tensor, W: int, H: int, *, polarity: bool) -> None:
        self.ev = ev
        self.limits = [(X, "x", W), (Y, "y", H)] + ([(P, "p", 2)] if polarity else [])
        # seen as unsigned, a negative value is huge: one max per column checks both ends
        cpu64 = chunked(ev.device) and ev.dtype == torch.int64
        self.np = ev.numpy().view(np.uint64) if cpu64 else None
        if self.np is None and len(ev):
            cols = ev[:, [c for c, _, _ in self.limits]]
            lo, hi = cols.amin(0).tolist(), cols.amax(0).tolist()
            if min(lo) < 0 or any(h >= lim for h, (_, _, lim) in zip(hi, self.limits, strict=True)):
                self._raise(0, len(ev))

    def __call__(self, s: int, e: int) -> None:
        if self.np is None:
            return
        a = self.np[s:e]
        for c, _, lim in self.limits:
            if a[:, c].max() >= lim:
                self._raise(s, e)

    def _raise(self, s: int, e: int) -> None:
        for c, name, lim in self.limits:
            col = self.ev[s:e, c]
            if bool(((col < 0) | (col >= lim)).any()):
                i = s + _first_bad(col, lim)
                v = int(self.ev[i, c])
                kind = "polarity" if name == "p" else "coordinate"
                raise ValueError(
                    f"events: event {i} has {name}={v}, outside the sensor's {kind} range "
                    f"[0, {lim})"
                )


def _run_ids(bounds: torch.Tensor, kb: int, ke: int, s: int, e: int) -> torch.Tensor:
    """Bin id of each event ``s .. e-1``, given bin runs ``bounds`` and the first/last bins."""
    edges = bounds[kb : ke + 2].clamp(min=s, max=e)
    counts = edges[1:] - edges[:-1]
    ids = torch.arange(kb, ke + 1, device=bounds.device)
    return torch.repeat_interleave(ids, counts, output_size=e - s)


def chunked(device: torch.device) -> bool:
    """Whether to stream cache-sized chunks (CPU) rather than the whole tensor at once."""
    return device.type == "cpu"


def _chunks(n: int, device: torch.device) -> range:
    step = CHUNK if chunked(device) else max(n, 1)
    return range(0, n, step)


def _pixel_index(
    ev: torch.Tensor, s: int, e: int, W: int, H: int, polarity: bool, out: torch.Tensor
) -> torch.Tensor:
    """``(p * H + y) * W + x`` (or ``y * W + x``) of events ``s .. e-1`` into ``out``."""
    idx = torch.add(ev[s:e, X], ev[s:e, Y], alpha=W, out=out[: e - s])
    return idx.add_(ev[s:e, P], alpha=H * W) if polarity else idx


def _bin_of(blist: list[int], i: int) -> int:
    return bisect_right(blist, i) - 1


def accumulate_counts(
    ev: torch.Tensor, W: int, H: int, bounds: torch.Tensor, n_bins: int, *, polarity: bool
) -> torch.Tensor:
    """Event counts per (bin, polarity, pixel).

    Args:
        ev: ``[N, 4]`` time-sorted integer events.
        W: sensor width.
        H: sensor height.
        bounds: ``[n_bins + 1]`` int64 run starts of the bins (``bounds[-1] = N``).
        n_bins: number of bins.
        polarity: separate channels OFF, ON (else one channel).

    Returns:
        ``[n_bins * C * H * W]`` float32, ``C = 2`` with polarity.
    """
    C = 2 if polarity else 1
    plane = C * H * W
    out = torch.zeros(n_bins * plane, dtype=torch.float32, device=ev.device)
    n = len(ev)
    if n == 0:
        return out
    check = _CoordCheck(ev, W, H, polarity=polarity)
    rows = _chunks(n, ev.device)
    buf = torch.empty(min(n, rows.step), dtype=torch.int64, device=ev.device)
    ones = out.new_ones(1).expand(rows.step)
    blist = bounds.tolist()
    for s in rows:
        e = min(n, s + rows.step)
        check(s, e)
        idx = _pixel_index(ev, s, e, W, H, polarity, buf)
        kb, ke = _bin_of(blist, s), _bin_of(blist, e - 1)
        if kb == ke:
            out[kb * plane : (kb + 1) * plane].index_add_(0, idx, ones[: e - s])
        else:
            idx.add_(_run_ids(bounds, kb, ke, s, e), alpha=plane)
            out.index_add_(0, idx, ones[: e - s])
    return out


def accumulate_voxels(ev: torch.Tensor, W: int, H: int, n_bins: int) -> torch.Tensor:
    """Voxel grid (polarity ±1 split bilinearly between the two nearest of ``n_bins`` bins).

    An event at normalised time ``tn = (n_bins - 1) (t - t_0) / (t_N - t_0)`` with lower bin
    ``k`` and weight ``w = tn - k`` adds ``±(1 - w)`` to bin ``k`` and ``±w`` to bin ``k + 1``
    (dropped past the last bin). ``w`` is linear in ``t``, so per cell (lower bin ``k``,
    polarity, pixel) only the count ``C`` and the time sum ``D = sum(t - t_0)`` are scattered,
    both exact in int64 (no per-event float work); the weights' sum is then
    ``S = D (n_bins - 1) / span - k C`` on the small grid, bin ``k`` gets ``C - S`` and bin
    ``k + 1`` gets ``S``, and ON minus OFF gives the signed grid.

    Args:
        ev: ``[N, 4]`` time-sorted integer events (N > 0).
        W: sensor width.
        H: sensor height.
        n_bins: number of bins.

    Returns:
        ``[n_bins, H * W]`` float32.
    """
    n = len(ev)
    t = ev[:, T]
    t0, tl = int(t[0]), int(t[-1])
    span = (tl - t0) or 1
    # time-sorted: the events whose lower bin is b form one run; lower bin b <=> tn >= b
    # <=> t - t0 >= ceil(b * span / (n_bins - 1))
    if n_bins > 1:
        b = torch.arange(n_bins + 1, device=ev.device)
        bounds = searchsorted_strided(t, t0 + (b * span + n_bins - 2) // (n_bins - 1))
    else:
        bounds = torch.tensor([0, n], device=ev.device)
    bounds[-1] = n
    # sums of raw t cannot overflow int64 while n * max|t| < 2^62 (so t - t0 is taken on the
    # small grid); else t - t0 per event, in int64 while n * span < 2^62, else in float64
    raw = n * max(abs(t0), abs(tl)) < 2**62
    dtype = torch.int64 if raw or n * span < 2**62 else torch.float64
    plane = 2 * H * W
    # a cell counts at most n events: int32 (a smaller, faster scatter target) when n < 2^31
    cdtype = torch.int32 if n < 2**31 else torch.int64
    counts = torch.zeros(n_bins * plane, dtype=cdtype, device=ev.device)
    tsum = torch.zeros(n_bins * plane, dtype=dtype, device=ev.device)
    check = _CoordCheck(ev, W, H, polarity=True)
    rows = _chunks(n, ev.device)
    step = min(n, rows.step)
    buf = torch.empty(step, dtype=torch.int64, device=ev.device)
    dbuf = torch.empty(0 if raw else step, dtype=dtype, device=ev.device)
    ones = counts.new_ones(1).expand(rows.step)
    blist = bounds.tolist()
    for s in rows:
        e = min(n, s + rows.step)
        m = e - s
        check(s, e)
        idx = _pixel_index(ev, s, e, W, H, True, buf)
        d = t[s:e] if raw else torch.sub(t[s:e], t0, out=dbuf[:m])
        kb, ke = _bin_of(blist, s), _bin_of(blist, e - 1)
        if kb == ke:
            lo, hi = kb * plane, (kb + 1) * plane
            counts[lo:hi].index_add_(0, idx, ones[:m])
            tsum[lo:hi].index_add_(0, idx, d)
        else:
            idx.add_(_run_ids(bounds, kb, ke, s, e), alpha=plane)
            counts.index_add_(0, idx, ones[:m])
            tsum.index_add_(0, idx, d)
    if raw:
        tsum -= t0 * counts.long()
    c = counts.view(n_bins, plane).to(torch.float64)
    k = torch.arange(n_bins, device=ev.device, dtype=torch.float64).unsqueeze(1)
    wsum = tsum.view(n_bins, plane).to(torch.float64) * ((n_bins - 1) / span) - k * c
    grid = c - wsum
    grid[1:] += wsum[:-1]
    grid = grid.view(n_bins, 2, H * W)
    return (grid[:, 1] - grid[:, 0]).to(torch.float32)
