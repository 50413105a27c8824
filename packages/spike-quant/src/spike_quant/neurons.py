"""Integer ("multi-bit") spiking neurons of QSD-Transformer and Spike-driven Transformer V3.

All three are stateless presets of spike-core's :class:`~spike_core.IntLIF` (``beta = 0``, no
membrane carried between time steps) with ``D = 4`` levels::

    IE-LIF      (QSD backbone):   IE(x)     = floor(clip(4 x, 0, 4) + 0.5) / 4
    IE-LIF att  (QSD attention):  IE_att(x) = floor(clip(4 x, 0, 4) + 0.5) / 2
    MultiSpike  (SDT V3, QSD neck/head):  round_half_even(clip(u, 0, 4)) / 4

Backward is straight-through inside the range (gradient 1 of the integer count with respect to the
scaled input for ``0 < D x < D``, 0 outside). At inference an integer count ``k`` becomes ``k`` binary
spikes over ``D`` virtual steps (:func:`spike_core.expand_to_binary`); :func:`fold_norm_into`
moves the ``1 / norm`` of the emitted value into the next layer's weights.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from spike_core import IntLIF, int_spike
from spike_core._validation import check_finite, check_floating, check_rank

__all__ = ["IELIF", "IEAttLIF", "MultiSpike", "fold_norm_into", "ie", "ie_att", "multispike"]


def ie(x: torch.Tensor, levels: int = 4) -> torch.Tensor:
    """Training-form IE-LIF output ``floor(clip(D x, 0, D) + 0.5) / D``.

    Args:
        x: input (any shape, floating point).
        levels: ``D``.

    Returns:
        Values in ``{0, 1/D, ..., 1}`` shaped like ``x``, with a straight-through gradient.

    Examples:
        >>> ie(torch.tensor([-0.1, 0.13, 0.62, 0.88, 1.2])).tolist()
        [0.0, 0.25, 0.5, 1.0, 1.0]
    """
    return int_spike(levels * x, levels, "half_up") / levels


def ie_att(x: torch.Tensor, levels: int = 4) -> torch.Tensor:
    """Attention-output IE-LIF ``floor(clip(D x, 0, D) + 0.5) / 2`` (values ``{0, .5, ..., 2}``).

    Args:
        x: input (any shape).
        levels: ``D``.

    Returns:
        Tensor shaped like ``x``.
    """
    return int_spike(levels * x, levels, "half_up") / 2


def multispike(u: torch.Tensor, levels: int = 4, norm: float = 4.0) -> torch.Tensor:
    """Spike-driven Transformer V3 ``MultiSpike``: ``round_half_even(clip(u, 0, D)) / norm``.

    Args:
        u: input (any shape).
        levels: ``D``.
        norm: divisor of the count.

    Returns:
        Tensor shaped like ``u``.
    """
    return int_spike(u, levels, "half_even") / norm


class _Stateless(IntLIF):
    """Stateless integer neuron: the whole ``[T, B, ...]`` sequence in one elementwise call."""

    def forward(
        self, x_seq: torch.Tensor, state: Any = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Integer spikes of ``x_seq`` (``[T, B, ...]``); no state is carried (``beta = 0``).

        Args:
            x_seq: input, time-major ``[T, B, ...]``, floating point.
            state: ignored apart from its shape check (the neuron keeps no membrane).
            return_state: also return the (zero) final state.

        Returns:
            Spikes ``k / norm`` shaped like ``x_seq`` (and the state when asked).
        """
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
        check_finite(x_seq, "x_seq")
        state = self._checked_state(x_seq[0], state)
        k = int_spike(self.input_scale * x_seq, self.levels, self.rounding)
        out = k / self.norm if self.norm != 1.0 else k
        return (out, self.init_state(x_seq[0])) if return_state else out


class IELIF(_Stateless):
    """QSD-Transformer IE-LIF: ``IntLIF(levels=D, input_scale=D, norm=D)``, stateless, half up.

    Args:
        levels: ``D`` (4 in QSD).
        backend: kernel for the loop over time.

    Shapes:
        input ``[T, B, ...]``, output the same shape with values in ``{0, 1/D, ..., 1}``.

    Examples:
        >>> IELIF()(torch.tensor([[0.13], [0.62]])).flatten().tolist()
        [0.25, 0.5]
    """

    def __init__(self, *, levels: int = 4, backend: str = "auto") -> None:
        super().__init__(
            levels=levels, input_scale=levels, norm=levels, rounding="half_up", backend=backend
        )


class IEAttLIF(_Stateless):
    """QSD attention-output neuron: ``IntLIF(levels=D, input_scale=D, norm=2)`` (values ``k / 2``).

    Args:
        levels: ``D`` (4 in QSD).
        backend: kernel for the loop over time.

    Shapes:
        input ``[T, B, ...]``, output the same shape with values in ``{0, 0.5, ..., D/2}``.
    """

    def __init__(self, *, levels: int = 4, backend: str = "auto") -> None:
        super().__init__(
            levels=levels, input_scale=levels, norm=2.0, rounding="half_up", backend=backend
        )


class MultiSpike(_Stateless):
    """Spike-driven Transformer V3 ``MultiSpike``: ``IntLIF(levels=D, input_scale=1, norm, half_even)``.

    Args:
        levels: ``D`` (4).
        norm: divisor of the emitted count (``D`` by default; QSD's ``MultiSpike_norm`` uses 4).
        backend: kernel for the loop over time.

    Shapes:
        input ``[T, B, ...]``, output the same shape.
    """

    def __init__(
        self, *, levels: int = 4, norm: float | None = None, backend: str = "auto"
    ) -> None:
        super().__init__(
            levels=levels,
            input_scale=1.0,
            norm=float(levels if norm is None else norm),
            rounding="half_even",
            backend=backend,
        )


@torch.no_grad()
def fold_norm_into(layer: nn.Module, norm: float) -> nn.Module:
    """Fold an integer neuron's ``1 / norm`` into the next linear/conv layer, in place.

    After folding, feeding the *integer counts* ``k`` (or their binary expansion summed over the
    virtual steps) into ``layer`` gives the output it gave for ``k / norm``. For a quantized layer
    the step sizes are divided (the integer codes are unchanged); for a float layer the weight is.

    Args:
        layer: an ``nn.Linear``/``nn.ConvNd`` or a quantized layer of this package.
        norm: the neuron's divisor (4 for IE-LIF, 2 for the attention neuron).

    Returns:
        ``layer`` (modified).

    Raises:
        TypeError: if ``layer`` has no ``weight``.
        ValueError: if ``norm`` is not positive.
    """
    if not norm > 0:
        raise ValueError(f"norm must be > 0, got {norm!r}")
    quant = getattr(layer, "weight_quant", None)
    if quant is not None:
        quant.step.div_(norm)
        quant.init_state.fill_(1)  # keep the folded steps (no re-initialisation in training)
        cast(torch.Tensor, layer.weight).div_(norm)
        return layer
    weight = getattr(layer, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"layer must have a weight tensor, got {type(layer).__name__}")
    weight.div_(norm)
    return layer
