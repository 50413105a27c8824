"""The surface every registered model offers (design §5)."""

from __future__ import annotations

import torch
from torch import nn

from spike_core.registry import count_parameters

__all__ = ["SpikingModel"]


class SpikingModel(nn.Module):
    """Base class of registered models.

    Subclasses implement :meth:`forward_features`, :meth:`reset_classifier` and
    :meth:`example_input`; ``forward`` defaults to features followed by ``self.head``.

    Shapes:
        ``forward(x_seq)``: input as documented by the model (time-major ``[T, B, ...]``),
        output ``[T, B, K]`` unless the model documents otherwise. Reduction over time is
        left to the caller (e.g. ``out.mean(0)``).
    """

    head: nn.Module

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        """Features before the classifier head, time-major."""
        raise NotImplementedError

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """``head(forward_features(x_seq))``; time-major in and out."""
        return self.head(self.forward_features(x_seq))

    def reset_classifier(self, num_outputs: int) -> None:  # pragma: no cover
        """Replace the head with a fresh one with ``num_outputs`` outputs."""
        raise NotImplementedError

    def example_input(
        self, batch_size: int = 2, time_steps: int = 2
    ) -> torch.Tensor:  # pragma: no cover
        """A small valid input for contract tests, on the model's device."""
        raise NotImplementedError

    def num_parameters(self, *, trainable_only: bool = False) -> int:
        """Number of parameters."""
        return count_parameters(self, trainable_only=trainable_only)
