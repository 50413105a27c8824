"""Spiking neurons: pure steps over NamedTuple state, wrapped by one-step and multi-step modules."""

from spike_core.neurons._base import MultiStepNeuron, SingleStepNeuron, apply_reset, simulate
from spike_core.neurons.alif import ALIF, ALIFCell, ALIFState
from spike_core.neurons.cuba import (
    CubaLIF,
    CubaLIFCell,
    CubaLIFParams,
    CubaLIFState,
    cuba_lif_step,
)
from spike_core.neurons.if_neuron import IF, IFCell, IFParams, if_step
from spike_core.neurons.int_lif import IntLIF, IntLIFCell, IntLIFState, expand_to_binary, int_spike
from spike_core.neurons.li import LI, LICell
from spike_core.neurons.lif import LIF, PLIF, LIFCell, LIFParams, LIFState, PLIFCell, lif_step

__all__ = [
    "ALIF",
    "IF",
    "LI",
    "LIF",
    "PLIF",
    "ALIFCell",
    "ALIFState",
    "CubaLIF",
    "CubaLIFCell",
    "CubaLIFParams",
    "CubaLIFState",
    "IFCell",
    "IFParams",
    "IntLIF",
    "IntLIFCell",
    "IntLIFState",
    "LICell",
    "LIFCell",
    "LIFParams",
    "LIFState",
    "MultiStepNeuron",
    "PLIFCell",
    "SingleStepNeuron",
    "apply_reset",
    "cuba_lif_step",
    "expand_to_binary",
    "if_step",
    "int_spike",
    "lif_step",
    "simulate",
]
