"""NIR interchange, a bit-exact fixed-point backend, PyNN export and the hippocampal CAM.

NIR support needs the ``nir`` extra (``pip install spike-hw[nir]``); it is imported lazily.
Tensors are time-major ``[T, B, ...]``.
"""

from importlib.metadata import version as _version

from spike_hw.errors import UnsupportedNodeError
from spike_hw.fixed_point import FixedPointSimulator, run_integer_export, simulate_fixed_point
from spike_hw.graph import Schedule, schedule_graph
from spike_hw.modules import Integrator, Recurrent, Scale, SumPool2d
from spike_hw.nir_export import neuron_to_nir, to_nir, write_nir
from spike_hw.nir_import import NIRGraphModule, from_nir, read_nir
from spike_hw.reference import FloatReference, NIRRun, simulate_nir

__version__ = _version("spike-hw")

__all__ = [
    "FixedPointSimulator",
    "FloatReference",
    "Integrator",
    "NIRGraphModule",
    "NIRRun",
    "Recurrent",
    "Scale",
    "Schedule",
    "SumPool2d",
    "UnsupportedNodeError",
    "__version__",
    "from_nir",
    "neuron_to_nir",
    "read_nir",
    "run_integer_export",
    "schedule_graph",
    "simulate_fixed_point",
    "simulate_nir",
    "to_nir",
    "write_nir",
]
