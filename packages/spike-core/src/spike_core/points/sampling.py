"""Farthest point sampling."""

from __future__ import annotations

import torch

from spike_core._validation import check_rank

__all__ = ["fps"]


def fps(
    xyz: torch.Tensor,
    m: int,
    *,
    start: int | str | torch.Tensor = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Farthest point sampling of ``m`` indices.

    Each new index maximises the minimum squared distance to those already chosen.

    Args:
        xyz: coordinates ``[B, N, D]`` (``D = 3`` for points).
        m: number of samples, ``1 <= m <= N``.
        start: index of the first sample, a ``[B]`` tensor of per-sample first indices, or
            ``"random"`` (drawn with ``generator``).
        generator: random generator for ``start="random"``.

    Returns:
        ``[B, m]`` int64 indices, no repeats; ties resolve to the lowest index.

    Shapes:
        ``xyz [B, N, D] -> [B, m]``.

    Examples:
        >>> pts = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0.1, 0, 0], [5, 0, 0]]])
        >>> fps(pts, 3).tolist()
        [[0, 3, 1]]
    """
    check_rank(xyz, "xyz", 3, "[B, N, D]")
    B, N, _ = xyz.shape
    if not 1 <= m <= N:
        raise ValueError(f"m must be in [1, N={N}], got {m}")
    idx = torch.empty(B, m, dtype=torch.long, device=xyz.device)
    if isinstance(start, torch.Tensor):
        if start.shape != (B,) or bool(((start < 0) | (start >= N)).any()):
            raise ValueError(f"start tensor must be [B={B}] indices in [0, {N}), got {start}")
        cur = start.to(device=xyz.device, dtype=torch.long)
    elif start == "random":
        cur = torch.randint(0, N, (B,), generator=generator, device="cpu").to(xyz.device)
    elif isinstance(start, int) and 0 <= start < N:
        cur = torch.full((B,), start, dtype=torch.long, device=xyz.device)
    else:
        raise ValueError(f"start must be an index in [0, {N}) or 'random', got {start!r}")
    dist = torch.full((B, N), float("inf"), dtype=xyz.dtype, device=xyz.device)
    rows = torch.arange(B, device=xyz.device)
    for i in range(m):
        idx[:, i] = cur
        d = ((xyz - xyz[rows, cur].unsqueeze(1)) ** 2).sum(-1)
        dist = torch.minimum(dist, d)
        cur = dist.argmax(-1)
    return idx
