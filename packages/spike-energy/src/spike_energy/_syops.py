"""The counting rules of the ``syops`` package (PyPI ``syops`` 0.0.5), reimplemented.

Each rule maps one module call to ``(total, acs, macs, rate)``; the spike test is
:func:`~spike_energy._classify.syops_spike_rate`. Module types are matched exactly (as syops
does), so subclasses are not counted. The rules follow the released 0.0.5 code (which differs
from the repository head: there, LIF nodes also add to MACs and average pooling is always MAC).
spike-core neurons are added to the table with syops' neuron rule; SpikingJelly nodes are
recognised by class name without importing SpikingJelly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from spike_energy._classify import syops_spike_rate

__all__ = ["syops_rule"]

Rule = Callable[[nn.Module, torch.Tensor, Any], tuple[float, float, float, float]]


def _split(ops: float, x: torch.Tensor) -> tuple[float, float, float, float]:
    spike, rate = syops_spike_rate(x)
    return (ops, ops * rate, 0.0, rate) if spike else (ops, 0.0, ops, rate)


def _conv(m: nn.Module, x: torch.Tensor, out: Any) -> tuple[float, float, float, float]:
    per_pos = math.prod(m.kernel_size) * m.in_channels * (m.out_channels // m.groups)  # type: ignore[arg-type,operator]
    positions = x.shape[0] * math.prod(out.shape[2:])
    ops = per_pos * positions + (m.out_channels * positions if m.bias is not None else 0)  # type: ignore[operator]
    return _split(float(ops), x)


def _linear(m: nn.Module, x: torch.Tensor, out: Any) -> tuple[float, float, float, float]:
    n_out = out.shape[-1]
    # quirk kept from syops: the bias term is added once, not per sample or token
    ops = x.numel() * n_out + (n_out if m.bias is not None else 0)
    return _split(float(ops), x)


def _norm(m: nn.Module, x: torch.Tensor, _out: Any) -> tuple[float, float, float, float]:
    return _split(float(x.numel() * (2 if m.affine else 1)), x)


def _pool(_m: nn.Module, x: torch.Tensor, _out: Any) -> tuple[float, float, float, float]:
    return _split(float(x.numel()), x)


def _act(_m: nn.Module, _x: torch.Tensor, out: Any) -> tuple[float, float, float, float]:
    # quirk kept from syops: the spike test looks at the first sample of the output only
    n = float(out.numel())
    spike, rate = syops_spike_rate(out[0])
    return (n, n * rate, 0.0, rate) if spike else (n, 0.0, n, rate)


def _upsample(_m: nn.Module, _x: torch.Tensor, out: Any) -> tuple[float, float, float, float]:
    # quirk kept from syops: counts the elements of the first sample of the output only
    n = float(out[0].numel())
    spike, rate = syops_spike_rate(out[0])
    return (n, n * rate, 0.0, rate) if spike else (n, 0.0, n, rate)


def _neuron(_m: nn.Module, x: torch.Tensor, _out: Any) -> tuple[float, float, float, float]:
    # syops 0.0.5 (IF, LIF and PLIF nodes alike): input.numel() into the total and the ACs
    n = float(x.numel())
    return n, n, 0.0, 1.0


_TYPES: dict[type, Rule] = {
    **dict.fromkeys((nn.Conv1d, nn.Conv2d, nn.Conv3d), _conv),
    **dict.fromkeys((nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d), _conv),
    nn.Linear: _linear,
    **dict.fromkeys(
        (
            nn.BatchNorm1d,
            nn.BatchNorm2d,
            nn.BatchNorm3d,
            nn.InstanceNorm1d,
            nn.InstanceNorm2d,
            nn.InstanceNorm3d,
            nn.GroupNorm,
        ),
        _norm,
    ),
    **dict.fromkeys(
        (
            nn.MaxPool1d,
            nn.MaxPool2d,
            nn.MaxPool3d,
            nn.AdaptiveMaxPool1d,
            nn.AdaptiveMaxPool2d,
            nn.AdaptiveMaxPool3d,
            nn.AvgPool1d,
            nn.AvgPool2d,
            nn.AvgPool3d,
            nn.AdaptiveAvgPool1d,
            nn.AdaptiveAvgPool2d,
            nn.AdaptiveAvgPool3d,
        ),
        _pool,
    ),
    **dict.fromkeys((nn.ReLU, nn.PReLU, nn.ELU, nn.LeakyReLU, nn.ReLU6, nn.GELU), _act),
    nn.Upsample: _upsample,
}
_SJ_NEURONS = frozenset(
    {
        "IFNode",
        "MultiStepIFNode",
        "LIFNode",
        "MultiStepLIFNode",
        "ParametricLIFNode",
        "MultiStepParametricLIFNode",
    }
)


def syops_rule(module: nn.Module, *, is_core_neuron: bool) -> Rule | None:
    """The syops rule for ``module``, or ``None`` when syops treats it as a zero-op.

    Args:
        module: any module.
        is_core_neuron: whether ``module`` is a spike-core neuron.

    Returns:
        The rule, or ``None``.
    """
    rule = _TYPES.get(type(module))
    if rule is not None:
        return rule
    if is_core_neuron:
        return _neuron
    if type(module).__module__.startswith("spikingjelly") and type(module).__name__ in _SJ_NEURONS:
        return _neuron
    return None
