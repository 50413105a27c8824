"""Q-SDSA: the quantized spike-driven self-attention of QSD-Transformer, and its QRepConv.

Training form, per head (``d = C / heads``), on ``U`` of shape ``[T, B, C, H, W]``::

    S = IE(U)
    Q = IE(BN(QRepConv(S)));  K = IE(BN(QRepConv(S)));  V = IE(BN(QRepConv(S)))
    A = Q (K^T V) * scale                      # scale = 0.25, no softmax
    O = IE_att(A) = floor(clip(4 A, 0, 4) + 0.5) / 2
    out = BN(QRepConv(O))

``Q``, ``K``, ``V`` are ``[N, d]`` per head with ``N = H W``; ``K^T V`` is ``d x d`` so the cost is
linear in ``N``. With integer counts ``q = 4Q`` etc. every product is an integer; at inference the
counts become binary spikes over virtual steps and ``K^T V`` accumulates over every pair of them
(:func:`spike_driven_attention`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from spike_core import SeqToBatch, expand_to_binary
from spike_core._validation import check_rank
from spike_quant.layers import QConv2d
from spike_quant.neurons import IELIF, IEAttLIF

__all__ = ["QSDSA", "BNAndPad", "QRepConv", "spike_driven_attention"]


class BNAndPad(nn.Module):
    """BatchNorm, then pad every side with the BN of zero (RepConv's re-parameterizable padding).

    Args:
        num_features: channels.
        pad: pixels of padding per side.

    Shapes:
        input ``[N, C, H, W]``, output ``[N, C, H + 2 pad, W + 2 pad]``.
    """

    def __init__(self, *, num_features: int, pad: int = 1) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features)
        self.pad = int(pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize and pad with ``beta - mean * gamma / sqrt(var + eps)`` per channel."""
        y = self.bn(x)
        if self.pad == 0:
            return y
        if self.bn.training or self.bn.running_mean is None or self.bn.running_var is None:
            mean = x.mean(dim=(0, 2, 3)).detach()
            var = x.var(dim=(0, 2, 3), unbiased=False).detach()
        else:
            mean, var = self.bn.running_mean, self.bn.running_var
        value = self.bn.bias - mean * self.bn.weight / torch.sqrt(var + self.bn.eps)
        y = F.pad(y, [self.pad] * 4)
        border = torch.ones_like(y[:1, :1])
        border[..., self.pad : -self.pad, self.pad : -self.pad] = 0
        return y + border * value.view(1, -1, 1, 1)


class QRepConv(nn.Sequential):
    """Quantized RepConv: ``QConv1x1 -> BNAndPad -> QDWConv3x3 -> QConv1x1 -> BN`` (bias-free).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        w_bits: weight bits of the three convolutions.
        act_params: add QSD's dead activation-quantizer parameters.

    Shapes:
        input ``[N, C_in, H, W]``, output ``[N, C_out, H, W]`` (fold time with ``SeqToBatch``).
    """

    def __init__(
        self, *, in_channels: int, out_channels: int, w_bits: int = 4, act_params: bool = False
    ) -> None:
        c = in_channels
        q: dict[str, Any] = {"w_bits": w_bits, "act_params": act_params, "bias": False}
        super().__init__(
            QConv2d(in_channels=c, out_channels=c, kernel_size=1, **q),
            BNAndPad(num_features=c, pad=1),
            QConv2d(in_channels=c, out_channels=c, kernel_size=3, groups=c, **q),
            QConv2d(in_channels=c, out_channels=out_channels, kernel_size=1, **q),
            nn.BatchNorm2d(out_channels),
        )


def _qkv_branch(dim: int, w_bits: int, act_params: bool) -> nn.Module:
    return SeqToBatch(
        nn.Sequential(
            QRepConv(in_channels=dim, out_channels=dim, w_bits=w_bits, act_params=act_params),
            nn.BatchNorm2d(dim),
        )
    )


class QSDSA(nn.Module):
    """Quantized spike-driven self-attention (QSD-Transformer), training form.

    Args:
        dim: channels ``C`` (divisible by ``num_heads``).
        num_heads: heads (8 in QSD).
        scale: attention scale (0.25 in QSD).
        w_bits: weight bits of every convolution.
        levels: IE-LIF levels ``D``.
        act_params: add QSD's dead activation-quantizer parameters (exact QSD counts).

    Shapes:
        input ``[T, B, C, H, W]`` (membrane-shortcut input ``U``), output ``[T, B, C, H, W]``.

    Examples:
        >>> attn = QSDSA(dim=16, num_heads=2)
        >>> attn(torch.randn(1, 2, 16, 4, 4)).shape
        torch.Size([1, 2, 16, 4, 4])
    """

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int = 8,
        scale: float = 0.25,
        w_bits: int = 4,
        levels: int = 4,
        act_params: bool = False,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim ({dim}) must be divisible by num_heads ({num_heads})")
        self.dim, self.num_heads, self.scale = dim, num_heads, float(scale)
        self.head_lif = IELIF(levels=levels)
        self.q_conv = _qkv_branch(dim, w_bits, act_params)
        self.k_conv = _qkv_branch(dim, w_bits, act_params)
        self.v_conv = _qkv_branch(dim, w_bits, act_params)
        self.q_lif, self.k_lif, self.v_lif = (IELIF(levels=levels) for _ in range(3))
        self.attn_lif = IEAttLIF(levels=levels)
        self.proj_conv = _qkv_branch(dim, w_bits, act_params)
        self.last_qkv: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self.record_qkv = False

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        T, B, C, H, W = x.shape
        return x.reshape(T, B, self.num_heads, C // self.num_heads, H * W).transpose(-1, -2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Q-SDSA on ``[T, B, C, H, W]``; sets ``last_qkv`` (``[T, B, heads, N, d]``) if recording."""
        check_rank(x, "x", 5, "[T, B, C, H, W]")
        T, B, C, H, W = x.shape
        s = self.head_lif(x)
        q = self._heads(self.q_lif(self.q_conv(s)))
        k = self._heads(self.k_lif(self.k_conv(s)))
        v = self._heads(self.v_lif(self.v_conv(s)))
        if self.record_qkv:
            self.last_qkv = (q, k, v)
        attn = q @ (k.transpose(-1, -2) @ v) * self.scale  # [T, B, h, N, d]
        out = attn.transpose(-1, -2).reshape(T, B, C, H, W)
        return self.proj_conv(self.attn_lif(out))


def spike_driven_attention(
    q_counts: torch.Tensor, k_counts: torch.Tensor, v_counts: torch.Tensor, levels: int = 4
) -> torch.Tensor:
    """``q (k^T v)`` computed from binary spikes only: every count expanded over virtual steps.

    ``k^T v`` accumulates over all ``D x D`` pairs of binary K and V virtual steps (additions
    only), then each of Q's ``D`` binary steps mask-accumulates rows. The result equals the
    integer product ``q @ (k^T @ v)`` of the counts exactly.

    Args:
        q_counts: integer counts ``[..., N, d]`` in ``[0, levels]``.
        k_counts: integer counts ``[..., N, d]``.
        v_counts: integer counts ``[..., N, d]``.
        levels: ``D``.

    Returns:
        ``[..., N, d]`` integer-valued tensor in the counts' dtype.
    """
    qb, kb, vb = (expand_to_binary(t, levels) for t in (q_counts, k_counts, v_counts))
    kv = torch.zeros_like(k_counts.transpose(-1, -2) @ v_counts)
    for i in range(levels):
        for j in range(levels):
            kv = kv + kb[i].transpose(-1, -2) @ vb[j]
    out = torch.zeros_like(q_counts)
    for i in range(levels):
        out = out + qb[i] @ kv
    return out
