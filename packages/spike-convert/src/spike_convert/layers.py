"""ANN building blocks the converters understand beyond plain ``nn.Sequential`` chains."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Residual"]


class Residual(nn.Module):
    """Residual addition ``y = body(x) + shortcut(x)`` (identity shortcut by default).

    Addition is linear and time-invariant, so CNN-Morph converts it exactly: the spiking version
    runs both branches over time and adds their outputs step by step.

    Args:
        body: the residual branch.
        shortcut: the skip branch (``None`` for the identity).

    Shapes:
        ``x``: ``[B, ...]``; output the shape both branches produce.

    Examples:
        >>> block = Residual(nn.Linear(3, 3))
        >>> block(torch.zeros(2, 3)).shape
        torch.Size([2, 3])
    """

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``body(x) + shortcut(x)``.

        Args:
            x: input ``[B, ...]``.

        Returns:
            The sum of both branches.
        """
        return self.body(x) + self.shortcut(x)
