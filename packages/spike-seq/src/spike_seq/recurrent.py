"""Spiking recurrent layers: recurrent LIF / ALIF and a spiking GRU-style cell.

Each layer feeds its own previous spikes back through a recurrent weight. The input projection
of a whole sequence is one matrix product (``Linear`` over ``[T, B, C]``); only the recurrence
loops over time. One-step cells take ``[B, C]``; multi-step layers take time-major
``[T, B, C]``; both thread an explicit ``NamedTuple`` state (``None`` means zeros)::

    Recurrent LIF / ALIF:  I_t = W x_t + U s_{t-1} + b ;  (s_t, v_t) = neuron(I_t, v_{t-1})

    Spiking GRU:           z_t = sigmoid(W_z x_t + U_z s_{t-1} + b_z)        update gate
                           r_t = sigmoid(W_r x_t + U_r s_{t-1} + b_r)        reset gate
                           i_t = W_i x_t + U_i (r_t * s_{t-1}) + b_i         candidate current
                           h_t = z_t * v_{t-1} + (1 - z_t) * i_t             gated membrane
                           s_t = H(h_t - v_threshold);  v_t = h_t - s_t v_threshold

The neurons are spike-core's (:class:`~spike_core.LIFCell`, :class:`~spike_core.ALIFCell`); the
GRU-style cell replaces the fixed leak of a LIF by a learned, input-dependent gate.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn

from spike_core import ALIFCell, ALIFState, LIFCell, LIFState, get_surrogate
from spike_core._validation import check_finite, check_floating

__all__ = [
    "RecurrentALIF",
    "RecurrentALIFCell",
    "RecurrentALIFState",
    "RecurrentLIF",
    "RecurrentLIFCell",
    "RecurrentLIFState",
    "SpikingGRU",
    "SpikingGRUCell",
    "SpikingGRUState",
]


class RecurrentLIFState(NamedTuple):
    """Recurrent LIF state: membrane ``v`` and last spikes ``s``, each ``[B, H]``."""

    v: torch.Tensor
    s: torch.Tensor


class RecurrentALIFState(NamedTuple):
    """Recurrent ALIF state: membrane ``v``, adaptation ``a`` and last spikes ``s``, ``[B, H]``."""

    v: torch.Tensor
    a: torch.Tensor
    s: torch.Tensor


class SpikingGRUState(NamedTuple):
    """Spiking GRU state: membrane ``v`` and last spikes ``s``, each ``[B, H]``."""

    v: torch.Tensor
    s: torch.Tensor


def _check_x(x: torch.Tensor, name: str, rank: int, size: int, layout: str) -> None:
    check_floating(x, name)
    check_finite(x, name)
    if x.dim() != rank or x.shape[-1] != size:
        raise ValueError(f"{name} must have shape {layout} with C={size}, got {tuple(x.shape)}")


class _Recurrent(nn.Module):
    """Shared shell: input/recurrent projections, state checks and the loop over time."""

    hidden_size: int

    def __init__(self, *, input_size: int, hidden_size: int, bias: bool, gates: int) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(
                f"input_size and hidden_size must be >= 1, got {input_size}, {hidden_size}"
            )
        self.input_size, self.hidden_size = input_size, hidden_size
        self.input = nn.Linear(input_size, gates * hidden_size, bias=bias)
        self.recurrent = nn.Linear(hidden_size, gates * hidden_size, bias=False)

    def init_state(self, x: torch.Tensor) -> Any:  # pragma: no cover - abstract
        """Zero state for one input step ``x`` ``[B, C]``."""
        raise NotImplementedError

    def _cell(self, xin: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:  # pragma: no cover
        raise NotImplementedError

    def _checked(self, x: torch.Tensor, state: Any) -> Any:
        if state is None:
            return self.init_state(x)
        want = (x.shape[0], self.hidden_size)
        for f, t in zip(state._fields, state, strict=True):
            if tuple(t.shape) != want:
                raise ValueError(f"state.{f} has shape {tuple(t.shape)}, expected {want}")
        return state

    def step(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """One step: ``x`` ``[B, C]`` -> ``(spikes [B, H], new_state)``."""
        _check_x(x, "x", 2, self.input_size, "[B, C]")
        return self._cell(self.input(x), self._checked(x, state))

    def run(
        self, x_seq: torch.Tensor, state: Any = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Run over ``x_seq`` ``[T, B, C]``: spikes ``[T, B, H]`` (and the final state)."""
        _check_x(x_seq, "x_seq", 3, self.input_size, "[T, B, C]")
        state = self._checked(x_seq[0], state)
        xin = self.input(x_seq)  # all time steps in one product
        out = []
        for t in range(x_seq.shape[0]):
            s, state = self._cell(xin[t], state)
            out.append(s)
        spikes = torch.stack(out)
        return (spikes, state) if return_state else spikes


