"""Operation counting, energy estimation and bit budgets for spiking models.

Count the synaptic operations of any ``nn.Module`` on a real forward pass, split them into
multiply-accumulates (real-valued inputs) and accumulates (spike inputs, integer spikes counted
by value), and convert them to energy with a hardware profile::

    report = estimate_energy(model, x_seq)      # x_seq: [T, B, ...] for spiking models
    print(report)                               # per-layer table, E_SNN and E_ANN
"""

from importlib.metadata import version as _version

from spike_energy.bitbudget import (
    BitBudgetTable,
    BitSpec,
    bit_budget,
    bit_budget_sweep,
    bitops,
    equivalent_bits,
    spike_bits,
    storage_bits,
)
from spike_energy.counter import MODES, Counter, is_neuron
from spike_energy.estimate import energy, energy_ann, estimate_energy, to_mj
from spike_energy.matmul import SpikeMatmul
from spike_energy.memory import MemoryModel
from spike_energy.neurobench import activation_sparsity, connection_sparsity, footprint
from spike_energy.profiles import (
    HOROWITZ_45NM,
    HardwareProfile,
    get_profile,
    list_profiles,
    register_profile,
)
from spike_energy.quant import quantize_weight, ternary_spike
from spike_energy.records import LayerRecord
from spike_energy.report import EnergyReport

__version__ = _version("spike-energy")

__all__ = [
    "HOROWITZ_45NM",
    "MODES",
    "BitBudgetTable",
    "BitSpec",
    "Counter",
    "EnergyReport",
    "HardwareProfile",
    "LayerRecord",
    "MemoryModel",
    "SpikeMatmul",
    "__version__",
    "activation_sparsity",
    "bit_budget",
    "bit_budget_sweep",
    "bitops",
    "connection_sparsity",
    "energy",
    "energy_ann",
    "equivalent_bits",
    "estimate_energy",
    "footprint",
    "get_profile",
    "is_neuron",
    "list_profiles",
    "quantize_weight",
    "register_profile",
    "spike_bits",
    "storage_bits",
    "ternary_spike",
    "to_mj",
]
