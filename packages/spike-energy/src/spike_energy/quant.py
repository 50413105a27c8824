"""Small quantisers for exploring the Bit Budget: weights and ternary spikes.

spike-energy depends only on spike-core, so these are self-contained; spike-quant holds the full
quantisation toolkit.
"""

from __future__ import annotations

import torch

from spike_core._validation import check_floating

__all__ = ["quantize_weight", "ternary_spike"]


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(_ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return torch.round(x)

    @staticmethod
    def backward(_ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return grad


class _SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(_ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(_ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return grad


def quantize_weight(w: torch.Tensor, bits: int, *, per_channel: bool = False) -> torch.Tensor:
    """Uniform symmetric fake-quantisation with a straight-through gradient.

    ``bits == 1``: ``sign(w) * alpha`` with ``alpha = mean|w|``. ``bits >= 2``: levels
    ``-(2^(b-1) - 1) .. 2^(b-1) - 1`` times ``scale = max|w| / (2^(b-1) - 1)``.

    Args:
        w: weights ``[C_out, ...]``.
        bits: 1, 2, 4 or 8 (any positive int is accepted).
        per_channel: one scale per output channel (dim 0) instead of one per tensor.

    Returns:
        The quantised weights, same shape and dtype.

    Examples:
        >>> quantize_weight(torch.tensor([1.0, -0.2, 0.6]), 2).abs().tolist()
        [1.0, 0.0, 1.0]
    """
    check_floating(w, "w")
    if not isinstance(bits, int) or bits < 1:
        raise ValueError(f"bits must be a positive int, got {bits!r}")
    dims = tuple(range(1, w.dim())) if per_channel and w.dim() > 1 else None
    absw = w.abs()
    if bits == 1:
        alpha = absw.mean(dim=dims, keepdim=True) if dims else absw.mean()
        return _SignSTE.apply(w) * alpha.detach()
    qmax = 2 ** (bits - 1) - 1
    amax = absw.amax(dim=dims, keepdim=True) if dims else absw.max()
    scale = (amax / qmax).clamp_min(torch.finfo(w.dtype).tiny).detach()
    return _RoundSTE.apply(w / scale).clamp(-qmax, qmax) * scale


def ternary_spike(x: torch.Tensor, theta: float = 1.0) -> torch.Tensor:
    """Ternary spikes ``{-1, 0, 1}``: ``+1`` where ``x >= theta``, ``-1`` where ``x <= -theta``.

    Args:
        x: membrane values, any shape (time-major ``[T, B, ...]`` in models).
        theta: threshold (positive).

    Returns:
        Spikes in ``x``'s dtype and shape.

    Examples:
        >>> ternary_spike(torch.tensor([1.2, 0.3, -1.5])).tolist()
        [1.0, 0.0, -1.0]
    """
    check_floating(x, "x")
    if not theta > 0:
        raise ValueError(f"theta must be positive, got {theta!r}")
    return (x >= theta).to(x.dtype) - (x <= -theta).to(x.dtype)
