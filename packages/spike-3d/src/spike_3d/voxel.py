"""Spike Voxel Coding, data side: point clouds to sparse voxel tensors.

:func:`voxelize` follows the E-3DSNN ModelNet40 pipeline (``GridSample``): ``g = floor(p / s)``,
``g - min(g)`` per sample, one point kept per occupied voxel. :func:`voxelize_in_range` follows the
KITTI detection pipeline (fixed range, at most ``max_points_per_voxel`` points, mean features).
The spiking stem (:class:`~spike_3d.SpikeStem`) turns either into integer spikes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from spike_3d.sparse import SparseVoxelTensor
from spike_core._validation import check_tensor

__all__ = ["check_points", "grid_sample", "voxelize", "voxelize_in_range"]

_MODES = ("random", "first", "mean")
_OUT_OF_RANGE = ("drop", "clip", "error")


def check_points(points: object, name: str = "points", min_channels: int = 3) -> torch.Tensor:
    """Validate one point cloud ``[N, C]`` (``C >= 3``; ``x, y, z`` first); return it.

    Raises:
        TypeError: for a non-tensor or non-floating dtype.
        ValueError: for a wrong rank, too few channels, no points, or NaN/inf values.
    """
    p = check_tensor(points, name)
    if not p.is_floating_point():
        raise TypeError(f"{name} must be floating point, got dtype {p.dtype}")
    if p.dim() != 2 or p.shape[1] < min_channels:
        raise ValueError(
            f"{name} must be [N, C>={min_channels}] (x, y, z first), got shape {tuple(p.shape)}"
        )
    if p.shape[0] == 0:
        raise ValueError(f"{name} is an empty point cloud (0 points)")
    if not bool(torch.isfinite(p).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return p


def _check_grid_size(grid_size: float | Sequence[float]) -> torch.Tensor:
    g = torch.as_tensor(grid_size, dtype=torch.float64).flatten()
    if g.numel() == 1:
        g = g.expand(3)
    if g.numel() != 3 or not bool(torch.isfinite(g).all()) or bool((g <= 0).any()):
        raise ValueError(
            f"grid_size (voxel size) must be > 0 (one value or three), got {grid_size!r}"
        )
    return g


def grid_sample(
    coords: torch.Tensor,
    grid_size: float | Sequence[float],
    *,
    mode: str = "random",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keep one point per occupied voxel.

    Args:
        coords: ``[N, 3]`` point coordinates (finite).
        grid_size: voxel edge (``> 0``), one value or one per axis.
        mode: ``"random"`` (the point kept is drawn at random, as the reference ``mode="train"``),
            ``"first"`` (the lowest index) or ``"mean"`` (kept index is the first; see
            :func:`voxelize` for averaging).
        generator: random source for ``"random"``.

    Returns:
        ``(keep, grid_coord, inverse)``: ``keep [M]`` indices of kept points, ``grid_coord
        [M, 3]`` their voxel (``>= 0``, each axis' minimum is 0) and ``inverse [N]`` the voxel
        of every input point.
    """
    check_points(coords, "coords")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    g = torch.floor(coords[:, :3].double() / _check_grid_size(grid_size).to(coords.device)).long()
    g = g - g.min(0).values
    span = g.max(0).values + 1
    key = (g[:, 0] * span[1] + g[:, 1]) * span[2] + g[:, 2]
    _, inverse = torch.unique(key, return_inverse=True)
    n = key.numel()
    m = int(inverse.max()) + 1
    order = torch.arange(n, device=coords.device)
    rank = torch.randperm(n, generator=generator).to(coords.device) if mode == "random" else order
    best = torch.full((m,), n, dtype=torch.long, device=coords.device)
    best = best.scatter_reduce(0, inverse, rank, reduce="amin")
    keep = order[torch.argsort(rank)][best] if mode == "random" else best
    return keep, g[keep], inverse


def voxelize(
    points: Sequence[torch.Tensor],
    features: Sequence[torch.Tensor] | None = None,
    *,
    grid_size: float | Sequence[float] = 0.01,
    mode: str = "random",
    generator: torch.Generator | None = None,
    time_steps: int = 1,
) -> SparseVoxelTensor:
    """Batch point clouds into a :class:`SparseVoxelTensor` (one site per occupied voxel).

    Args:
        points: ``B`` clouds ``[N_b, >=3]`` (``x, y, z`` first).
        features: optional per-point features ``[N_b, C]``; default: the full ``points`` rows
            (``[x, y, z, nx, ny, nz]`` for ModelNet40 with normals).
        grid_size: voxel edge (``> 0``).
        mode: which point represents a voxel: ``"random"``, ``"first"``, or ``"mean"`` (average of
            the voxel's features).
        generator: random source.
        time_steps: ``T``; features are repeated over time (direct encoding).

    Returns:
        The sparse tensor: features ``[T, N, C]``, coords ``(b, gx, gy, gz)``, spatial shape the
        per-axis maximum over the batch plus one.

    Raises:
        ValueError: for an empty batch or cloud, NaN coordinates, ``grid_size <= 0``, or
            mismatched features.
    """
    if len(points) == 0:
        raise ValueError("points must hold at least one point cloud")
    if features is not None and len(features) != len(points):
        raise ValueError(f"features has {len(features)} entries, points has {len(points)}")
    coords, feats = [], []
    for b, p in enumerate(points):
        check_points(p, f"points[{b}]")
        f = p if features is None else features[b]
        if f.dim() != 2 or f.shape[0] != p.shape[0]:
            raise ValueError(f"features[{b}] must be [{p.shape[0]}, C], got {tuple(f.shape)}")
        keep, g, inverse = grid_sample(p, grid_size, mode=mode, generator=generator)
        if mode == "mean":
            total = f.new_zeros(keep.numel(), f.shape[1]).index_add_(0, inverse, f)
            count = torch.bincount(inverse, minlength=keep.numel()).to(f).unsqueeze(1)
            feats.append(total / count)
        else:
            feats.append(f[keep])
        coords.append(torch.cat([g.new_full((g.shape[0], 1), b), g], 1))
    c = torch.cat(coords)
    shape = tuple(int(v) + 1 for v in c[:, 1:].max(0).values)
    f = torch.cat(feats).unsqueeze(0)
    x = SparseVoxelTensor(f, c, shape, len(points), validate=False)  # type: ignore[arg-type]
    return x.repeat_time(time_steps) if time_steps != 1 else x


