"""Adaptive LIF (ALIF): a spike-driven adaptation variable raises the threshold (Bellec et al.).

With ``k = dt / tau_mem`` and ``ka = dt / tau_adapt``, one step is::

    h   = LIF charge of v and x (decay_input convention as LIF)
    th  = v_threshold + beta_adapt a
    s   = H(h - th)
    v'  = reset(h, s)         # soft reset subtracts the adaptive threshold th
    a'  = a - ka a + s

State: :class:`ALIFState` ``(v, a)``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from spike_core._validation import check_positive
from spike_core.neurons._base import MultiStepNeuron, SingleStepNeuron, apply_reset
from spike_core.neurons.lif import _LIFCore

__all__ = ["ALIF", "ALIFCell", "ALIFState"]


class ALIFState(NamedTuple):
    """ALIF state: membrane ``v`` and adaptation ``a``, each ``[B, ...]``."""

    v: torch.Tensor
    a: torch.Tensor


class _ALIFCore(_LIFCore):
    """ALIF parameters: those of LIF plus the adaptation.

    Args:
        tau_adapt: adaptation time constant (>= dt).
        beta_adapt: threshold increase per unit of adaptation (>= 0).
        **kwargs: as :class:`~spike_core.LIFCell`.
    """

    def __init__(
        self, *, tau_adapt: float = 200.0, beta_adapt: float = 0.07, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        check_positive(tau_adapt, "tau_adapt")
        if tau_adapt < self.dt:
            raise ValueError(f"tau_adapt must be >= dt ({self.dt}), got {tau_adapt}")
        if not beta_adapt >= 0:
            raise ValueError(f"beta_adapt must be >= 0, got {beta_adapt!r}")
        self.tau_adapt, self.beta_adapt = float(tau_adapt), float(beta_adapt)

    def init_state(self, x: torch.Tensor) -> ALIFState:  # type: ignore[override]
        """Membrane as LIF, zero adaptation; shaped like ``x``."""
        return ALIFState(super().init_state(x).v, torch.zeros_like(x))

    def step(self, x: torch.Tensor, state: ALIFState) -> tuple[torch.Tensor, ALIFState]:  # type: ignore[override]
        """One ALIF step (module docstring). ``x``: ``[B, ...]``."""
        v, a = state
        k = self.decay
        if self.decay_input:
            h = v + k * (self.r * x - (v - self.v_leak))
        else:
            h = v + k * (self.v_leak - v) + self.r * x
        th = self.v_threshold + self.beta_adapt * a
        s = self.surrogate(h - th)
        v = apply_reset(
            h,
            s,
            reset=self.reset,
            v_threshold=th,
            v_reset=self.v_reset,
            detach_reset=self.detach_reset,
        )
        a = a - (self.dt / self.tau_adapt) * a + s
        return s, ALIFState(v, a)


class ALIFCell(_ALIFCore, SingleStepNeuron):
    """One-step ALIF: ``forward(x [B, ...], state=None) -> (spikes, ALIFState)``."""


class ALIF(_ALIFCore, MultiStepNeuron):
    """Multi-step ALIF over time-major input ``[T, B, ...]``."""
