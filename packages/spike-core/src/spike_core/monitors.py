"""Firing-rate and spike-count monitors built on forward hooks.

``SpikeMonitor`` watches every spike-core neuron module of a model (or those a predicate selects)
during real forward passes and accumulates, per layer, the sum of emitted spike values (integer
spikes count by value), the number of output elements and the number of calls. spike-energy uses
these counts for synaptic-operation estimates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from spike_core.neurons._base import MultiStepNeuron, SingleStepNeuron

__all__ = ["LayerSpikeStats", "SpikeMonitor"]


@dataclasses.dataclass
class LayerSpikeStats:
    """Accumulated statistics of one neuron layer.

    Attributes:
        spike_count: sum of emitted spike values (a count of ``k`` contributes ``k``).
        nonzero: number of output elements that were non-zero.
        num_elements: number of output elements seen (``T * B * features`` per call).
        calls: number of forward calls.
    """

    spike_count: float = 0.0
    nonzero: int = 0
    num_elements: int = 0
    calls: int = 0

    @property
    def firing_rate(self) -> float:
        """Mean spike value per output element (spikes per neuron per step)."""
        return self.spike_count / self.num_elements if self.num_elements else 0.0


def _is_neuron(module: nn.Module) -> bool:
    return isinstance(module, MultiStepNeuron | SingleStepNeuron)


class SpikeMonitor:
    """Record spike statistics of a model's neuron layers.

    Args:
        model: the model to watch.
        select: predicate over modules choosing what to watch (default: spike-core neurons).
        record: also keep every output tensor (detached, on CPU) in :attr:`records`.

    Examples:
        >>> from spike_core import LIF
        >>> net = nn.Sequential(LIF())
        >>> with SpikeMonitor(net) as mon:
        ...     _ = net(torch.full((4, 2, 3), 2.0))
        >>> mon.firing_rates()
        {'0': 0.5}
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        select: Callable[[nn.Module], bool] = _is_neuron,
        record: bool = False,
    ) -> None:
        self.model = model
        self.select = select
        self.record = record
        self.stats: dict[str, LayerSpikeStats] = {}
        self.records: dict[str, list[torch.Tensor]] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def _hook(self, name: str) -> Callable[..., None]:
        def hook(_module: nn.Module, _args: Any, out: Any) -> None:
            spikes = out[0] if isinstance(out, tuple) else out
            if not isinstance(spikes, torch.Tensor):
                return
            s = spikes.detach()
            st = self.stats.setdefault(name, LayerSpikeStats())
            st.spike_count += float(s.sum())
            st.nonzero += int(torch.count_nonzero(s))
            st.num_elements += s.numel()
            st.calls += 1
            if self.record:
                self.records.setdefault(name, []).append(s.cpu())

        return hook

    def attach(self) -> SpikeMonitor:
        """Register the hooks (idempotent)."""
        if not self._handles:
            for name, module in self.model.named_modules():
                if self.select(module):
                    self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def detach(self) -> None:
        """Remove the hooks; statistics stay available."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def reset(self) -> None:
        """Clear the statistics and records."""
        self.stats.clear()
        self.records.clear()

    def __enter__(self) -> SpikeMonitor:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    def firing_rates(self) -> dict[str, float]:
        """Per-layer mean spike value per element, in module order."""
        return {k: v.firing_rate for k, v in self.stats.items()}

    def total_spikes(self) -> float:
        """Sum of spike values over all watched layers."""
        return sum(v.spike_count for v in self.stats.values())
