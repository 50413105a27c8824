"""NIR interchange, a bit-exact fixed-point backend, PyNN export and the hippocampal CAM.

NIR support needs the ``nir`` extra (``pip install spike-hw[nir]``); it is imported lazily.
Tensors are time-major ``[T, B, ...]``.
"""

from importlib.metadata import version as _version

from spike_hw.cam import (
    CAMConfig,
    CAMOperation,
    CAMSimulator,
    cam_to_pynn,
    decode_output,
    operations_to_spikes,
)
from spike_hw.errors import UnsupportedNodeError
from spike_hw.fixed_point import FixedPointSimulator, run_integer_export, simulate_fixed_point
from spike_hw.graph import Schedule, schedule_graph
from spike_hw.modules import Integrator, Recurrent, Scale, SumPool2d
from spike_hw.nir_export import neuron_to_nir, to_nir, write_nir
from spike_hw.nir_import import NIRGraphModule, from_nir, read_nir
from spike_hw.pynn_export import FakeSim, PyNNNetwork, build_pynn, nir_to_pynn, nir_to_pynn_script
from spike_hw.pynn_run import run_pynn, simulate_pynn, spike_agreement
from spike_hw.reference import FloatReference, NIRRun, simulate_nir

__version__ = _version("spike-hw")

__all__ = [
    "CAMConfig",
    "CAMOperation",
    "CAMSimulator",
    "FakeSim",
    "FixedPointSimulator",
    "FloatReference",
    "Integrator",
    "NIRGraphModule",
    "NIRRun",
    "PyNNNetwork",
    "Recurrent",
    "Scale",
    "Schedule",
    "SumPool2d",
    "UnsupportedNodeError",
    "__version__",
    "build_pynn",
    "cam_to_pynn",
    "decode_output",
    "from_nir",
    "neuron_to_nir",
    "nir_to_pynn",
    "nir_to_pynn_script",
    "operations_to_spikes",
    "read_nir",
    "run_integer_export",
    "run_pynn",
    "schedule_graph",
    "simulate_fixed_point",
    "simulate_nir",
    "simulate_pynn",
    "spike_agreement",
    "to_nir",
    "write_nir",
]
