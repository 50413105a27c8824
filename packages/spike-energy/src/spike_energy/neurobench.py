"""NeuroBench static metrics: footprint, connection sparsity, activation sparsity.

Synaptic operations in NeuroBench's convention come from ``Counter(model, mode="neurobench")``.
"""

from __future__ import annotations

import torch
from torch import nn

from spike_energy.report import EnergyReport

__all__ = ["activation_sparsity", "connection_sparsity", "footprint"]


def footprint(model: nn.Module) -> int:
    """Memory footprint in bytes: every parameter and buffer, ``numel * element_size``.

    Args:
        model: any module.

    Returns:
        Bytes.

    Examples:
        >>> footprint(nn.Linear(96, 50, bias=False))
        19200
    """
    tensors = [*model.parameters(), *model.buffers()]
    return int(sum(t.numel() * t.element_size() for t in tensors))


def connection_sparsity(model: nn.Module) -> float:
    """Fraction of zero weights over the Linear and convolution layers.

    Args:
        model: any module.

    Returns:
        Zero weights / all weights (0.0 without such layers).
    """
    zeros = total = 0
    for m in model.modules():
        if isinstance(m, nn.Linear | nn.modules.conv._ConvNd):
            zeros += int((m.weight == 0).sum())
            total += m.weight.numel()
    return zeros / total if total else 0.0


def activation_sparsity(report: EnergyReport) -> float:
    """Fraction of zero neuron outputs over all spiking-neuron layers of a report.

    Uses the emitted spike value per element (binary spikes: the firing rate), so it is exact
    for binary neurons: ``1 - sum(spikes) / sum(elements)``.

    Args:
        report: an :class:`EnergyReport` with neuron records.

    Returns:
        The sparsity in ``[0, 1]``.

    Raises:
        ValueError: if the report holds no neuron layer.
    """
    neurons = [r for r in report.layers if r.category == "neuron"]
    if not neurons:
        raise ValueError("report has no spiking-neuron layers to measure activation sparsity on")
    elements = sum(r.neuron_updates for r in neurons)
    spikes = sum(min(r.spikes_out, r.neuron_updates) for r in neurons)
    return float(1.0 - torch.tensor(spikes / elements).clamp(0, 1)) if elements else 0.0
