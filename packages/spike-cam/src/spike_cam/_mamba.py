"""Selective scan (Mamba) in pure torch and a bidirectional Mamba block.

Recurrence per channel ``d`` and state ``n``::

    h_t = exp(delta_t A) h_{t-1} + delta_t B_t x_t,    y_t = C_t . h_t + D x_t
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BiMamba", "RMSNorm", "selective_scan", "selective_scan_parallel"]


def selective_scan(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
) -> torch.Tensor:
    """Reference selective scan.

    Args:
        u: inputs ``[Bt, L, E]``.
        delta: step sizes ``[Bt, L, E]`` (positive).
        A: state matrix ``[E, N]`` (negative for stability).
        B: input projections ``[Bt, L, N]``.
        C: output projections ``[Bt, L, N]``.
        D: skip ``[E]`` or ``None``.

    Returns:
        ``[Bt, L, E]``.
    """
    dA = torch.exp(delta.unsqueeze(-1) * A)  # [Bt, L, E, N]
    dBu = delta.unsqueeze(-1) * B.unsqueeze(2) * u.unsqueeze(-1)
    h = u.new_zeros(u.shape[0], u.shape[2], A.shape[1])
    ys = []
    for t in range(u.shape[1]):
        h = dA[:, t] * h + dBu[:, t]
        ys.append((h * C[:, t].unsqueeze(1)).sum(-1))
    y = torch.stack(ys, dim=1)
    return y + u * D if D is not None else y


def selective_scan_parallel(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
) -> torch.Tensor:
    """The selective scan of :func:`selective_scan` as a parallel (Hillis-Steele) prefix scan.

    The recurrence ``h_t = a_t h_{t-1} + b_t`` (``a_t = exp(delta_t A)``, ``b_t = delta_t B_t
    u_t``) is a prefix scan under the associative ``(a, b) o (a', b') = (a a', a' b + b')``;
    ``ceil(log2 L)`` whole-tensor steps replace the ``L`` Python steps. Only products of
    numbers in ``(0, 1]`` are formed, so it is as stable as the loop.

    Args:
        u: inputs ``[Bt, L, E]``.
        delta: step sizes ``[Bt, L, E]`` (positive).
        A: state matrix ``[E, N]`` (negative for stability).
        B: input projections ``[Bt, L, N]``.
        C: output projections ``[Bt, L, N]``.
        D: skip ``[E]`` or ``None``.

    Returns:
        ``[Bt, L, E]``, equal to :func:`selective_scan` up to rounding.
    """
    a = torch.exp(delta.unsqueeze(-1) * A)  # [Bt, L, E, N]
    b = delta.unsqueeze(-1) * B.unsqueeze(2) * u.unsqueeze(-1)
    step, L = 1, u.shape[1]
    while step < L:
        # shift by `step` along L, padding with the identity element (a = 1, b = 0)
        b = b + a * F.pad(b[:, :-step], (0, 0, 0, 0, step, 0))
        if 2 * step < L:  # the decays are only needed for further steps
            a = a * F.pad(a[:, :-step], (0, 0, 0, 0, step, 0), value=1.0)
        step *= 2
    y = (b * C.unsqueeze(2)).sum(-1)
    return y + u * D if D is not None else y


class RMSNorm(nn.Module):
    """Root-mean-square norm ``x / rms(x) * weight`` over the last axis."""

    def __init__(self, dim: int, *, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``[..., dim]``."""
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class _Direction(nn.Module):
    """Conv1d + projections + scan for one scan direction."""

    def __init__(self, inner: int, d_state: int, d_conv: int, dt_rank: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(inner, inner, d_conv, groups=inner, padding=d_conv - 1)
        self.x_proj = nn.Linear(inner, dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(dt_rank, inner)
        a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(inner, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.D = nn.Parameter(torch.ones(inner))
        self.dt_rank, self.d_state = dt_rank, d_state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        L = x.shape[1]
        xc = F.silu(self.conv(x.transpose(1, 2))[..., :L].transpose(1, 2))  # causal depthwise conv
        dt, Bm, Cm = self.x_proj(xc).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))
        return selective_scan_parallel(xc, delta, -torch.exp(self.A_log), Bm, Cm, self.D)


class BiMamba(nn.Module):
    """Bidirectional Mamba mixer (Vim-style): forward scan plus a scan of the reversed sequence.

    Args:
        dim: model width ``C``.
        d_state: SSM state size.
        d_conv: causal conv width.
        expand: inner width factor.

    Shapes:
        ``[B, L, C] -> [B, L, C]``.
    """

    def __init__(self, dim: int, *, d_state: int = 16, d_conv: int = 4, expand: int = 2) -> None:
        super().__init__()
        inner = expand * dim
        dt_rank = math.ceil(dim / 16)
        self.in_proj = nn.Linear(dim, 2 * inner, bias=False)
        self.fwd = _Direction(inner, d_state, d_conv, dt_rank)
        self.bwd = _Direction(inner, d_state, d_conv, dt_rank)
        self.out_proj = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mix a token sequence ``[B, L, C]``."""
        xi, z = self.in_proj(x).chunk(2, dim=-1)
        y = self.fwd(xi) + self.bwd(xi.flip(1)).flip(1)
        return self.out_proj(y * F.silu(z))
