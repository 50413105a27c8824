"""Leaky integrate-and-fire neurons: LIF and PLIF (learnable time constant).

With ``k = dt / tau_mem`` and input current ``x`` (scaled by the resistance ``r``), one step is::

    decay_input=True  (SpikingJelly):  h = v + k (r x - (v - v_leak))
    decay_input=False (snnTorch beta): h = v + k (v_leak - v) + r x      # = beta v + x, beta = 1 - k
    s = H(h - v_threshold)                       # exact Heaviside, surrogate derivative
    v' = h (1 - s) + v_reset s   (reset="hard")
    v' = h - s v_threshold       (reset="soft")
    v' = h                       (reset="none")

Parameter names follow NIR (``tau_mem``, ``v_threshold``, ``v_reset``, ``v_leak``, ``r``) with an
explicit ``dt``.
"""

from __future__ import annotations

import math
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

__all__ = ["LIF", "PLIF", "LIFCell", "LIFParams", "LIFState", "PLIFCell", "lif_step"]


class LIFState(NamedTuple):
    """LIF state: membrane potential ``v`` (shape of one input step ``[B, ...]``)."""

    v: torch.Tensor


class LIFParams(NamedTuple):
    """Parameters of :func:`lif_step`; ``decay`` is ``dt / tau_mem`` (a float or a 0-d tensor)."""

    decay: float | torch.Tensor
    v_threshold: float = 1.0
    v_reset: float = 0.0
    v_leak: float = 0.0
    r: float = 1.0
    reset: str = "hard"
    decay_input: bool = True
    detach_reset: bool = False


def lif_step(
    x: torch.Tensor, state: LIFState, params: LIFParams, surrogate: Surrogate
) -> tuple[torch.Tensor, LIFState]:
    """One pure LIF step (equations in the module docstring).

    Shapes:
        ``x`` and ``state.v``: ``[B, ...]``; returns spikes and the new state of the same shape.
    """
    p = params
    v = state.v
    if p.decay_input:
        h = v + p.decay * (p.r * x - (v - p.v_leak))
    else:
        h = v + p.decay * (p.v_leak - v) + p.r * x
    s = surrogate(h - p.v_threshold)
    v = apply_reset(
        h,
        s,
        reset=p.reset,
        v_threshold=p.v_threshold,
        v_reset=p.v_reset,
        detach_reset=p.detach_reset,
    )
    return s, LIFState(v)


