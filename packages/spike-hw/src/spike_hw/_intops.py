"""Integer tensor operations (int64 only) used inside the fixed-point step loop."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["conv_fan_out_events", "conv_int", "rshift", "scatter_linear"]


def rshift(a: torch.Tensor, bits: int, rounding: str) -> torch.Tensor:
    """``a / 2^bits`` rounded by ``"floor"`` (arithmetic shift) or ``"nearest_even"``.

    Shapes:
        any int64 tensor; output the same shape.
    """
    if bits <= 0:
        return a << (-bits)
    if rounding == "floor":
        return a >> bits
    q = a >> bits
    r = a - (q << bits)
    half = 1 << (bits - 1)
    up = (r > half) | ((r == half) & (q % 2 == 1))
    return q + up.to(torch.int64)


def scatter_linear(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Event-driven ``x @ w.T`` for integer events ``x`` ``[B, in]`` and ``w`` ``[out, in]``.

    Only non-zero entries of ``x`` are visited: event ``(b, j)`` with count ``k`` adds
    ``k * w[:, j]`` to row ``b``.

    Returns:
        ``(acc [B, out] int64, synaptic ACs = sum |k| * out)``.
    """
    b_idx, j_idx = torch.nonzero(x, as_tuple=True)
    vals = x[b_idx, j_idx]
    acc = torch.zeros((x.shape[0], w.shape[0]), dtype=torch.int64)
    if b_idx.numel():
        acc.index_add_(0, b_idx, w.T[j_idx] * vals.unsqueeze(1))
    return acc, int(vals.abs().sum()) * w.shape[0]


def conv_int(
    x: torch.Tensor,
    w: torch.Tensor,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> torch.Tensor:
    """Integer 1-D/2-D cross-correlation (int64 in, int64 out), by kernel-offset accumulation.

    Shapes:
        ``x`` ``[B, C, L]`` or ``[B, C, H, W]``; ``w`` ``[O, C/groups, *k]``; output
        ``[B, O, *L']``.
    """
    one_d = x.dim() == 3
    if one_d:
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        stride, padding, dilation = (1, *stride), (0, *padding), (1, *dilation)
    B, _, H, W = x.shape
    n_out, Cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    xp = F.pad(x, (pw, pw, ph, ph))
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xg = xp.view(B, groups, Cg, xp.shape[2], xp.shape[3])
    wg = w.view(groups, n_out // groups, Cg, kh, kw)
    out = torch.zeros((B, groups, n_out // groups, Ho, Wo), dtype=torch.int64)
    for i in range(kh):
        for j in range(kw):
            patch = xg[
                :,
                :,
                :,
                i * dh : i * dh + sh * (Ho - 1) + 1 : sh,
                j * dw : j * dw + sw * (Wo - 1) + 1 : sw,
            ]
            out += torch.einsum("bgchw,goc->bgohw", patch, wg[..., i, j])
    out = out.view(B, n_out, Ho, Wo)
    return out.squeeze(2) if one_d else out


def conv_fan_out_events(
    x: torch.Tensor,
    out_channels: int,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> int:
    """Synaptic operations of an event-driven conv: ``sum_events |k| * fan_out(event)``.

    Counted as ``sum over outputs of |k|`` within each output's receptive field, times
    ``out_channels / groups`` (the same number, evaluated densely on integers).
    """
    mag = x.abs()
    C = mag.shape[1]
    ones = torch.ones((C, 1, *kernel), dtype=torch.int64)
    per = conv_int(mag, ones, stride, padding, dilation, C)  # per input channel receptive sums
    return int(per.sum()) * (out_channels // groups)