class _RLIFCore(_Recurrent):
    def __init__(
        self, *, input_size: int, hidden_size: int, bias: bool = True, **neuron: Any
    ) -> None:
        super().__init__(input_size=input_size, hidden_size=hidden_size, bias=bias, gates=1)
        self.neuron = LIFCell(**neuron)

    def init_state(self, x: torch.Tensor) -> RecurrentLIFState:
        """Zero state for ``x`` ``[B, C]``."""
        z = x.new_zeros(x.shape[0], self.hidden_size)
        return RecurrentLIFState(self.neuron.init_state(z).v, z)

    def _cell(
        self, xin: torch.Tensor, state: RecurrentLIFState
    ) -> tuple[torch.Tensor, RecurrentLIFState]:
        s, ns = self.neuron.step(xin + self.recurrent(state.s), LIFState(state.v))
        return s, RecurrentLIFState(ns.v, s)


class RecurrentLIFCell(_RLIFCore):
    """One-step recurrent LIF: ``forward(x [B, C], state) -> (spikes [B, H], state)``.

    Args:
        input_size: ``C``.
        hidden_size: ``H``.
        bias: input bias.
        **neuron: :class:`~spike_core.LIFCell` arguments (``tau_mem``, ``v_threshold``, ...).
    """

    def forward(
        self, x: torch.Tensor, state: RecurrentLIFState | None = None
    ) -> tuple[torch.Tensor, RecurrentLIFState]:
        """See :meth:`step`."""
        return self.step(x, state)


class RecurrentLIF(_RLIFCore):
    """Multi-step recurrent LIF over ``[T, B, C]`` (arguments as :class:`RecurrentLIFCell`).

    Examples:
        >>> layer = RecurrentLIF(input_size=3, hidden_size=4)
        >>> layer(torch.randn(5, 2, 3)).shape
        torch.Size([5, 2, 4])
    """

    def forward(
        self,
        x_seq: torch.Tensor,
        state: RecurrentLIFState | None = None,
        *,
        return_state: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, RecurrentLIFState]:
        """Spikes ``[T, B, H]`` (and the final state when ``return_state``)."""
        return self.run(x_seq, state, return_state=return_state)


class _RALIFCore(_Recurrent):
    def __init__(
        self, *, input_size: int, hidden_size: int, bias: bool = True, **neuron: Any
    ) -> None:
        super().__init__(input_size=input_size, hidden_size=hidden_size, bias=bias, gates=1)
        self.neuron = ALIFCell(**neuron)

    def init_state(self, x: torch.Tensor) -> RecurrentALIFState:
        """Zero state for ``x`` ``[B, C]``."""
        z = x.new_zeros(x.shape[0], self.hidden_size)
        st = self.neuron.init_state(z)
        return RecurrentALIFState(st.v, st.a, z)

    def _cell(
        self, xin: torch.Tensor, state: RecurrentALIFState
    ) -> tuple[torch.Tensor, RecurrentALIFState]:
        s, ns = self.neuron.step(xin + self.recurrent(state.s), ALIFState(state.v, state.a))
        return s, RecurrentALIFState(ns.v, ns.a, s)


