"""Neurons of the pretraining bridge (pipe-S / pipe-D): sharpened ReLU, LIF with gated reset, LIAF.

pipe-S / pipe-D LIF (per neuron, ``t = 1..T``)::

    u_1 = x_1
    u_t = decay * u_{t-1} * (1 - o_{t-1}) + x_t      (o_{t-1} detached in the reset gate)
    o_t = H(u_t - V_th)                                (strict >, spikes in {0, 1})

with ``decay = 0.25, V_th = 0.5`` (pipe-S) or a learnable ``decay = sigmoid(d)``, ``d = 0.5``
(pipe-D). LIAF emits ``LeakyReLU_0.2(u_t)`` instead of ``o_t`` while the reset still uses the spike.
The spike non-linearity back-propagates the rectangular surrogate
``1/(2a) 1[|u - V_th| < a]`` with ``a = 0.5`` (1 on ``(0, 1)``).

Sharpened ReLU (the pipe-S pre-training activation, epoch ``e`` 1-based)::

    f_e(x) = 0 if x < a_e;  1 if x > b_e;  (x - a_e) / (b_e - a_e) otherwise
    a_e = min(e / 200, 0.49),  b_e = 1 - e / 200

It is annealed towards the step ``H(x - 0.5)``, which it becomes in evaluation ("spiking") mode; its
backward pass is the same rectangular surrogate as the LIF.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from spike_core.neurons import MultiStepNeuron

__all__ = [
    "LIAF",
    "PipeLIF",
    "PipeLIFState",
    "SharpenedReLU",
    "rectangular_spike",
    "sharpened_relu_bounds",
]


class _RectSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u: torch.Tensor, v_threshold: float, a: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(u)
        ctx.v_threshold, ctx.a = v_threshold, a
        return (u > v_threshold).to(u.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        (u,) = ctx.saved_tensors
        window = ((u - ctx.v_threshold).abs() < ctx.a).to(grad.dtype) / (2 * ctx.a)
        return grad * window, None, None


def rectangular_spike(u: torch.Tensor, v_threshold: float = 0.5, a: float = 0.5) -> torch.Tensor:
    """``H(u - v_threshold)`` (strict) with the rectangular surrogate ``1/(2a) 1[|u - V_th| < a]``.

    Args:
        u: membrane potential, any shape.
        v_threshold: threshold.
        a: half-width of the surrogate window.

    Returns:
        Spikes in ``{0, 1}``, same shape and dtype.

    Shapes:
        Any shape.

    Examples:
        >>> rectangular_spike(torch.tensor([0.4, 0.5, 0.6])).tolist()
        [0.0, 0.0, 1.0]
    """
    return _RectSpike.apply(u, float(v_threshold), float(a))


def sharpened_relu_bounds(epoch: int) -> tuple[float, float]:
    """``(a_e, b_e) = (min(e / 200, 0.49), 1 - e / 200)`` for the 1-based epoch ``e``.

    Epochs past 100 reuse epoch 100's bounds ``(0.49, 0.50)`` (the schedule's end).

    Args:
        epoch: 1-based epoch index.

    Returns:
        The ramp's lower and upper ends.

    Examples:
        >>> sharpened_relu_bounds(50)
        (0.25, 0.75)
    """
    if not isinstance(epoch, int) or epoch < 1:
        raise ValueError(f"epoch must be an int >= 1, got {epoch!r}")
    e = min(epoch, 100)
    return min(e / 200, 0.49), 1 - e / 200


class _SharpFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return ((x - lo) / (hi - lo)).clamp(0.0, 1.0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * ((x - 0.5).abs() < 0.5).to(grad.dtype), None, None


class SharpenedReLU(nn.Module):
    """The pipe-S pre-training activation (ramp annealed to a step), time-major compatible.

    In training mode: the ramp ``f_e`` of the module docstring (rectangular-surrogate backward). In
    evaluation mode: the spiking step ``H(x - 0.5)``. Call :meth:`set_epoch` at the start of every
    epoch.

    Args:
        epoch: initial 1-based epoch.

    Shapes:
        Any shape (``[T, B, ...]`` with ``T = 1`` in the pre-training ANN).

    Examples:
        >>> act = SharpenedReLU(epoch=50)
        >>> act(torch.tensor([0.25, 0.5, 0.75])).tolist()
        [0.0, 0.5, 1.0]
    """

    def __init__(self, *, epoch: int = 1) -> None:
        super().__init__()
        self.set_epoch(epoch)

    def set_epoch(self, epoch: int) -> None:
        """Move the ramp to ``epoch`` (1-based)."""
        self.lo, self.hi = sharpened_relu_bounds(epoch)
        self.epoch = epoch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Ramp (training) or step (evaluation).

        Args:
            x: pre-activation, any shape.

        Returns:
            Activation in ``[0, 1]``.
        """
        if self.training:
            return _SharpFn.apply(x, self.lo, self.hi)
        return (x > 0.5).to(x.dtype)

    def extra_repr(self) -> str:
        """Constructor arguments shown by ``print(module)``."""
        return f"epoch={self.epoch}, a={self.lo:.4g}, b={self.hi:.4g}"


