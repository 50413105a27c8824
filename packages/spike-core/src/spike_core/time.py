"""Time-major helpers: fold T into B for stateless layers, convert batch-major data once.

Multi-step tensors are ``[T, B, *features]``; single steps are ``[B, *features]``.
"""

from __future__ import annotations

import torch
from torch import nn

from spike_core._validation import check_rank

__all__ = ["SeqToBatch", "fold_time", "to_batch_major", "to_time_major", "unfold_time"]


def fold_time(x_seq: torch.Tensor) -> torch.Tensor:
    """Merge time into batch: ``[T, B, ...] -> [T*B, ...]`` (a view when contiguous)."""
    check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
    return x_seq.flatten(0, 1)


def unfold_time(x: torch.Tensor, T: int) -> torch.Tensor:
    """Split batch back into time: ``[T*B, ...] -> [T, B, ...]``.

    Raises:
        ValueError: if the leading size is not a multiple of ``T``.
    """
    check_rank(x, "x", 1, "[T*B, ...]")
    if T < 1 or x.shape[0] % T:
        raise ValueError(f"leading size {x.shape[0]} of x is not a multiple of T={T}")
    return x.unflatten(0, (T, x.shape[0] // T))


def to_time_major(x: torch.Tensor) -> torch.Tensor:
    """Batch-major ``[B, T, ...]`` to time-major ``[T, B, ...]`` (contiguous copy)."""
    check_rank(x, "x", 2, "[B, T, ...]")
    return x.transpose(0, 1).contiguous()


def to_batch_major(x_seq: torch.Tensor) -> torch.Tensor:
    """Time-major ``[T, B, ...]`` to batch-major ``[B, T, ...]`` (contiguous copy)."""
    check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
    return x_seq.transpose(0, 1).contiguous()


class SeqToBatch(nn.Module):
    """Apply a stateless module to every time step at once by folding ``T`` into ``B``.

    Args:
        module: any module taking ``[N, ...]`` (Conv, Linear, BatchNorm, pooling, ...).

    Shapes:
        input ``[T, B, ...]``, output ``[T, B, ...']``.

    Examples:
        >>> layer = SeqToBatch(nn.Linear(3, 5))
        >>> layer(torch.zeros(4, 2, 3)).shape
        torch.Size([4, 2, 5])
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Run ``module`` on ``fold_time(x_seq)`` and unfold the result; ``[T, B, ...]``."""
        return unfold_time(self.module(fold_time(x_seq)), x_seq.shape[0])
