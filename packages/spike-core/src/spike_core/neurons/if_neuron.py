"""Integrate-and-fire (IF) neurons: no leak.

One step::

    h = v + r x
    s = H(h - v_threshold)
    v' = reset(h, s)     # hard: h (1 - s) + v_reset s; soft: h - s v_threshold; none: h
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from spike_core._validation import check_positive
from spike_core.kernels._alloc import full_like_large
from spike_core.neurons._base import (
    MultiStepNeuron,
    SingleStepNeuron,
    apply_reset,
    check_reset_mode,
)
from spike_core.neurons.lif import LIFState
from spike_core.surrogate import Surrogate, get_surrogate

__all__ = ["IF", "IFCell", "IFParams", "if_step"]


class IFParams(NamedTuple):
    """Parameters of :func:`if_step`."""

    v_threshold: float = 1.0
    v_reset: float = 0.0
    r: float = 1.0
    reset: str = "hard"
    detach_reset: bool = False


def if_step(
    x: torch.Tensor, state: LIFState, params: IFParams, surrogate: Surrogate
) -> tuple[torch.Tensor, LIFState]:
    """One pure IF step. ``x``, ``state.v``: ``[B, ...]``; state is a :class:`LIFState`."""
    h = state.v + params.r * x
    s = surrogate(h - params.v_threshold)
    v = apply_reset(
        h,
        s,
        reset=params.reset,
        v_threshold=params.v_threshold,
        v_reset=params.v_reset,
        detach_reset=params.detach_reset,
    )
    return s, LIFState(v)


class _IFCore(nn.Module):
    """Parameters and step shared by :class:`IFCell` and :class:`IF`.

    Args:
        v_threshold: firing threshold (> 0).
        v_reset: membrane after a hard reset (and the initial membrane).
        r: input resistance.
        reset: ``"hard"``, ``"soft"`` or ``"none"``.
        detach_reset: stop gradients through the reset.
        surrogate: surrogate name or instance; ``surrogate_kwargs`` set its parameter.
        backend: kernel for multi-step layers.
    """

    def __init__(
        self,
        *,
        v_threshold: float = 1.0,
        v_reset: float = 0.0,
        r: float = 1.0,
        reset: str = "hard",
        detach_reset: bool = False,
        surrogate: str | Surrogate = "atan",
        surrogate_kwargs: dict[str, float] | None = None,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        check_positive(v_threshold, "v_threshold")
        self.v_threshold = float(v_threshold)
        self.v_reset = float(v_reset)
        self.r = float(r)
        self.reset = check_reset_mode(reset)
        self.detach_reset = bool(detach_reset)
        self.surrogate = get_surrogate(surrogate, **(surrogate_kwargs or {}))
        self.backend = backend

    def params(self) -> IFParams:
        """The :class:`IFParams` of this neuron."""
        return IFParams(self.v_threshold, self.v_reset, self.r, self.reset, self.detach_reset)

    def init_state(self, x: torch.Tensor) -> LIFState:
        """Membrane at ``v_reset`` (hard reset) or 0, shaped like ``x``."""
        return LIFState(full_like_large(x, self.v_reset if self.reset == "hard" else 0.0))

    def step(self, x: torch.Tensor, state: LIFState) -> tuple[torch.Tensor, LIFState]:
        """One step of :func:`if_step`. ``x``: ``[B, ...]``."""
        return if_step(x, state, self.params(), self.surrogate)

    def extra_repr(self) -> str:
        return (
            f"v_threshold={self.v_threshold}, reset={self.reset!r}, surrogate={self.surrogate.name}"
        )


class IFCell(_IFCore, SingleStepNeuron):
    """One-step IF neuron: ``forward(x [B, ...], state=None) -> (spikes, LIFState)``."""


class IF(_IFCore, MultiStepNeuron):
    """Multi-step IF neuron over time-major input ``[T, B, ...]``.

    Examples:
        >>> IF()(torch.full((4, 1), 0.5)).flatten().tolist()
        [0.0, 1.0, 0.0, 1.0]
    """
