"""Encoders: turn static or time-varying analog data into time-major spike trains.

Every encoder returns ``[T, B, ...]`` in the input's dtype and device. Randomised encoders take an
optional ``generator`` for reproducibility.
"""

from __future__ import annotations

import torch

from spike_core._validation import check_finite, check_floating, check_positive, check_rank

__all__ = [
    "delta_encode",
    "direct_encode",
    "latency_encode",
    "poisson_encode",
    "population_encode",
    "rate_encode",
]


def _check_steps(T: int) -> None:
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")


def _check_input(x: torch.Tensor, name: str = "x") -> None:
    check_floating(x, name)
    check_finite(x, name)


def rate_encode(
    x: torch.Tensor, T: int, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Bernoulli rate coding: each step fires with probability ``x``.

    Args:
        x: intensities in ``[0, 1]``, ``[B, ...]``.
        T: number of time steps.
        generator: optional random generator.

    Returns:
        Binary spikes ``[T, B, ...]``.

    Raises:
        ValueError: if ``x`` leaves ``[0, 1]``.
    """
    _check_input(x)
    _check_steps(T)
    if bool((x < 0).any()) or bool((x > 1).any()):
        raise ValueError("x must hold probabilities in [0, 1] for rate encoding")
    u = torch.rand((T, *x.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (u < x).to(x.dtype)


def poisson_encode(
    x: torch.Tensor,
    T: int,
    *,
    dt: float = 1e-3,
    max_rate: float = 100.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Poisson coding: rate ``x * max_rate`` (Hz) sampled in bins of ``dt`` seconds.

    The probability of a spike in a bin is ``1 - exp(-rate * dt)`` (at most one spike per bin).

    Args:
        x: non-negative intensities ``[B, ...]`` (1.0 maps to ``max_rate``).
        T: number of bins.
        dt: bin width in seconds.
        max_rate: rate in Hz for ``x = 1``.
        generator: optional random generator.

    Returns:
        Binary spikes ``[T, B, ...]``.
    """
    _check_input(x)
    _check_steps(T)
    check_positive(dt, "dt")
    check_positive(max_rate, "max_rate")
    if bool((x < 0).any()):
        raise ValueError("x must be non-negative for Poisson encoding")
    p = -torch.expm1(-x * max_rate * dt)
    u = torch.rand((T, *x.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (u < p).to(x.dtype)


def latency_encode(
    x: torch.Tensor, T: int, *, linear: bool = True, tau: float = 5.0
) -> torch.Tensor:
    """Time-to-first-spike coding: one spike per element, earlier for larger values.

    ``linear``: spike at step ``round((1 - x) (T - 1))``. Otherwise logarithmic (RC charging):
    ``t = tau * log(x / (x - 0.2))`` clipped to ``T - 1``; ``x <= 0.2`` never fires.

    Args:
        x: intensities in ``[0, 1]``, ``[B, ...]``; 0 fires at the last step (linear).
        T: number of steps.
        linear: linear or logarithmic latency.
        tau: RC time constant of the logarithmic code (in steps).

    Returns:
        Binary spikes ``[T, B, ...]`` with at most one spike per element.
    """
    _check_input(x)
    _check_steps(T)
    if bool((x < 0).any()) or bool((x > 1).any()):
        raise ValueError("x must hold values in [0, 1] for latency encoding")
    if linear:
        t_fire = torch.round((1 - x) * (T - 1))
    else:
        check_positive(tau, "tau")
        safe = x.clamp_min(0.2 + 1e-6)
        t_fire = torch.round(tau * torch.log(safe / (safe - 0.2))).clamp(max=T - 1)
        t_fire = torch.where(x > 0.2, t_fire, torch.full_like(x, T))
    steps = torch.arange(T, device=x.device, dtype=x.dtype).view(-1, *([1] * x.dim()))
    return (steps == t_fire.unsqueeze(0)).to(x.dtype)


def delta_encode(
    x_seq: torch.Tensor, *, threshold: float = 0.1, polarity: bool = True
) -> torch.Tensor:
    """Delta (threshold-crossing) coding of a time-varying signal.

    A reference level starts at ``x_seq[0]``; at each step a spike fires when the signal moved
    at least ``threshold`` from the reference, which then moves to the current value.

    Args:
        x_seq: signal ``[T, B, ...]``.
        threshold: change needed to fire (> 0).
        polarity: emit ON and OFF channels (``[T, B, 2, ...]``, channel 0 = increase) instead of
            a single signed channel with values in ``{-1, 0, 1}``.

    Returns:
        ``[T, B, 2, ...]`` binary (``polarity=True``) or ``[T, B, ...]`` signed spikes.
    """
    _check_input(x_seq, "x_seq")
    check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
    check_positive(threshold, "threshold")
    ref = x_seq[0].clone()
    out = []
    for x in x_seq:
        d = x - ref
        up = (d >= threshold).to(x.dtype)
        down = (d <= -threshold).to(x.dtype)
        fired = (up + down) > 0
        ref = torch.where(fired, x, ref)
        out.append(torch.stack([up, down], dim=1) if polarity else up - down)
    return torch.stack(out)


def direct_encode(x: torch.Tensor, T: int) -> torch.Tensor:
    """Direct coding: repeat the analog input at every step (the first layer spikes).

    Returns ``[T, B, ...]`` (an expanded view of ``x``; call ``.contiguous()`` to copy).
    """
    _check_input(x)
    _check_steps(T)
    return x.unsqueeze(0).expand(T, *x.shape)


def population_encode(
    x: torch.Tensor,
    T: int,
    *,
    num_neurons: int = 8,
    low: float = 0.0,
    high: float = 1.0,
    sigma: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Population coding with Gaussian receptive fields.

    Neuron ``j`` has centre ``c_j`` evenly spaced on ``[low, high]`` and fires with probability
    ``exp(-(x - c_j)^2 / (2 sigma^2))`` per step (``sigma`` defaults to the centre spacing).

    Args:
        x: values ``[B, ...]``.
        T: number of steps.
        num_neurons: neurons per input element (>= 2).
        low: lower end of the encoded range.
        high: upper end of the encoded range.
        sigma: receptive-field width.
        generator: optional random generator.

    Returns:
        Binary spikes ``[T, B, ..., num_neurons]``.
    """
    _check_input(x)
    _check_steps(T)
    if num_neurons < 2:
        raise ValueError(f"num_neurons must be >= 2, got {num_neurons}")
    if not high > low:
        raise ValueError(f"high must exceed low, got low={low}, high={high}")
    centres = torch.linspace(low, high, num_neurons, device=x.device, dtype=x.dtype)
    width = sigma if sigma is not None else (high - low) / (num_neurons - 1)
    check_positive(width, "sigma")
    p = torch.exp(-((x.unsqueeze(-1) - centres) ** 2) / (2 * width**2))
    u = torch.rand((T, *p.shape), generator=generator, device=x.device, dtype=x.dtype)
    return (u < p).to(x.dtype)
