"""Hippocampal CA3 content-addressable memory (spec §4): network, simulation, PyNN description.

Time-major rasters ``[T, neurons]`` at ``dt = 1`` ms; float64 by default.
"""

from spike_hw.cam._experiments import EXPERIMENTS, run_experiment
from spike_hw.cam._network import CAMConfig, Population, Projection, build_cam_network
from spike_hw.cam._protocol import (
    CAMOperation,
    decode_output,
    flag_map_protocol,
    functional_protocol,
    learn,
    operations_to_spikes,
    recall_content,
    recall_cue,
    stress_protocol,
)
from spike_hw.cam._pynn import cam_to_pynn
from spike_hw.cam._pynn_memory import (
    NEST_STDP_MODELS,
    match_spynnaker_update,
    windowed_stdp_timing,
)
from spike_hw.cam._pynn_run import retime_for_grid, run_experiment_pynn
from spike_hw.cam._simulator import CAMSimulator

__all__ = [
    "EXPERIMENTS",
    "NEST_STDP_MODELS",
    "CAMConfig",
    "CAMOperation",
    "CAMSimulator",
    "Population",
    "Projection",
    "build_cam_network",
    "cam_to_pynn",
    "decode_output",
    "flag_map_protocol",
    "functional_protocol",
    "learn",
    "match_spynnaker_update",
    "operations_to_spikes",
    "recall_content",
    "recall_cue",
    "retime_for_grid",
    "run_experiment",
    "run_experiment_pynn",
    "stress_protocol",
    "windowed_stdp_timing",
]