class PipeLIFState(NamedTuple):
    """State of :class:`PipeLIF` / :class:`LIAF`: membrane ``u`` and last spike ``o`` (``[B, ...]``)."""

    u: torch.Tensor
    o: torch.Tensor


class PipeLIF(MultiStepNeuron):
    """Multi-step LIF of the pretraining-bridge models (gated hard reset, rectangular surrogate).

    Args:
        decay: fixed membrane decay (pipe-S: 0.25); ignored when ``learnable_decay``.
        v_threshold: threshold (0.5).
        learnable_decay: use ``decay = sigmoid(d)`` with a learnable per-layer scalar ``d``
            (pipe-D library; ``d`` starts at ``init_decay_param``).
        init_decay_param: initial ``d`` (0.5, i.e. decay 0.62246).

    Shapes:
        ``[T, B, ...] -> [T, B, ...]`` spikes in ``{0, 1}``.

    Examples:
        >>> lif = PipeLIF()
        >>> lif(torch.tensor([0.3, 0.3, 0.3, 0.6, 0.1]).view(5, 1)).flatten().tolist()
        [0.0, 0.0, 0.0, 1.0, 0.0]
    """

    def __init__(
        self,
        *,
        decay: float = 0.25,
        v_threshold: float = 0.5,
        learnable_decay: bool = False,
        init_decay_param: float = 0.5,
    ) -> None:
        super().__init__()
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"decay must be in [0, 1], got {decay!r}")
        self.fixed_decay = float(decay)
        self.v_threshold = float(v_threshold)
        self.decay_param = (
            nn.Parameter(torch.tensor(float(init_decay_param))) if learnable_decay else None
        )
        self.backend = "torch"

    @property
    def decay(self) -> float | torch.Tensor:
        """The membrane decay (a tensor when learnable)."""
        if self.decay_param is None:
            return self.fixed_decay
        return torch.sigmoid(self.decay_param)

    def init_state(self, x: torch.Tensor) -> PipeLIFState:
        """Zero membrane and spike, so that ``u_1 = x_1``."""
        return PipeLIFState(torch.zeros_like(x), torch.zeros_like(x))

    def _membrane(self, x: torch.Tensor, state: PipeLIFState) -> torch.Tensor:
        return self.decay * state.u * (1.0 - state.o.detach()) + x

    def step(self, x: torch.Tensor, state: PipeLIFState) -> tuple[torch.Tensor, PipeLIFState]:
        """One step: ``(o_t, (u_t, o_t))``. ``x``: ``[B, ...]``."""
        u = self._membrane(x, state)
        o = rectangular_spike(u, self.v_threshold, 0.5)
        return o, PipeLIFState(u, o)

    def extra_repr(self) -> str:
        """Constructor arguments shown by ``print(module)``."""
        d = "learnable" if self.decay_param is not None else f"{self.fixed_decay}"
        return f"decay={d}, v_threshold={self.v_threshold}"


class LIAF(PipeLIF):
    """Leaky integrate and *analog* fire: emits ``LeakyReLU_0.2(u_t)``, resets with the spike.

    Args:
        learnable_decay: learn ``decay = sigmoid(d)`` (default True, as in the pipe-D library).
        init_decay_param: initial ``d`` (0.5).
        v_threshold: threshold of the resetting spike (0.5).
        negative_slope: LeakyReLU slope (0.2).
        decay: fixed decay when not learnable.

    Shapes:
        ``[T, B, ...] -> [T, B, ...]`` analog outputs.

    Examples:
        >>> round(float(LIAF().decay.detach()), 5)
        0.62246
    """

    def __init__(
        self,
        *,
        learnable_decay: bool = True,
        init_decay_param: float = 0.5,
        v_threshold: float = 0.5,
        negative_slope: float = 0.2,
        decay: float = 0.25,
    ) -> None:
        super().__init__(
            decay=decay,
            v_threshold=v_threshold,
            learnable_decay=learnable_decay,
            init_decay_param=init_decay_param,
        )
        if not math.isfinite(negative_slope):
            raise ValueError(f"negative_slope must be finite, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def step(self, x: torch.Tensor, state: PipeLIFState) -> tuple[torch.Tensor, PipeLIFState]:
        """One step: ``(LeakyReLU(u_t), (u_t, o_t))``. ``x``: ``[B, ...]``."""
        u = self._membrane(x, state)
        o = rectangular_spike(u, self.v_threshold, 0.5)
        return F.leaky_relu(u, self.negative_slope), PipeLIFState(u, o)
