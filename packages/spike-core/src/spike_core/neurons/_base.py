"""Module shells shared by every neuron: one-step cells and multi-step (time-major) layers.

A neuron family supplies a pure step ``step(x, state) -> (spikes, new_state)`` over an explicit
``NamedTuple`` state and ``init_state(x)``; the shells here add input checks, state handling and
the loop over time. A multi-step forward starts from fresh (zero) state unless a state is given,
so a model is a pure function of its input and no global reset exists.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import torch
from torch import nn

from spike_core._validation import check_finite, check_floating, check_rank, check_state_shape

__all__ = ["MultiStepNeuron", "ResetMode", "SingleStepNeuron", "apply_reset", "simulate"]

ResetMode = Literal["hard", "soft", "none"]
_RESET_MODES = ("hard", "soft", "none")


def check_reset_mode(reset: str) -> str:
    """Raise ``ValueError`` for an unknown reset mode; return it."""
    if reset not in _RESET_MODES:
        raise ValueError(f"reset must be one of {_RESET_MODES}, got {reset!r}")
    return reset


def apply_reset(
    h: torch.Tensor,
    s: torch.Tensor,
    *,
    reset: str,
    v_threshold: torch.Tensor | float,
    v_reset: float,
    detach_reset: bool,
) -> torch.Tensor:
    """Membrane after a spike.

    ``hard``: ``v = h (1 - s) + v_reset s``; ``soft``: ``v = h - s v_threshold``; ``none``: ``v = h``.
    With ``detach_reset`` the spike used in the reset carries no gradient.

    Shapes:
        ``h``, ``s``: ``[B, ...]``; returns ``[B, ...]``.
    """
    if reset == "none":
        return h
    sr = s.detach() if detach_reset else s
    if reset == "hard":
        return h * (1.0 - sr) + v_reset * sr
    return h - sr * v_threshold


class _NeuronMixin(nn.Module):
    """Hooks every neuron family implements (documented on each family)."""

    def init_state(self, x: torch.Tensor) -> NamedTuple:  # pragma: no cover - abstract
        """Zero state for one step of input ``x`` of shape ``[B, ...]``."""
        raise NotImplementedError

    def step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:  # pragma: no cover
        """One pure step: ``(spikes, new_state)``; both shaped like ``x`` (``[B, ...]``)."""
        raise NotImplementedError

    def _checked_state(self, x: torch.Tensor, state: Any) -> Any:
        if state is None:
            return self.init_state(x)
        if not isinstance(state, tuple):
            raise TypeError(f"state must be a NamedTuple or None, got {type(state).__name__}")
        check_state_shape(state, x.shape, "state")
        return state


class SingleStepNeuron(_NeuronMixin):
    """Base of one-step neuron cells: ``forward(x [B, ...], state=None) -> (spikes, state)``."""

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Advance one step.

        Args:
            x: input current, ``[B, ...]``, floating point.
            state: the family's state NamedTuple, or ``None`` for zeros.

        Returns:
            ``(spikes, new_state)``; spikes have ``x``'s shape, dtype and device.
        """
        check_floating(x, "x")
        check_rank(x, "x", 1, "[B, ...]")
        check_finite(x, "x")
        return self.step(x, self._checked_state(x, state))


class MultiStepNeuron(_NeuronMixin):
    """Base of multi-step neuron layers over time-major input ``[T, B, ...]``.

    ``backend`` selects the implementation of the loop over time: ``"torch"`` is the reference
    Python loop over :meth:`step`; ``"auto"`` picks the fastest installed fused kernel that
    supports this neuron (see :mod:`spike_core.kernels`) and falls back to ``"torch"``.
    """

    backend: str

    def forward(
        self, x_seq: torch.Tensor, state: Any = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Run the neuron over a whole sequence.

        Args:
            x_seq: input currents, time-major ``[T, B, ...]``, floating point.
            state: initial state (shaped like one step ``[B, ...]``), or ``None`` for zeros.
            return_state: also return the state after the last step.

        Returns:
            Spikes ``[T, B, ...]`` (and the final state when ``return_state``).
        """
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
        from spike_core.kernels import resolve_backend

        kernel = resolve_backend(self, x_seq, self.backend)
        if not getattr(kernel, "checks_finite", False):  # fused kernels check while streaming
            check_finite(x_seq, "x_seq")
        state = self._checked_state(x_seq[0], state)
        spikes, state = kernel.run(self, x_seq, state)
        return (spikes, state) if return_state else spikes

    def reference_loop(self, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """The reference: :meth:`step` looped over ``T``. ``x_seq`` is ``[T, B, ...]``."""
        out = []
        for x in x_seq:
            s, state = self.step(x, state)
            out.append(s)
        return torch.stack(out), state


def simulate(
    neuron: SingleStepNeuron | MultiStepNeuron, x_seq: torch.Tensor, state: Any = None
) -> tuple[torch.Tensor, Any]:
    """Run ``neuron`` over ``x_seq`` and record every state (for membrane plots and analysis).

    Args:
        neuron: any spike-core neuron (cell or layer).
        x_seq: input, time-major ``[T, B, ...]``.
        state: initial state or ``None``.

    Returns:
        ``(spikes [T, B, ...], states)`` where ``states`` is the family's NamedTuple with every
        field stacked over time (``[T, B, ...]``).
    """
    check_floating(x_seq, "x_seq")
    check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
    check_finite(x_seq, "x_seq")
    state = neuron._checked_state(x_seq[0], state)
    spikes, states = [], []
    for x in x_seq:
        s, state = neuron.step(x, state)
        spikes.append(s)
        states.append(state)
    stacked = type(state)(*(torch.stack(f) for f in zip(*states, strict=True)))
    return torch.stack(spikes), stacked
