"""Test helper shared by the peer-interop tests: step a peer's stateful module over time."""

from __future__ import annotations

import torch
from torch import nn


def step_over_time(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Call ``out, state = module(x[t], state)`` for each step of time-major ``x`` ``[T, B, ...]``.

    Returns the stacked outputs ``[T, B, ...]`` (no gradient). Norse's imported graphs and
    ``SequentialState`` and SpikingJelly's NIR-imported ``GraphModule`` all follow this protocol.
    """
    state, out = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):
            o, state = module(x[t], state)
            out.append(o)
    return torch.stack(out)