class _LIFCore(nn.Module):
    """Parameters and step shared by :class:`LIFCell` and :class:`LIF`.

    Args:
        tau_mem: membrane time constant (same unit as ``dt``), ``tau_mem >= dt``.
        dt: time step.
        v_threshold: firing threshold.
        v_reset: membrane after a hard reset.
        v_leak: resting potential the membrane leaks towards.
        r: input resistance (scales the input current).
        reset: ``"hard"``, ``"soft"`` (subtract threshold) or ``"none"``.
        decay_input: SpikingJelly's convention (input scaled by ``dt / tau_mem``) when True,
            snnTorch's ``beta`` convention (input added unscaled) when False.
        detach_reset: stop gradients through the reset.
        surrogate: surrogate name or instance; ``surrogate_kwargs`` set its parameter.
        beta: alternative to ``tau_mem``: ``beta = 1 - dt / tau_mem`` (implies ``decay_input=False``
            unless given).
        backend: kernel for multi-step layers (``"auto"``, ``"torch"``, ...).
    """

    def __init__(
        self,
        *,
        tau_mem: float = 2.0,
        dt: float = 1.0,
        v_threshold: float = 1.0,
        v_reset: float = 0.0,
        v_leak: float = 0.0,
        r: float = 1.0,
        reset: str = "hard",
        decay_input: bool | None = None,
        detach_reset: bool = False,
        surrogate: str | Surrogate = "atan",
        surrogate_kwargs: dict[str, float] | None = None,
        beta: float | None = None,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        check_positive(dt, "dt")
        if beta is not None:
            if not (isinstance(beta, int | float) and 0.0 <= beta < 1.0):
                raise ValueError(f"beta must be in [0, 1), got {beta!r}")
            tau_mem = dt / (1.0 - beta)
            decay_input = False if decay_input is None else decay_input
        check_positive(tau_mem, "tau_mem")
        if tau_mem < dt:
            raise ValueError(f"tau_mem must be >= dt ({dt}), got {tau_mem}")
        check_positive(v_threshold, "v_threshold")
        self.tau_mem = float(tau_mem)
        self.dt = float(dt)
        self.v_threshold = float(v_threshold)
        self.v_reset = float(v_reset)
        self.v_leak = float(v_leak)
        self.r = float(r)
        self.reset = check_reset_mode(reset)
        self.decay_input = True if decay_input is None else bool(decay_input)
        self.detach_reset = bool(detach_reset)
        self.surrogate = get_surrogate(surrogate, **(surrogate_kwargs or {}))
        self.backend = backend

    @property
    def decay(self) -> float | torch.Tensor:
        """``dt / tau_mem``."""
        return self.dt / self.tau_mem

    def params(self) -> LIFParams:
        """The :class:`LIFParams` of this neuron."""
        return LIFParams(
            self.decay,
            self.v_threshold,
            self.v_reset,
            self.v_leak,
            self.r,
            self.reset,
            self.decay_input,
            self.detach_reset,
        )

    def init_state(self, x: torch.Tensor) -> LIFState:
        """Membrane at ``v_reset`` for a hard reset, ``v_leak`` otherwise; shaped like ``x``."""
        v0 = self.v_reset if self.reset == "hard" else self.v_leak
        return LIFState(full_like_large(x, v0))

    def step(self, x: torch.Tensor, state: LIFState) -> tuple[torch.Tensor, LIFState]:
        """One step of :func:`lif_step`. ``x``: ``[B, ...]``."""
        return lif_step(x, state, self.params(), self.surrogate)

    def extra_repr(self) -> str:
        return (
            f"tau_mem={self.tau_mem}, dt={self.dt}, v_threshold={self.v_threshold}, "
            f"reset={self.reset!r}, decay_input={self.decay_input}, surrogate={self.surrogate.name}"
        )


class LIFCell(_LIFCore, SingleStepNeuron):
    """One-step LIF: ``forward(x [B, ...], state=None) -> (spikes, LIFState)``.

    Examples:
        >>> cell = LIFCell(tau_mem=2.0)
        >>> s, state = cell(torch.full((2, 3), 2.5))
        >>> s
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """


class LIF(_LIFCore, MultiStepNeuron):
    """Multi-step LIF over time-major input ``[T, B, ...]`` (see :class:`LIFCell` for arguments).

    Examples:
        >>> lif = LIF(tau_mem=2.0)
        >>> lif(torch.full((4, 1, 1), 1.5)).flatten().tolist()
        [0.0, 1.0, 0.0, 1.0]
    """


class _PLIFCore(_LIFCore):
    """LIF whose time constant is learned (Fang et al. 2021, PLIF).

    ``dt / tau_mem = sigmoid(w)`` with ``w`` a parameter initialised from ``init_tau``
    (``w = -log(init_tau / dt - 1)``), so ``tau_mem`` stays above ``dt``. Other arguments as
    :class:`LIFCell`.
    """

    def __init__(self, *, init_tau: float = 2.0, dt: float = 1.0, **kwargs: object) -> None:
        if "tau_mem" in kwargs or "beta" in kwargs:
            raise ValueError("PLIF learns tau_mem: give init_tau instead of tau_mem or beta")
        check_positive(init_tau, "init_tau")
        if init_tau <= dt:
            raise ValueError(f"init_tau must be > dt ({dt}), got {init_tau}")
        super().__init__(tau_mem=init_tau, dt=dt, **kwargs)  # type: ignore[arg-type]
        self.w = nn.Parameter(torch.tensor(-math.log(init_tau / dt - 1.0)))

    @property
    def decay(self) -> torch.Tensor:
        """``dt / tau_mem = sigmoid(w)`` (a 0-d tensor carrying gradient)."""
        return torch.sigmoid(self.w)

    @property
    def tau(self) -> float:
        """The current learned time constant."""
        return self.dt / float(torch.sigmoid(self.w.detach()))

    def extra_repr(self) -> str:
        return f"tau={self.tau:.4g}, " + super().extra_repr().split(", ", 1)[1]


class PLIFCell(_PLIFCore, SingleStepNeuron):
    """One-step PLIF: ``forward(x [B, ...], state=None) -> (spikes, LIFState)``."""


class PLIF(_PLIFCore, MultiStepNeuron):
    """Multi-step PLIF over time-major input ``[T, B, ...]``; ``tau`` learned through ``w``."""
