"""Leaky integrator (LI): a non-spiking readout neuron (NIR ``LI``).

With ``k = dt / tau_mem``, one step is ``v' = v + k (v_leak - v + r x)`` and the output is ``v'``.
"""

from __future__ import annotations

import torch
from torch import nn

from spike_core._validation import check_positive
from spike_core.neurons._base import MultiStepNeuron, SingleStepNeuron
from spike_core.neurons.lif import LIFState

__all__ = ["LI", "LICell"]


class _LICore(nn.Module):
    """Parameters of the leaky integrator.

    Args:
        tau_mem: membrane time constant (>= dt).
        dt: time step.
        v_leak: resting potential.
        r: input resistance.
        backend: kernel for multi-step layers.
    """

    def __init__(
        self,
        *,
        tau_mem: float = 2.0,
        dt: float = 1.0,
        v_leak: float = 0.0,
        r: float = 1.0,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        check_positive(dt, "dt")
        check_positive(tau_mem, "tau_mem")
        if tau_mem < dt:
            raise ValueError(f"tau_mem must be >= dt ({dt}), got {tau_mem}")
        self.tau_mem, self.dt, self.v_leak, self.r = (
            float(tau_mem),
            float(dt),
            float(v_leak),
            float(r),
        )
        self.backend = backend

    def init_state(self, x: torch.Tensor) -> LIFState:
        """Membrane at ``v_leak`` shaped like ``x``."""
        return LIFState(torch.full_like(x, self.v_leak))

    def step(self, x: torch.Tensor, state: LIFState) -> tuple[torch.Tensor, LIFState]:
        """One step; returns ``(v', LIFState(v'))``. ``x``: ``[B, ...]``."""
        v = state.v + (self.dt / self.tau_mem) * (self.v_leak - state.v + self.r * x)
        return v, LIFState(v)


class LICell(_LICore, SingleStepNeuron):
    """One-step leaky integrator: ``forward(x [B, ...], state=None) -> (v, LIFState)``."""


class LI(_LICore, MultiStepNeuron):
    """Multi-step leaky integrator over ``[T, B, ...]``; returns the membrane trace ``[T, B, ...]``."""
