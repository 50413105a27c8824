"""Per-layer operation records (what a :class:`~spike_energy.Counter` measures)."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["LayerRecord"]


@dataclasses.dataclass
class LayerRecord:
    """Operations of one layer (or one functional op inside a module), per sample.

    All counts are averaged per sample (divided by the batch size) and summed over the ``T``
    time steps of the input.

    Attributes:
        name: module path (``"blocks.0.fc1"``); functional ops inside a module get a suffix
            (``"attn.matmul0"``).
        type: module class name, or the op name for functional ops.
        category: ``"synaptic"`` (Linear, Conv, matmul), ``"neuron"``, ``"norm"``, ``"pool"``
            or ``"uncounted"`` (a module with weights whose operations could not be counted).
        kind: input kind of synaptic ops: ``"binary"``, ``"integer"``, ``"real"`` or
            ``"mixed"`` (several calls of different kinds); empty for other categories.
        calls: number of forward calls seen.
        fl: dense operations for one time step (``FL`` of the spec).
        dense: dense operations over all time steps (every MAC a dense network would do).
        in_rate: mean absolute input value per element per time step (firing rate; integer
            spikes count by value, so it may exceed 1).
        in_density: fraction of non-zero input elements.
        in_max: largest absolute input value.
        in_elements: input elements per sample per time step.
        acs: accumulates counted for energy (spike-driven additions).
        macs: multiply-accumulates counted for energy.
        bias_ops: bias additions (counted in ``acs`` only when ``"bias"`` is included).
        extra_ops: normalisation or pooling operations (counted only when included).
        neuron_updates: membrane updates of a neuron layer (counted only when included).
        spikes_out: spike value emitted by a neuron layer.
        out_rate: mean output value per element per step of a neuron layer.
        params: number of parameters of the module (0 for functional ops).
        first: whether this is the network's first (encoding) synaptic layer.
        note: a short remark (e.g. why the layer is uncounted).
    """

    name: str
    type: str
    category: str
    kind: str = ""
    calls: int = 0
    fl: float = 0.0
    dense: float = 0.0
    in_rate: float = 0.0
    in_density: float = 0.0
    in_max: float = 0.0
    in_elements: float = 0.0
    acs: float = 0.0
    macs: float = 0.0
    bias_ops: float = 0.0
    extra_ops: float = 0.0
    neuron_updates: float = 0.0
    spikes_out: float = 0.0
    out_rate: float = 0.0
    params: int = 0
    first: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)
