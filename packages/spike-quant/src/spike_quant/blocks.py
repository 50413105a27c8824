"""QSD-Transformer blocks: layer scale, the quantized channel MLP and the transformer block.

::

    U'  = U  + gamma_1 * QSDSA(U)
    U'' = U' + gamma_2 * MLP(U'),   MLP(U) = BN(QConv1x1_{4C->C}(IE(BN(QConv1x1_{C->4C}(IE(U))))))

``gamma`` is a learnable per-channel layer scale initialised to 1e-6, so a fresh block is a
near-identity.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from spike_core import SeqToBatch
from spike_core._validation import check_rank
from spike_quant.attention import QSDSA
from spike_quant.layers import QConv2d
from spike_quant.neurons import IELIF

__all__ = ["LayerScale", "QChannelMLP", "QSDTransformerBlock"]


class LayerScale(nn.Module):
    """Per-channel learnable scale ``gamma`` on the channel axis of ``[T, B, C, ...]``.

    Args:
        dim: channels.
        init: initial value of every ``gamma`` (1e-6 in QSD).

    Shapes:
        input ``[T, B, C, ...]``, output the same.
    """

    def __init__(self, *, dim: int, init: float = 1e-6) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``gamma`` broadcast over the channel axis (axis 2)."""
        check_rank(x, "x", 3, "[T, B, C, ...]")
        return x * self.gamma.view(-1, *([1] * (x.dim() - 3)))


class QChannelMLP(nn.Module):
    """Quantized channel MLP of QSD: two 1x1 LSQ convs with bias, BN, IE-LIF before each.

    Args:
        dim: channels ``C``.
        mlp_ratio: hidden ratio (4).
        w_bits: weight bits.
        levels: IE-LIF levels.
        act_params: add QSD's dead activation-quantizer parameters.

    Shapes:
        input ``[T, B, C, H, W]``, output the same.
    """

    def __init__(
        self,
        *,
        dim: int,
        mlp_ratio: float = 4.0,
        w_bits: int = 4,
        levels: int = 4,
        act_params: bool = False,
    ) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        q: dict[str, Any] = {"w_bits": w_bits, "act_params": act_params}
        self.lif1 = IELIF(levels=levels)
        self.fc1 = SeqToBatch(
            nn.Sequential(
                QConv2d(in_channels=dim, out_channels=hidden, kernel_size=1, **q),
                nn.BatchNorm2d(hidden),
            )
        )
        self.lif2 = IELIF(levels=levels)
        self.fc2 = SeqToBatch(
            nn.Sequential(
                QConv2d(in_channels=hidden, out_channels=dim, kernel_size=1, **q),
                nn.BatchNorm2d(dim),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """MLP over ``[T, B, C, H, W]``."""
        return self.fc2(self.lif2(self.fc1(self.lif1(x))))


class QSDTransformerBlock(nn.Module):
    """QSD-Transformer block: Q-SDSA and the quantized MLP, each behind a layer scale.

    Args:
        dim: channels.
        num_heads: attention heads.
        mlp_ratio: MLP hidden ratio.
        w_bits: weight bits.
        levels: IE-LIF levels.
        layer_scale_init: initial ``gamma``.
        act_params: add QSD's dead activation-quantizer parameters.

    Shapes:
        input ``[T, B, C, H, W]``, output the same.

    Examples:
        >>> block = QSDTransformerBlock(dim=16, num_heads=2)
        >>> block(torch.randn(1, 2, 16, 4, 4)).shape
        torch.Size([1, 2, 16, 4, 4])
    """

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int = 8,
        mlp_ratio: float = 4.0,
        w_bits: int = 4,
        levels: int = 4,
        layer_scale_init: float = 1e-6,
        act_params: bool = False,
    ) -> None:
        super().__init__()
        self.attn = QSDSA(
            dim=dim, num_heads=num_heads, w_bits=w_bits, levels=levels, act_params=act_params
        )
        self.mlp = QChannelMLP(
            dim=dim, mlp_ratio=mlp_ratio, w_bits=w_bits, levels=levels, act_params=act_params
        )
        self.gamma1 = LayerScale(dim=dim, init=layer_scale_init)
        self.gamma2 = LayerScale(dim=dim, init=layer_scale_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``U + g1 * attn(U)``, then ``+ g2 * mlp``."""
        x = x + self.gamma1(self.attn(x))
        return x + self.gamma2(self.mlp(x))
