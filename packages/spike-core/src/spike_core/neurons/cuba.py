"""Current-based LIF (CuBa-LIF): a synaptic current filters the input before the membrane.

With ``ks = dt / tau_syn`` and ``km = dt / tau_mem``, one step is::

    i' = i - ks i + x                          # synaptic current (input jumps in, then decays)
    h  = v + km (v_leak - v + r i')            # membrane (NIR CubaLIF, forward Euler)
    s  = H(h - v_threshold)
    v' = reset(h, s)                           # hard / soft / none as for LIF

State: :class:`CubaLIFState` ``(v, i)``.
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
from spike_core.surrogate import Surrogate, get_surrogate

__all__ = ["CubaLIF", "CubaLIFCell", "CubaLIFParams", "CubaLIFState", "cuba_lif_step"]


class CubaLIFState(NamedTuple):
    """CuBa-LIF state: membrane ``v`` and synaptic current ``i``, each ``[B, ...]``."""

    v: torch.Tensor
    i: torch.Tensor


class CubaLIFParams(NamedTuple):
    """Parameters of :func:`cuba_lif_step` (decays are ``dt / tau``)."""

    syn_decay: float
    mem_decay: float
    v_threshold: float = 1.0
    v_reset: float = 0.0
    v_leak: float = 0.0
    r: float = 1.0
    reset: str = "hard"
    detach_reset: bool = False


def cuba_lif_step(
    x: torch.Tensor, state: CubaLIFState, params: CubaLIFParams, surrogate: Surrogate
) -> tuple[torch.Tensor, CubaLIFState]:
    """One pure CuBa-LIF step. ``x`` and both state fields: ``[B, ...]``."""
    p = params
    i = state.i - p.syn_decay * state.i + x
    h = state.v + p.mem_decay * (p.v_leak - state.v + p.r * i)
    s = surrogate(h - p.v_threshold)
    v = apply_reset(
        h,
        s,
        reset=p.reset,
        v_threshold=p.v_threshold,
        v_reset=p.v_reset,
        detach_reset=p.detach_reset,
    )
    return s, CubaLIFState(v, i)


class _CubaCore(nn.Module):
    """Parameters and step shared by :class:`CubaLIFCell` and :class:`CubaLIF`.

    Args:
        tau_syn: synaptic time constant (>= dt).
        tau_mem: membrane time constant (>= dt).
        dt: time step.
        v_threshold: firing threshold.
        v_reset: membrane after a hard reset.
        v_leak: resting potential.
        r: input resistance.
        reset: ``"hard"``, ``"soft"`` or ``"none"``.
        detach_reset: stop gradients through the reset.
        surrogate: surrogate name or instance; ``surrogate_kwargs`` set its parameter.
        backend: kernel for multi-step layers.
    """

    def __init__(
        self,
        *,
        tau_syn: float = 5.0,
        tau_mem: float = 10.0,
        dt: float = 1.0,
        v_threshold: float = 1.0,
        v_reset: float = 0.0,
        v_leak: float = 0.0,
        r: float = 1.0,
        reset: str = "hard",
        detach_reset: bool = False,
        surrogate: str | Surrogate = "atan",
        surrogate_kwargs: dict[str, float] | None = None,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        for name, value in (("dt", dt), ("tau_syn", tau_syn), ("tau_mem", tau_mem)):
            check_positive(value, name)
        for name, value in (("tau_syn", tau_syn), ("tau_mem", tau_mem)):
            if value < dt:
                raise ValueError(f"{name} must be >= dt ({dt}), got {value}")
        check_positive(v_threshold, "v_threshold")
        self.tau_syn, self.tau_mem, self.dt = float(tau_syn), float(tau_mem), float(dt)
        self.v_threshold, self.v_reset = float(v_threshold), float(v_reset)
        self.v_leak, self.r = float(v_leak), float(r)
        self.reset = check_reset_mode(reset)
        self.detach_reset = bool(detach_reset)
        self.surrogate = get_surrogate(surrogate, **(surrogate_kwargs or {}))
        self.backend = backend

    def params(self) -> CubaLIFParams:
        """The :class:`CubaLIFParams` of this neuron."""
        return CubaLIFParams(
            self.dt / self.tau_syn,
            self.dt / self.tau_mem,
            self.v_threshold,
            self.v_reset,
            self.v_leak,
            self.r,
            self.reset,
            self.detach_reset,
        )

    def init_state(self, x: torch.Tensor) -> CubaLIFState:
        """Zero current; membrane at ``v_reset`` (hard) or ``v_leak``; shaped like ``x``."""
        v0 = self.v_reset if self.reset == "hard" else self.v_leak
        return CubaLIFState(full_like_large(x, v0), full_like_large(x, 0.0))

    def step(self, x: torch.Tensor, state: CubaLIFState) -> tuple[torch.Tensor, CubaLIFState]:
        """One step of :func:`cuba_lif_step`. ``x``: ``[B, ...]``."""
        return cuba_lif_step(x, state, self.params(), self.surrogate)

    def extra_repr(self) -> str:
        return f"tau_syn={self.tau_syn}, tau_mem={self.tau_mem}, dt={self.dt}, reset={self.reset!r}"


class CubaLIFCell(_CubaCore, SingleStepNeuron):
    """One-step CuBa-LIF: ``forward(x [B, ...], state=None) -> (spikes, CubaLIFState)``."""


class CubaLIF(_CubaCore, MultiStepNeuron):
    """Multi-step CuBa-LIF over time-major input ``[T, B, ...]``."""
