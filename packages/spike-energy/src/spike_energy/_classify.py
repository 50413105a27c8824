"""Classify the input of a synaptic operation: binary spikes, integer spikes or real values."""

from __future__ import annotations

import dataclasses

import torch

__all__ = ["InputStats", "input_stats", "syops_spike_rate"]

BINARY = "binary"
INTEGER = "integer"
REAL = "real"


@dataclasses.dataclass
class InputStats:
    """Statistics of one input tensor.

    Attributes:
        kind: ``"binary"`` (values in {0, 1}), ``"integer"`` (integer values, e.g. I-LIF counts
            or ternary spikes, counted by absolute value) or ``"real"``.
        abs_sum: sum of absolute values (the number of unit spikes for spike inputs).
        nonzero: number of non-zero elements.
        numel: number of elements.
        max_abs: largest absolute value.
    """

    kind: str
    abs_sum: float
    nonzero: int
    numel: int
    max_abs: float

    @property
    def rate(self) -> float:
        """Mean absolute value per element (the firing rate; may exceed 1 for integer spikes)."""
        return self.abs_sum / self.numel if self.numel else 0.0


def exact_sum(x: torch.Tensor) -> float:
    """Sum of ``x`` (float32 accumulation while exact for integer values, else float64)."""
    if x.is_floating_point() and x.numel() < 2**24:
        return float(x.sum())
    return float(x.sum(dtype=torch.float64))


@torch.no_grad()
def input_stats(x: torch.Tensor) -> InputStats:
    """Classify ``x`` and measure its rate, in as few passes over ``x`` as possible.

    Binary spike tensors (the common case) take three fast reductions: min/max, sum and
    sum of squares.

    Args:
        x: any tensor (a layer input).

    Returns:
        The :class:`InputStats` of ``x``.
    """
    numel = x.numel()
    if numel == 0:
        return InputStats(BINARY, 0.0, 0, 0, 0.0)
    x = x.detach()
    if x.is_complex():
        x = x.abs()
    mn, mx = (float(v) for v in torch.aminmax(x))
    if mn >= 0 and mx <= 1:
        total = exact_sum(x)
        # in [0, 1], x^2 <= x with equality only at 0 and 1: binary iff sum(x^2) == sum(x)
        if x.is_floating_point() and numel < 2**24:
            flat = x.reshape(-1)
            if float(torch.dot(flat, flat)) == total:
                return InputStats(BINARY, total, round(total), numel, mx)
            nonzero = int(torch.count_nonzero(x))
        else:
            nonzero = int(torch.count_nonzero(x))
            if total == nonzero:
                return InputStats(BINARY, total, nonzero, numel, mx)
        return InputStats(REAL, total, nonzero, numel, mx)
    nonzero = int(torch.count_nonzero(x))
    is_int = not x.is_floating_point() or bool(torch.equal(x, torch.round(x)))
    abs_sum = exact_sum(x.abs()) if mn < 0 else exact_sum(x)
    kind = INTEGER if is_int else REAL
    return InputStats(kind, abs_sum, nonzero, numel, max(abs(mn), abs(mx)))


@torch.no_grad()
def syops_spike_rate(x: torch.Tensor) -> tuple[bool, float]:
    """The ``syops`` package's spike test: at most two distinct values within ``[0, 1]``.

    Args:
        x: any tensor.

    Returns:
        ``(is_spike, rate)``: ``rate`` is the mean for spike tensors and 1 otherwise (so an
        all-0.5 tensor counts as spiking with rate 0.5, as in syops).
    """
    if x.numel() == 0:
        return True, 0.0
    if len(x.unique()) <= 2 and float(x.max()) <= 1 and float(x.min()) >= 0:
        return True, float(x.sum() / x.numel())
    return False, 1.0
