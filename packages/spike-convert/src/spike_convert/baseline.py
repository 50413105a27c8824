"""Baseline: classic rate-coded ANN-to-SNN conversion (data-based normalisation, IF neurons).

The ANN's ReLUs become integrate-and-fire neurons (threshold 1, reset by subtraction, membrane
starting at 0); the analog input is applied as a constant current every step (direct encoding) and
the output is the *mean* over ``T`` steps of the last layer. Weights are normalised layer by layer
with the activation scale ``lambda_l`` measured on calibration data (the maximum, or a percentile
for robustness)::

    W_l <- W_l * lambda_{l-1} / lambda_l,   b_l <- b_l / lambda_l       (lambda_0 = 1)
    W_out <- W_out * lambda_{L-1}                                         (output layer, no neuron)

The rate approximation only converges as ``T`` grows, which is what exact conversion avoids; this
module exists so the two can be compared on the same network.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from spike_convert.fold import fold_batchnorm
from spike_core import IF, SeqToBatch, direct_encode

__all__ = ["RateCodedSNN", "rate_convert"]

_SYNAPSES = (nn.Linear, nn.Conv1d, nn.Conv2d)
_STATELESS = (nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.Flatten)


class RateCodedSNN(nn.Module):
    """A rate-coded converted network: synapses (time folded) and IF neurons.

    Args:
        net: ``nn.Sequential`` of ``SeqToBatch`` layers and ``spike_core.IF`` neurons.

    Shapes:
        ``forward``: ``[T, B, ...] -> [T, B, K]``; ``run``: analog ``[B, ...] -> [B, K]``.
    """

    def __init__(self, net: nn.Sequential) -> None:
        super().__init__()
        self.net = net

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Per-step outputs ``[T, B, K]`` for time-major input currents ``[T, B, ...]``.

        Args:
            x_seq: input currents ``[T, B, ...]``.

        Returns:
            Per-step output ``[T, B, K]``.
        """
        return self.net(x_seq)

    @torch.no_grad()
    def run(self, x: torch.Tensor, time_steps: int) -> torch.Tensor:
        """Direct-encode ``x`` for ``time_steps`` and return the mean output.

        Args:
            x: analog input ``[B, ...]``.
            time_steps: simulation length ``T``.

        Returns:
            ``[B, K]``: approximates the ANN output as ``T`` grows.
        """
        return self(direct_encode(x, time_steps)).mean(0)


@torch.no_grad()
def _activation_scales(
    model: nn.Sequential, x: torch.Tensor, percentile: float | None
) -> list[float]:
    scales = []
    h = x
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.ReLU):
            flat = h.flatten()
            value = (
                float(flat.max())
                if percentile is None
                else float(torch.quantile(flat.float()[: 2**24], percentile / 100.0))
            )
            scales.append(value if value > 0 else 1.0)
    return scales


def rate_convert(
    model: nn.Module,
    calibration: torch.Tensor,
    *,
    percentile: float | None = 99.9,
) -> RateCodedSNN:
    """Rate-coded conversion with max (``percentile=None``) or percentile normalisation.

    Args:
        model: float ``nn.Sequential`` of Linear/Conv1d/Conv2d, BatchNorm (folded), ReLU,
            AvgPool, Flatten, Dropout.
        calibration: input batch ``[B, ...]`` for the activation scales.
        percentile: activation percentile in ``(0, 100]`` (99.9 is the usual robust choice) or
            ``None`` for the maximum.

    Returns:
        The :class:`RateCodedSNN`.

    Raises:
        ValueError: unsupported layers (named), bad ``percentile``.

    Shapes:
        The SNN runs over time-major ``[T, B, ...]``.
    """
    if percentile is not None and not 0.0 < float(percentile) <= 100.0:
        raise ValueError(f"percentile must be in (0, 100] or None, got {percentile!r}")
    was_training = model.training
    model.eval()
    folded = fold_batchnorm(model)
    model.train(was_training)
    if not isinstance(folded, nn.Sequential):
        folded = nn.Sequential(folded)
    layers = [m for m in folded if not isinstance(m, nn.Identity | nn.Dropout)]
    for i, m in enumerate(layers):
        if isinstance(m, nn.Sequential) or not isinstance(m, (nn.ReLU, *_SYNAPSES, *_STATELESS)):
            raise ValueError(
                f"layer {i!r} of type {type(m).__name__} is not supported by the rate-coded "
                "baseline (flat nn.Sequential of Linear/Conv/ReLU/AvgPool/Flatten)"
            )
    flat = nn.Sequential(*layers)
    scales = _activation_scales(flat, calibration, percentile)
    out: list[nn.Module] = []
    prev, k = 1.0, 0
    pending: nn.Linear | nn.Conv1d | nn.Conv2d | None = None
    for m in flat:
        if isinstance(m, _SYNAPSES):
            pending = copy.deepcopy(m)
            out.append(pending)
        elif isinstance(m, nn.ReLU):
            lam = scales[k]
            k += 1
            if pending is None:
                raise ValueError(
                    "a ReLU must follow a Linear/Conv layer in the rate-coded baseline"
                )
            with torch.no_grad():
                pending.weight.mul_(prev / lam)
                if pending.bias is not None:
                    pending.bias.div_(lam)
            prev, pending = lam, None
            out.append(IF(v_threshold=1.0, reset="soft", backend="torch"))
        else:
            out.append(copy.deepcopy(m))
    if pending is not None:
        with torch.no_grad():
            pending.weight.mul_(prev)
    seq = nn.Sequential(*(m if isinstance(m, IF) else SeqToBatch(m) for m in out))
    return RateCodedSNN(seq).eval()
