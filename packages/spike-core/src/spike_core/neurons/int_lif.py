"""Integer (multi-level) LIF: spikes in ``{0, ..., D}`` during training, binary at inference.

One step (``levels = D``)::

    u  = h + input_scale x
    k  = clip(round(u), 0, D)          # integer spike count; round half up (or half to even)
    s  = k / norm                      # emitted value
    h' = beta (u - k)                  # beta = 0: stateless (E-3DSNN, QSD IE-LIF); > 0: leaky

Backward is straight-through inside the range: ``dk/du = 1`` for ``0 < u < D``, else 0.

At inference a count ``k`` is emitted as ``k`` binary spikes over ``D`` virtual time steps
(:func:`expand_to_binary`), so a downstream synapse performs ``k`` additions instead of one
multiplication. Presets: E-3DSNN I-LIF ``(D=4, input_scale=1, norm=1)``; QSD IE-LIF
``(D=4, input_scale=4, norm=4)``; Spike-driven V3 MultiSpike ``(D=4, input_scale=1, norm=4,
rounding="half_even")``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from spike_core._validation import check_positive, check_tensor
from spike_core.kernels._alloc import full_like_large
from spike_core.neurons._base import MultiStepNeuron, SingleStepNeuron

__all__ = ["IntLIF", "IntLIFCell", "IntLIFState", "expand_to_binary", "int_spike"]


class IntLIFState(NamedTuple):
    """Integer-LIF state: residual membrane ``h`` (``[B, ...]``)."""

    h: torch.Tensor


class _IntSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u: torch.Tensor, levels: int, half_even: bool) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(u)
        ctx.levels = levels
        c = u.clamp(0, levels)
        return torch.round(c) if half_even else torch.floor(c + 0.5)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        (u,) = ctx.saved_tensors
        return grad * ((u > 0) & (u < ctx.levels)).to(grad.dtype), None, None


def int_spike(u: torch.Tensor, levels: int = 4, rounding: str = "half_up") -> torch.Tensor:
    """Integer spike count ``clip(round(u), 0, levels)`` with a straight-through gradient.

    Shapes:
        ``u``: any shape; output the same shape, integer values in ``u``'s dtype.

    Examples:
        >>> int_spike(torch.tensor([0.49, 0.5, 3.6, 7.0, -2.0])).tolist()
        [0.0, 1.0, 4.0, 4.0, 0.0]
    """
    if rounding not in ("half_up", "half_even"):
        raise ValueError(f"rounding must be 'half_up' or 'half_even', got {rounding!r}")
    return _IntSpike.apply(u, int(levels), rounding == "half_even")


def expand_to_binary(spikes: torch.Tensor, levels: int) -> torch.Tensor:
    """Expand integer spike counts into binary spikes over ``levels`` virtual steps.

    Virtual step ``d`` fires iff ``d < k``, so the sum over the new leading axis equals ``k``.

    Args:
        spikes: integer-valued counts in ``[0, levels]`` (any float or int dtype), shape ``S``.
        levels: ``D``, the number of virtual steps.

    Returns:
        Binary tensor ``[D, *S]`` in ``spikes``' dtype.

    Raises:
        ValueError: if ``spikes`` holds non-integers or values outside ``[0, levels]``.

    Examples:
        >>> expand_to_binary(torch.tensor([0.0, 2.0, 4.0]), 4).T.tolist()
        [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]
    """
    check_tensor(spikes, "spikes")
    if not isinstance(levels, int) or levels < 1:
        raise ValueError(f"levels must be a positive int, got {levels!r}")
    if bool((spikes != spikes.round()).any()) or bool(((spikes < 0) | (spikes > levels)).any()):
        raise ValueError(f"spikes must hold integers in [0, {levels}]")
    steps = torch.arange(levels, device=spikes.device).view(-1, *([1] * spikes.dim()))
    return (steps < spikes.unsqueeze(0)).to(spikes.dtype)


class _IntLIFCore(nn.Module):
    """Parameters of the integer LIF.

    Args:
        levels: ``D``, the largest spike count (>= 1).
        input_scale: factor applied to the input before rounding.
        norm: divisor of the emitted count (1 emits integers).
        beta: membrane decay of the residual ``u - k`` (0 = stateless).
        rounding: ``"half_up"`` (``floor(c + 0.5)``) or ``"half_even"`` (``torch.round``).
        backend: kernel for multi-step layers.
    """

    def __init__(
        self,
        *,
        levels: int = 4,
        input_scale: float = 1.0,
        norm: float = 1.0,
        beta: float = 0.0,
        rounding: str = "half_up",
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if not isinstance(levels, int) or levels < 1:
            raise ValueError(f"levels must be a positive int, got {levels!r}")
        check_positive(input_scale, "input_scale")
        check_positive(norm, "norm")
        if not (isinstance(beta, int | float) and 0.0 <= beta <= 1.0):
            raise ValueError(f"beta must be in [0, 1], got {beta!r}")
        if rounding not in ("half_up", "half_even"):
            raise ValueError(f"rounding must be 'half_up' or 'half_even', got {rounding!r}")
        self.levels, self.input_scale, self.norm = levels, float(input_scale), float(norm)
        self.beta, self.rounding, self.backend = float(beta), rounding, backend

    def init_state(self, x: torch.Tensor) -> IntLIFState:
        """Zero residual membrane shaped like ``x``."""
        return IntLIFState(full_like_large(x, 0.0))

    def step(self, x: torch.Tensor, state: IntLIFState) -> tuple[torch.Tensor, IntLIFState]:
        """One integer-LIF step (module docstring). ``x``: ``[B, ...]``."""
        u = state.h + self.input_scale * x
        k = int_spike(u, self.levels, self.rounding)
        h = self.beta * (u - k) if self.beta else torch.zeros_like(u)
        return k / self.norm if self.norm != 1.0 else k, IntLIFState(h)

    def extra_repr(self) -> str:
        return (
            f"levels={self.levels}, input_scale={self.input_scale}, norm={self.norm}, "
            f"beta={self.beta}, rounding={self.rounding!r}"
        )


class IntLIFCell(_IntLIFCore, SingleStepNeuron):
    """One-step integer LIF: ``forward(x [B, ...], state=None) -> (counts / norm, IntLIFState)``."""


class IntLIF(_IntLIFCore, MultiStepNeuron):
    """Multi-step integer LIF over time-major input ``[T, B, ...]``.

    Examples:
        >>> IntLIF(levels=4)(torch.tensor([[0.49], [0.5], [3.6], [7.0]])).flatten().tolist()
        [0.0, 1.0, 4.0, 4.0]
    """
