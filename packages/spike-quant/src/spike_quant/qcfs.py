"""QCFS: the quantization-clip-floor-shift activation (Bu et al., ICLR 2022) and its IF twin.

::

    h(z) = lam * clip(floor(z L / lam + phi) / L, 0, 1)

with ``L`` quantization steps, a learnable threshold ``lam`` and shift ``phi`` (1/2 by default).
The floor uses a straight-through gradient. Converted to an SNN, each QCFS becomes an IF neuron
with threshold ``lam``, initial membrane ``phi * lam`` and reset by subtraction; over ``T = L``
steps of a constant input ``z`` its firing rate times ``lam`` equals ``h(z)`` exactly.
``IE(x) == h(x; lam=1, L=4, phi=0.5)`` for every real ``x``.
"""

from __future__ import annotations

import torch
from torch import nn

from spike_core import IF, LIFState
from spike_core._validation import check_positive

__all__ = ["QCFS", "qcfs", "qcfs_to_if"]


class _FloorSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        del ctx
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        del ctx
        return grad


def qcfs(
    z: torch.Tensor, lam: torch.Tensor | float = 1.0, levels: int = 4, phi: float = 0.5
) -> torch.Tensor:
    """QCFS activation ``lam * clip(floor(z L / lam + phi) / L, 0, 1)``.

    Args:
        z: pre-activation (any shape).
        lam: threshold ``lambda`` (> 0; a tensor carries gradient).
        levels: ``L``.
        phi: shift.

    Returns:
        Tensor shaped like ``z`` with values in ``{0, lam/L, ..., lam}``.

    Examples:
        >>> qcfs(torch.tensor([0.13, 0.62, 2.0])).tolist()
        [0.25, 0.5, 1.0]
    """
    if not isinstance(levels, int) or levels < 1:
        raise ValueError(f"levels must be a positive int, got {levels!r}")
    return lam * torch.clamp(_FloorSTE.apply(z * levels / lam + phi) / levels, 0.0, 1.0)


class QCFS(nn.Module):
    """QCFS activation with a learnable threshold ``lam`` (one per layer).

    Args:
        levels: ``L`` quantization steps.
        init_lam: initial ``lam`` (> 0).
        phi: shift (0.5 makes the expected conversion error zero).

    Shapes:
        any input; output like the input.
    """

    def __init__(self, *, levels: int = 4, init_lam: float = 8.0, phi: float = 0.5) -> None:
        super().__init__()
        if not isinstance(levels, int) or levels < 1:
            raise ValueError(f"levels must be a positive int, got {levels!r}")
        check_positive(init_lam, "init_lam")
        self.levels, self.phi = levels, float(phi)
        self.lam = nn.Parameter(torch.tensor(float(init_lam)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Apply :func:`qcfs`."""
        return qcfs(z, self.lam, self.levels, self.phi)

    def extra_repr(self) -> str:
        """Summary shown in the module repr."""
        return f"levels={self.levels}, phi={self.phi}"


def qcfs_to_if(
    lam: float | torch.Tensor, shape: tuple[int, ...], *, phi: float = 0.5, backend: str = "auto"
) -> tuple[IF, LIFState]:
    """The IF neuron and initial state that replace a QCFS activation in the converted SNN.

    Args:
        lam: the trained threshold ``lambda``.
        shape: one step's shape ``[B, ...]`` of the initial state.
        phi: the QCFS shift (initial membrane ``phi * lam``).
        backend: kernel backend of the IF layer.

    Returns:
        ``(IF(v_threshold=lam, reset="soft"), LIFState(v = phi * lam))``. Run it with
        ``neuron(z_seq, state)``; ``lam * spikes.mean(0)`` approximates ``qcfs(z)``.

    Shapes:
        the neuron takes ``[T, B, ...]``.
    """
    value = float(lam)
    check_positive(value, "lam")
    neuron = IF(v_threshold=value, reset="soft", backend=backend)
    return neuron, LIFState(torch.full(shape, phi * value))
