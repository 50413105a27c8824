"""Point-cloud preprocessing: normalisation, augmentation and farthest point sampling.

Farthest point sampling is implemented here for the ModelNet40 pipeline; the batched point
operators for SpikePoint live in spike-core (this copy is deliberate, see the package docs).
"""

from __future__ import annotations

import math

import torch

from spike_3d.voxel import check_points

__all__ = [
    "farthest_point_sample",
    "normalize_coord",
    "random_rotate",
    "random_scale",
    "random_shift",
]


def normalize_coord(points: torch.Tensor) -> torch.Tensor:
    """Centre ``x, y, z`` on the centroid and scale to the unit sphere (other channels kept).

    Args:
        points: ``[N, C]`` with ``x, y, z`` first.

    Returns:
        ``[N, C]``: coordinates with zero mean and maximum point norm 1.

    Raises:
        ValueError: for an empty cloud, NaN values, or all points identical.
    """
    check_points(points)
    xyz = points[:, :3] - points[:, :3].mean(0)
    r = xyz.norm(dim=1).max()
    if not bool(r > 0):
        raise ValueError("points are all identical; cannot normalise to the unit sphere")
    return torch.cat([xyz / r, points[:, 3:]], 1)


def random_scale(
    points: torch.Tensor,
    low: float = 0.9,
    high: float = 1.1,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Scale ``x, y, z`` by one factor drawn uniformly from ``[low, high]``.

    Args:
        points: ``[N, C]``.
        low: smallest factor.
        high: largest factor.
        generator: random source.

    Returns:
        ``[N, C]``.
    """
    s = low + (high - low) * float(torch.rand((), generator=generator))
    return torch.cat([points[:, :3] * s, points[:, 3:]], 1)


def random_shift(
    points: torch.Tensor, shift: float = 0.2, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Translate ``x, y, z`` by a uniform offset in ``[-shift, shift]`` per axis.

    Args:
        points: ``[N, C]``.
        shift: half-width of the offset range.
        generator: random source.

    Returns:
        ``[N, C]``.
    """
    d = (torch.rand(3, generator=generator) * 2 - 1) * shift
    return torch.cat([points[:, :3] + d.to(points), points[:, 3:]], 1)


def _rotation(generator: torch.Generator | None) -> torch.Tensor:
    q = torch.randn(4, generator=generator, dtype=torch.float64)
    w, x, y, z = (q / q.norm()).tolist()
    return torch.tensor(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def random_rotate(
    points: torch.Tensor, *, axis: str | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Rotate ``x, y, z`` (and normals in channels 3..5 when present) at random.

    Args:
        points: ``[N, 3]`` or ``[N, 6]`` (``x, y, z, nx, ny, nz``) or more channels.
        axis: ``None`` for a uniform random 3D rotation, or ``"x"``, ``"y"``, ``"z"`` for a random
            angle about that axis.
        generator: random source.

    Returns:
        ``[N, C]``.
    """
    if axis is None:
        R = _rotation(generator)
    elif axis in ("x", "y", "z"):
        a = 2 * math.pi * float(torch.rand((), generator=generator))
        c, s = math.cos(a), math.sin(a)
        i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
        R = torch.eye(3, dtype=torch.float64)
        R[i, i], R[i, j], R[j, i], R[j, j] = c, -s, s, c
    else:
        raise ValueError(f"axis must be None, 'x', 'y' or 'z', got {axis!r}")
    R = R.to(points)
    parts = [points[:, :3] @ R.T]
    if points.shape[1] >= 6:
        parts += [points[:, 3:6] @ R.T, points[:, 6:]]
    else:
        parts.append(points[:, 3:])
    return torch.cat(parts, 1)


def farthest_point_sample(
    xyz: torch.Tensor,
    num_samples: int,
    *,
    start: int | None = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Farthest point sampling.

    Iteratively picks the point that maximises the squared distance to the chosen set.

    Args:
        xyz: ``[N, 3+]`` (one cloud) or ``[B, N, 3+]``; only ``x, y, z`` are used.
        num_samples: ``M <= N``.
        start: index of the first point, or ``None`` for a random start.
        generator: random source for a random start.

    Returns:
        ``[M]`` or ``[B, M]`` int64 indices, never repeating.

    Raises:
        ValueError: when ``M > N``, ``M < 1``, or for NaN coordinates.
    """
    single = xyz.dim() == 2
    pts = xyz.unsqueeze(0) if single else xyz
    if pts.dim() != 3 or pts.shape[-1] < 3:
        raise ValueError(f"xyz must be [N, 3] or [B, N, 3], got shape {tuple(xyz.shape)}")
    B, N, _ = pts.shape
    if not isinstance(num_samples, int) or not 1 <= num_samples <= N:
        raise ValueError(f"num_samples must be an int in [1, {N}], got {num_samples!r}")
    if not bool(torch.isfinite(pts).all()):
        raise ValueError("xyz contains NaN or infinite values")
    p = pts[..., :3]
    idx = torch.empty(B, num_samples, dtype=torch.long, device=p.device)
    if start is None:
        cur = torch.randint(0, N, (B,), generator=generator).to(p.device)
    else:
        if not 0 <= start < N:
            raise ValueError(f"start must be in [0, {N}), got {start}")
        cur = torch.full((B,), start, dtype=torch.long, device=p.device)
    dist = torch.full((B, N), float("inf"), dtype=p.dtype, device=p.device)
    rows = torch.arange(B, device=p.device)
    for m in range(num_samples):
        idx[:, m] = cur
        d = (p - p[rows, cur].unsqueeze(1)).square().sum(-1)
        dist = torch.minimum(dist, d)
        cur = dist.argmax(1)
    return idx[0] if single else idx
