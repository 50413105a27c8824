"""The bipolar integrate-and-fire (BIF) neuron with a bounded spike counter.

State: membrane ``v`` and integer spike counter ``S``. Parameters: threshold ``theta > 0`` and
counter bounds ``S_min <= 0 < S_max``. One step with input current ``I``::

    m  = v + I                                   # charge, no leak
    s  = +1  if m >= theta and S < S_max
         -1  if m <  0     and S > S_min
          0  otherwise
    v' = m - theta * s                           # reset by subtraction, both signs
    S' = S + s
    out = theta * s                              # spike weighted by the threshold

Initial state ``v = theta / 2, S = 0`` (the half-step shift that matches ``floor(. + 1/2)`` of the
quantizer). Charge is conserved (``v + theta S = theta/2 + sum I``), and once the input stops the
neuron settles monotonically to ``S* = clamp(floor(sum I / theta + 1/2), S_min, S_max)``: its total
output is exactly the quantizer applied to its total input charge.

Used recurrently (one population per RNN layer, restarted for every sequence element) the same
neuron is the RBIF of RNN-Morph (:mod:`spike_convert.rnn_morph`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from spike_core._validation import check_finite, check_floating, check_positive, check_rank
from spike_core.neurons import MultiStepNeuron, SingleStepNeuron

__all__ = ["BIF", "BIFCell", "BIFParams", "BIFState", "bif_step"]


class BIFState(NamedTuple):
    """BIF state: membrane ``v`` and spike counter ``counter`` (integer values), both ``[B, ...]``."""

    v: torch.Tensor
    counter: torch.Tensor


class BIFParams(NamedTuple):
    """Parameters of :func:`bif_step`: threshold and integer counter bounds."""

    v_threshold: float | torch.Tensor
    s_min: int = 0
    s_max: int = 8


def bif_step(x: torch.Tensor, state: BIFState, params: BIFParams) -> tuple[torch.Tensor, BIFState]:
    """One pure BIF step (equations in the module docstring).

    Args:
        x: input current ``I(t)``, ``[B, ...]``.
        state: ``(v, count)`` before the step.
        params: threshold and counter bounds.

    Returns:
        ``(s, new_state)`` where ``s`` holds the *unit* spikes in ``{-1, 0, +1}`` (multiply by the
        threshold for the emitted output).

    Shapes:
        ``x``, ``state.v``, ``state.counter`` and ``s``: ``[B, ...]``.
    """
    theta = params.v_threshold
    m = state.v + x
    pos = (m >= theta) & (state.counter < params.s_max)
    neg = (m < 0) & (state.counter > params.s_min)
    s = pos.to(m.dtype) - neg.to(m.dtype)
    return s, BIFState(m - theta * s, state.counter + s)


def _check_bounds(s_min: int, s_max: int) -> None:
    if not isinstance(s_max, int) or isinstance(s_max, bool) or s_max < 1:
        raise ValueError(f"s_max must be an int >= 1, got {s_max!r}")
    if not isinstance(s_min, int) or isinstance(s_min, bool) or s_min > 0:
        raise ValueError(f"s_min must be an int <= 0, got {s_min!r}")


class _BIFCore(torch.nn.Module):
    """Parameters and step shared by :class:`BIFCell` and :class:`BIF`.

    Args:
        v_threshold: firing threshold ``theta`` (the quantizer step it replaces); stored as a 0-d
            buffer so ``.to(dtype)`` converts it with the rest of the network.
        s_min: lower counter bound (``0`` for a ReLU quantizer, ``-L_neg`` when signed).
        s_max: upper counter bound ``L``.
        weighted: emit ``theta * s`` (default, the converted network's convention) instead of the
            unit spikes ``s``.
    """

    v_threshold: torch.Tensor

    def __init__(
        self,
        *,
        v_threshold: float | torch.Tensor = 1.0,
        s_min: int = 0,
        s_max: int = 8,
        weighted: bool = True,
    ) -> None:
        super().__init__()
        theta = torch.as_tensor(v_threshold).detach().clone()
        if theta.dim() != 0:
            raise ValueError(f"v_threshold must be a scalar, got shape {tuple(theta.shape)}")
        if not torch.is_floating_point(theta):
            theta = theta.to(torch.get_default_dtype())
        check_positive(theta, "v_threshold")
        _check_bounds(s_min, s_max)
        self.register_buffer("v_threshold", theta)
        self.s_min = int(s_min)
        self.s_max = int(s_max)
        self.weighted = bool(weighted)
        self.backend = "torch"

    def params(self) -> BIFParams:
        """The :class:`BIFParams` of this neuron."""
        return BIFParams(self.v_threshold, self.s_min, self.s_max)

    def init_state(self, x: torch.Tensor) -> BIFState:
        """``v = theta / 2``, ``counter = 0``, shaped like one step ``x`` (``[B, ...]``)."""
        theta = self.v_threshold.to(x)
        return BIFState(torch.full_like(x, 0.0) + theta / 2, torch.zeros_like(x))

    def step(self, x: torch.Tensor, state: BIFState) -> tuple[torch.Tensor, BIFState]:
        """One step; returns the emitted output (``theta s`` or ``s``) and the new state."""
        theta = self.v_threshold.to(x)
        s, state = bif_step(x, state, BIFParams(theta, self.s_min, self.s_max))
        return (s * theta if self.weighted else s), state

    def extra_repr(self) -> str:
        """Constructor arguments shown by ``print(module)``."""
        return (
            f"v_threshold={float(self.v_threshold):.6g}, s_min={self.s_min}, s_max={self.s_max}, "
            f"weighted={self.weighted}"
        )


class BIFCell(_BIFCore, SingleStepNeuron):
    """One-step BIF: ``forward(x [B, ...], state=None) -> (output, BIFState)``.

    Examples:
        >>> cell = BIFCell(v_threshold=0.5, s_max=4)
        >>> out, state = cell(torch.tensor([0.75]))
        >>> out.tolist(), state.counter.tolist()
        ([0.5], [1.0])
    """


class BIF(_BIFCore, MultiStepNeuron):
    """Multi-step BIF layer over time-major input, optionally running on until quiet.

    With ``until_quiet=True`` the layer keeps stepping with zero input after ``x_seq`` ends, for as
    long as the previous step emitted a spike (a step without spikes under zero input can never be
    followed by one), capped at ``t_max`` total steps. The returned sequence is then longer than the
    input; its trailing all-quiet step is not included. :attr:`last_quiet` tells whether the
    last call reached quiescence (``False`` when ``t_max`` cut it short).

    See :class:`BIFCell` for the arguments.

    Examples:
        >>> bif = BIF(v_threshold=0.5, s_max=4)
        >>> x = torch.tensor([[10.0]])                      # [T=1, B=1]: s-analog input
        >>> bif(x, until_quiet=True).flatten().tolist()     # four spikes, then the counter bound
        [0.5, 0.5, 0.5, 0.5]
    """

    last_quiet: bool = True

    def forward(  # type: ignore[override]
        self,
        x_seq: torch.Tensor,
        state: BIFState | None = None,
        *,
        return_state: bool = False,
        until_quiet: bool = False,
        t_max: int | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, BIFState]:
        """Run the neuron over ``x_seq`` (and on until quiet when asked).

        Args:
            x_seq: input currents, time-major ``[T, B, ...]``.
            state: initial state or ``None`` (``v = theta/2, counter = 0``).
            return_state: also return the final state.
            until_quiet: continue with zero input until a step emits no spike.
            t_max: cap on the total number of steps when ``until_quiet`` (default ``T + 4 (S_max -
                S_min) + 1``, more than a single layer can need).

        Returns:
            Outputs ``[T_out, B, ...]`` (``T_out = T`` unless ``until_quiet``), and the final state
            when ``return_state``.
        """
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
        check_finite(x_seq, "x_seq")
        state = self._checked_state(x_seq[0], state)
        outs: list[torch.Tensor] = []
        last: torch.Tensor | None = None
        for x in x_seq:
            last, state = self.step(x, state)
            outs.append(last)
        quiet = True
        if until_quiet:
            T = x_seq.shape[0]
            cap = T + 4 * (self.s_max - self.s_min) + 1 if t_max is None else int(t_max)
            if cap < T:
                raise ValueError(f"t_max must be >= the input length {T}, got {t_max}")
            zero = torch.zeros_like(x_seq[0])
            while last is not None and bool((last != 0).any()):
                if len(outs) >= cap:
                    quiet = False
                    break
                last, state = self.step(zero, state)
                if bool((last != 0).any()):
                    outs.append(last)
        self.last_quiet = quiet
        out = torch.stack(outs)
        return (out, state) if return_state else out
