"""kNN grouping, group gather and PointMLP-style anchor standardisation."""

from __future__ import annotations

import torch
from torch import nn

from spike_core._validation import check_rank
from spike_core.points.sampling import fps

__all__ = ["LocalGrouper", "group", "knn", "standardize_groups"]


def knn(query: torch.Tensor, xyz: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` nearest points of ``xyz`` to every query, by squared distance.

    Args:
        query: ``[B, M, D]`` query coordinates.
        xyz: ``[B, N, D]`` point coordinates.
        k: neighbours per query, ``1 <= k <= N``.

    Returns:
        ``[B, M, k]`` int64 indices in ascending distance (ties: lower index first), so a
        query that is itself in ``xyz`` is its own first neighbour.

    Examples:
        >>> pts = torch.tensor([[[0.0], [3.0], [1.0]]])
        >>> knn(pts[:, :1], pts, 2).tolist()
        [[[0, 2]]]
    """
    check_rank(query, "query", 3, "[B, M, D]")
    check_rank(xyz, "xyz", 3, "[B, N, D]")
    if query.shape[0] != xyz.shape[0] or query.shape[2] != xyz.shape[2]:
        raise ValueError(
            f"query {tuple(query.shape)} and xyz {tuple(xyz.shape)} disagree on B or D"
        )
    N = xyz.shape[1]
    if not 1 <= k <= N:
        raise ValueError(f"k must be in [1, N={N}], got {k}")
    d = ((query.unsqueeze(2) - xyz.unsqueeze(1)) ** 2).sum(-1)  # [B, M, N]
    return torch.sort(d, dim=-1, stable=True).indices[..., :k]


def group(feat: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Gather per-group features.

    Args:
        feat: ``[B, N, C]`` features.
        idx: ``[B, M, K]`` (or ``[B, M]``) indices into ``N``.

    Returns:
        ``[B, M, K, C]`` (or ``[B, M, C]``).
    """
    check_rank(feat, "feat", 3, "[B, N, C]")
    if idx.shape[0] != feat.shape[0]:
        raise ValueError(f"idx batch {idx.shape[0]} != feat batch {feat.shape[0]}")
    B = feat.shape[0]
    flat = idx.reshape(B, -1)
    out = torch.gather(feat, 1, flat.unsqueeze(-1).expand(-1, -1, feat.shape[-1]))
    return out.reshape(*idx.shape, feat.shape[-1])


def standardize_groups(
    grouped: torch.Tensor, center: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """Anchor standardisation ``(p_j - c) / (sigma + eps)``.

    ``sigma`` is the unbiased standard deviation of all ``p_j - c`` values of a sample (one
    scalar per sample over its ``M * K * C`` values).

    Args:
        grouped: ``[B, M, K, C]`` neighbour features.
        center: ``[B, M, C]`` group centres.
        eps: added to ``sigma``.

    Returns:
        ``[B, M, K, C]`` standardised relative features.
    """
    rel = grouped - center.unsqueeze(2)
    sigma = rel.reshape(rel.shape[0], -1).std(dim=-1, unbiased=True).reshape(-1, 1, 1, 1)
    return rel / (sigma + eps)


class LocalGrouper(nn.Module):
    """FPS + kNN grouping with anchor standardisation and a learnable affine (``alpha, beta``).

    Centroid and neighbour indices are sorted ascending, which keeps the input order (e.g. event
    time) inside groups.

    Args:
        channels: feature channels ``C``.
        groups: centroids ``M``.
        k: neighbours ``K``.
        start: FPS start index (or ``"random"``).

    Shapes:
        ``forward(xyz [B, N, 3], feat [B, N, C])`` returns ``(centre_xyz [B, M, 3],
        grouped [B, M, K, 2C])``: standardised relative features, then the centroid's own
        features repeated over ``K``.
    """

    def __init__(self, *, channels: int, groups: int, k: int, start: int | str = 0) -> None:
        super().__init__()
        self.groups, self.k, self.start = groups, k, start
        self.alpha = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, xyz: torch.Tensor, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Group ``feat`` around FPS centroids of ``xyz``; see the class docstring for shapes."""
        cidx = torch.sort(fps(xyz, self.groups, start=self.start), dim=-1).values
        cxyz = group(xyz, cidx)
        nidx = torch.sort(knn(cxyz, xyz, self.k), dim=-1).values
        center = group(feat, cidx)
        rel = standardize_groups(group(feat, nidx), center) * self.alpha + self.beta
        rep = center.unsqueeze(2).expand(-1, -1, self.k, -1)
        return cxyz, torch.cat([rel, rep], dim=-1)
