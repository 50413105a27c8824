"""Rate coding of values in [0, 1] and the treatments of signed values before coding."""

from __future__ import annotations

import warnings

import torch

__all__ = ["rate_code", "signed_to_rate"]

_MODES = ("signed_split", "abs", "abs_min")


def rate_code(x: torch.Tensor, T: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Bernoulli rate coding: ``T`` steps of spikes with ``P(spike) = x``.

    Values outside ``[0, 1]`` are clamped with a ``UserWarning`` saying how many.

    Args:
        x: values, any shape.
        T: time steps.
        generator: seeded generator (on ``x``'s device) for reproducible spikes.

    Returns:
        ``[T, *x.shape]`` spikes in ``x``'s dtype (time-major).

    Examples:
        >>> rate_code(torch.tensor([0.0, 1.0]), 3).tolist()
        [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    """
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    bad = int(((x < 0) | (x > 1)).sum())
    if bad:
        warnings.warn(f"rate_code clamped {bad} values outside [0, 1]", stacklevel=2)
    p = x.clamp(0, 1)
    u = torch.rand((T, *x.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (u < p).to(x.dtype)


def signed_to_rate(
    delta: torch.Tensor, mode: str = "abs_min", *, grouped_xyz: torch.Tensor | None = None
) -> torch.Tensor:
    """Make signed relative features codable as rates.

    Args:
        delta: ``[..., C]`` signed values (e.g. standardised relative coordinates).
        mode: ``"signed_split"`` (channels ``relu(delta)``, ``relu(-delta)``: ``2C``),
            ``"abs"`` (``|delta|``: ``C``) or ``"abs_min"`` (``|delta|`` plus the group's
            minimum corner from ``grouped_xyz [..., K, D]`` repeated over ``K``: ``C + D``).
        grouped_xyz: absolute coordinates of the group members, for ``"abs_min"``.

    Returns:
        Non-negative features ``[..., C']``.
    """
    if mode == "signed_split":
        return torch.cat([torch.relu(delta), torch.relu(-delta)], dim=-1)
    if mode == "abs":
        return delta.abs()
    if mode == "abs_min":
        if grouped_xyz is None:
            raise ValueError("mode 'abs_min' needs grouped_xyz [..., K, D]")
        corner = grouped_xyz.amin(dim=-2, keepdim=True).expand_as(grouped_xyz)
        return torch.cat([delta.abs(), corner], dim=-1)
    raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
