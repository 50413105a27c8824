"""Evaluation shared by the demo and ``spike train``."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["evaluate"]


def evaluate(
    model: nn.Module, x_seq: torch.Tensor, y: torch.Tensor, batch_size: int = 512
) -> float:
    """Accuracy of ``model`` (output ``[T, B, K]`` averaged over T) on time-major ``x_seq``.

    Args:
        model: a classifier returning ``[T, B, K]``; put in eval mode.
        x_seq: inputs ``[T, N, ...]``.
        y: labels ``[N]``.
        batch_size: samples per forward pass.

    Returns:
        The fraction of correct predictions.
    """
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, y.numel(), batch_size):
            out = model(x_seq[:, i : i + batch_size]).mean(0)
            correct += int((out.argmax(-1) == y[i : i + batch_size]).sum())
    return correct / y.numel()
