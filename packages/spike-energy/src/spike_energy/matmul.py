"""``SpikeMatmul``: an explicit, named matrix product for spiking attention."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SpikeMatmul"]


class SpikeMatmul(nn.Module):
    """``a @ b`` as a module, so the product shows up under its own name in reports.

    The :class:`~spike_energy.Counter` already counts plain ``torch.matmul`` / ``@`` calls (it
    intercepts them with a ``TorchFunctionMode`` and names them after the enclosing module,
    ``"attn.matmul0"``); wrapping a product in ``SpikeMatmul`` only gives it a stable name such
    as ``"attn.qk"``. It has no parameters and does not change the result.

    Shapes:
        ``a``: ``[..., n, k]``, ``b``: ``[..., k, m]``; output ``[..., n, m]`` (broadcasting as
        ``torch.matmul``; time-major callers pass ``[T, B, heads, n, k]``).

    Examples:
        >>> qk = SpikeMatmul()
        >>> qk(torch.ones(2, 3), torch.ones(3, 4)).shape
        torch.Size([2, 4])
    """

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Return ``torch.matmul(a, b)``."""
        return torch.matmul(a, b)
