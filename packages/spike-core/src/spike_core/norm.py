"""Time-distributed batch normalization for time-major sequences.

``TDBatchNorm`` normalises statistics over ``T * B`` (and spatial dims) per channel. With
``alpha`` and ``v_threshold`` set (threshold-dependent BN, Zheng et al. 2021, "tdBN") the
normalised value is scaled by ``alpha * v_threshold`` before the affine transform:
``y = gamma * alpha * v_th * (x - mean) / sqrt(var + eps) + beta``.
"""

from __future__ import annotations

import torch
from torch import nn

from spike_core._validation import check_rank
from spike_core.time import fold_time, unfold_time

__all__ = ["TDBatchNorm"]


class TDBatchNorm(nn.Module):
    """Batch norm over ``[T, B, C, *spatial]`` with statistics over ``T``, ``B`` and space.

    Args:
        num_features: channels ``C``.
        alpha: tdBN scale (1.0 gives plain time-distributed BN).
        v_threshold: the following neuron's threshold (tdBN scales by ``alpha * v_threshold``).
        eps: as :class:`torch.nn.BatchNorm1d`.
        momentum: as :class:`torch.nn.BatchNorm1d`.
        affine: learn a per-channel scale and shift.

    Shapes:
        input ``[T, B, C]``, ``[T, B, C, L]``, ``[T, B, C, H, W]`` or ``[T, B, C, D, H, W]``;
        output the same.
    """

    def __init__(
        self,
        num_features: int,
        *,
        alpha: float = 1.0,
        v_threshold: float = 1.0,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features, eps=eps, momentum=momentum, affine=affine)
        self.scale = float(alpha) * float(v_threshold)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Normalise ``x_seq`` ``[T, B, C, ...]``; returns the same shape."""
        check_rank(x_seq, "x_seq", 3, "[T, B, C, ...]")
        if x_seq.shape[2] != self.bn.num_features:
            raise ValueError(
                f"x_seq has {x_seq.shape[2]} channels at dim 2, expected {self.bn.num_features}"
            )
        T = x_seq.shape[0]
        x = fold_time(x_seq)
        flat = x.flatten(2) if x.dim() > 2 else x
        if self.scale == 1.0:
            y = self.bn(flat)
        else:
            bn = self.bn
            y = (
                nn.functional.batch_norm(
                    flat,
                    bn.running_mean,
                    bn.running_var,
                    None,
                    None,
                    self.training,
                    bn.momentum if bn.momentum is not None else 0.0,
                    bn.eps,
                )
                * self.scale
            )
            if bn.affine:
                shape = (1, -1) + (1,) * (flat.dim() - 2)
                y = y * bn.weight.view(shape) + bn.bias.view(shape)
        return unfold_time(y.view_as(x), T)