class RecurrentALIFCell(_RALIFCore):
    """One-step recurrent adaptive LIF (LSNN-style): ``(x [B, C], state) -> (spikes [B, H], state)``.

    Args:
        input_size: ``C``.
        hidden_size: ``H``.
        bias: input bias.
        **neuron: :class:`~spike_core.ALIFCell` arguments (``tau_adapt``, ``beta_adapt``, ...).
    """

    def forward(
        self, x: torch.Tensor, state: RecurrentALIFState | None = None
    ) -> tuple[torch.Tensor, RecurrentALIFState]:
        """See :meth:`step`."""
        return self.step(x, state)


class RecurrentALIF(_RALIFCore):
    """Multi-step recurrent ALIF over ``[T, B, C]`` (arguments as :class:`RecurrentALIFCell`)."""

    def forward(
        self,
        x_seq: torch.Tensor,
        state: RecurrentALIFState | None = None,
        *,
        return_state: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, RecurrentALIFState]:
        """Spikes ``[T, B, H]`` (and the final state when ``return_state``)."""
        return self.run(x_seq, state, return_state=return_state)


class _GRUCore(_Recurrent):
    def __init__(
        self,
        *,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        v_threshold: float = 1.0,
        surrogate: str = "atan",
        surrogate_kwargs: dict[str, float] | None = None,
    ) -> None:
        super().__init__(input_size=input_size, hidden_size=hidden_size, bias=bias, gates=3)
        if not v_threshold > 0:
            raise ValueError(f"v_threshold must be > 0, got {v_threshold!r}")
        self.v_threshold = float(v_threshold)
        self.surrogate = get_surrogate(surrogate, **(surrogate_kwargs or {}))

    def init_state(self, x: torch.Tensor) -> SpikingGRUState:
        """Zero state for ``x`` ``[B, C]``."""
        z = x.new_zeros(x.shape[0], self.hidden_size)
        return SpikingGRUState(z, z)

    def _cell(
        self, xin: torch.Tensor, state: SpikingGRUState
    ) -> tuple[torch.Tensor, SpikingGRUState]:
        H = self.hidden_size
        xz, xr, xi = xin.split(H, dim=-1)
        uz, ur, ui = self.recurrent.weight.split(H, dim=0)
        z = torch.sigmoid(xz + state.s @ uz.T)
        r = torch.sigmoid(xr + state.s @ ur.T)
        h = z * state.v + (1 - z) * (xi + (r * state.s) @ ui.T)
        s = self.surrogate(h - self.v_threshold)
        return s, SpikingGRUState(h - s * self.v_threshold, s)


class SpikingGRUCell(_GRUCore):
    """One-step spiking GRU-style cell (equations in the module docstring).

    Args:
        input_size: ``C``.
        hidden_size: ``H``.
        bias: input biases.
        v_threshold: firing threshold.
        surrogate: surrogate-gradient name; ``surrogate_kwargs`` sets its parameter.

    Shapes:
        ``forward(x [B, C], state) -> (spikes [B, H], SpikingGRUState)``.
    """

    def forward(
        self, x: torch.Tensor, state: SpikingGRUState | None = None
    ) -> tuple[torch.Tensor, SpikingGRUState]:
        """See :meth:`step`."""
        return self.step(x, state)


class SpikingGRU(_GRUCore):
    """Multi-step spiking GRU-style layer over ``[T, B, C]`` (arguments as :class:`SpikingGRUCell`)."""

    def forward(
        self,
        x_seq: torch.Tensor,
        state: SpikingGRUState | None = None,
        *,
        return_state: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, SpikingGRUState]:
        """Spikes ``[T, B, H]`` (and the final state when ``return_state``)."""
        return self.run(x_seq, state, return_state=return_state)