def voxelize_in_range(
    points: Sequence[torch.Tensor],
    *,
    voxel_size: Sequence[float],
    point_range: Sequence[float],
    max_points_per_voxel: int = 5,
    max_voxels: int | None = None,
    out_of_range: str = "drop",
    reverse_axes: bool = False,
) -> SparseVoxelTensor:
    """Voxelise clouds on a fixed grid with mean voxel features (KITTI ``MeanVFE``).

    Args:
        points: ``B`` clouds ``[N_b, C]`` (``x, y, z`` first, e.g. ``x, y, z, intensity``).
        voxel_size: ``(sx, sy, sz) > 0`` (KITTI: ``0.05, 0.05, 0.1``).
        point_range: ``(x0, y0, z0, x1, y1, z1)`` (KITTI: ``0, -40, -3, 70.4, 40, 1``).
        max_points_per_voxel: points averaged per voxel (the first ones in input order).
        max_voxels: keep at most this many voxels per cloud (lowest linear keys first).
        out_of_range: ``"drop"`` points outside the range, ``"clip"`` them onto its border, or
            raise (``"error"``).
        reverse_axes: order the grid ``(z, y, x)`` as OpenPCDet does (sparse shape ``[41, 1600,
            1408]`` for KITTI: the z axis gets one extra cell).

    Returns:
        Sparse tensor with ``T = 1`` and ``C`` channels.

    Raises:
        ValueError: for bad sizes/ranges, NaN points, an empty cloud, or (``"error"``) points
            outside the range.
    """
    vs = _check_grid_size(voxel_size)
    rng = torch.as_tensor(point_range, dtype=torch.float64).flatten()
    if rng.numel() != 6 or not bool((rng[3:] > rng[:3]).all()):
        raise ValueError(
            f"point_range must be (x0, y0, z0, x1, y1, z1) with x1 > x0 etc., got {point_range!r}"
        )
    if out_of_range not in _OUT_OF_RANGE:
        raise ValueError(f"out_of_range must be one of {_OUT_OF_RANGE}, got {out_of_range!r}")
    if not isinstance(max_points_per_voxel, int) or max_points_per_voxel < 1:
        raise ValueError(
            f"max_points_per_voxel must be a positive int, got {max_points_per_voxel!r}"
        )
    grid = torch.round((rng[3:] - rng[:3]) / vs).long()
    coords, feats = [], []
    for b, cloud in enumerate(points):
        p = check_points(cloud, f"points[{b}]")
        xyz = p[:, :3].double()
        lo, hi = rng[:3].to(p.device), rng[3:].to(p.device)
        inside = ((xyz >= lo) & (xyz < hi)).all(1)
        if out_of_range == "error" and not bool(inside.all()):
            raise ValueError(
                f"points[{b}] has {int((~inside).sum())} points outside point_range {rng.tolist()}"
            )
        if out_of_range == "drop":
            p, xyz = p[inside], xyz[inside]
        g = torch.floor((xyz - lo) / vs.to(p.device)).long()
        g = torch.minimum(g.clamp(min=0), grid.to(p.device) - 1)
        if p.shape[0] == 0:
            continue
        key = (g[:, 0] * grid[1] + g[:, 1]) * grid[2] + g[:, 2]
        uniq, inverse = torch.unique(key, return_inverse=True)
        order = torch.argsort(inverse, stable=True)
        first = torch.searchsorted(inverse[order], torch.arange(uniq.numel(), device=p.device))
        rank = torch.empty_like(order)
        rank[order] = torch.arange(order.numel(), device=p.device) - first[inverse[order]]
        sel = rank < max_points_per_voxel
        total = p.new_zeros(uniq.numel(), p.shape[1]).index_add_(0, inverse[sel], p[sel])
        count = torch.bincount(inverse[sel], minlength=uniq.numel()).to(p).unsqueeze(1)
        f = total / count
        vg = torch.stack(
            [uniq // (grid[1] * grid[2]), (uniq // grid[2]) % grid[1], uniq % grid[2]], 1
        )
        if max_voxels is not None:
            vg, f = vg[:max_voxels], f[:max_voxels]
        if reverse_axes:
            vg = vg.flip(1)
        coords.append(torch.cat([vg.new_full((vg.shape[0], 1), b), vg], 1))
        feats.append(f)
    if not coords:
        raise ValueError("no point of any cloud lies inside point_range")
    shape = tuple(int(v) for v in grid)
    if reverse_axes:
        shape = (shape[2] + 1, shape[1], shape[0])
    return SparseVoxelTensor(torch.cat(feats).unsqueeze(0), torch.cat(coords), shape, len(points))  # type: ignore[arg-type]
