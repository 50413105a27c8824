"""Input encodings for converted networks: s-analog (single-step analog) and spread charge.

A converted BIF network is exact when the *total* charge delivered to its first layer equals the
analog input. ``s_analog_encode`` injects ``x`` once, at the first step, and zeros afterwards;
``spread_encode`` delivers ``x / T`` on each of ``T`` steps (also exact once the network runs to
quiet). Repeating the full ``x`` every step (``spike_core.direct_encode``) delivers ``T x`` and is
*not* equivalent to the quantized network.
"""

from __future__ import annotations

import torch

from spike_core._validation import check_finite, check_floating

__all__ = ["s_analog_encode", "spread_encode"]


def _check_steps(time_steps: int) -> None:
    if not isinstance(time_steps, int) or isinstance(time_steps, bool) or time_steps < 1:
        raise ValueError(f"time_steps must be a positive int, got {time_steps!r}")


def s_analog_encode(x: torch.Tensor, time_steps: int = 1) -> torch.Tensor:
    """Single-step analog encoding: ``x`` at the first step, zeros for the remaining steps.

    Args:
        x: analog input, batch-major ``[B, ...]``.
        time_steps: total number of steps ``T`` (``>= 1``).

    Returns:
        Time-major ``[T, B, ...]`` with ``out[0] = x`` and ``out[1:] = 0``.

    Shapes:
        ``[B, ...] -> [T, B, ...]``.

    Examples:
        >>> s_analog_encode(torch.tensor([[2.0]]), 3).flatten().tolist()
        [2.0, 0.0, 0.0]
    """
    check_floating(x, "x")
    check_finite(x, "x")
    _check_steps(time_steps)
    out = x.new_zeros((time_steps, *x.shape))
    out[0] = x
    return out


def spread_encode(x: torch.Tensor, time_steps: int) -> torch.Tensor:
    """Spread the charge ``x`` evenly: ``x / T`` on each of ``T`` steps (total charge ``x``).

    Args:
        x: analog input, batch-major ``[B, ...]``.
        time_steps: number of steps ``T``.

    Returns:
        Time-major ``[T, B, ...]``.

    Shapes:
        ``[B, ...] -> [T, B, ...]``.

    Examples:
        >>> spread_encode(torch.tensor([[2.0]]), 4).flatten().tolist()
        [0.5, 0.5, 0.5, 0.5]
    """
    check_floating(x, "x")
    check_finite(x, "x")
    _check_steps(time_steps)
    return (x / time_steps).unsqueeze(0).expand(time_steps, *x.shape).clone()
