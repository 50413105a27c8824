"""spike-core: neurons, surrogate gradients, state, encoders, time utilities and the registry.

Tensors are time-major: multi-step modules take ``[T, B, ...]``, single-step cells ``[B, ...]``.
"""

from importlib.metadata import version as _version

from spike_core.encoders import (
    delta_encode,
    direct_encode,
    latency_encode,
    poisson_encode,
    population_encode,
    rate_encode,
)
from spike_core.files import atomic_write_bytes, atomic_write_text
from spike_core.kernels import available_backends
from spike_core.model import SpikingModel
from spike_core.monitors import LayerSpikeStats, SpikeMonitor
from spike_core.neurons import (
    ALIF,
    IF,
    LI,
    LIF,
    PLIF,
    ALIFCell,
    ALIFState,
    CubaLIF,
    CubaLIFCell,
    CubaLIFState,
    IFCell,
    IntLIF,
    IntLIFCell,
    IntLIFState,
    LICell,
    LIFCell,
    LIFState,
    MultiStepNeuron,
    PLIFCell,
    SingleStepNeuron,
    cuba_lif_step,
    expand_to_binary,
    if_step,
    int_spike,
    lif_step,
    simulate,
)
from spike_core.norm import TDBatchNorm
from spike_core.optim import SPAM, SPAMStepInfo, spam_warmup_scale
from spike_core.registry import (
    ModelEntry,
    count_parameters,
    create_model,
    list_models,
    meta_parameter_count,
    model_entry,
    register_model,
)
from spike_core.surrogate import Surrogate, get_surrogate, list_surrogates, spike_fn
from spike_core.time import SeqToBatch, fold_time, to_batch_major, to_time_major, unfold_time

__version__ = _version("spike-core")

__all__ = [
    "ALIF",
    "IF",
    "LI",
    "LIF",
    "PLIF",
    "SPAM",
    "ALIFCell",
    "ALIFState",
    "CubaLIF",
    "CubaLIFCell",
    "CubaLIFState",
    "IFCell",
    "IntLIF",
    "IntLIFCell",
    "IntLIFState",
    "LICell",
    "LIFCell",
    "LIFState",
    "LayerSpikeStats",
    "ModelEntry",
    "MultiStepNeuron",
    "PLIFCell",
    "SPAMStepInfo",
    "SeqToBatch",
    "SingleStepNeuron",
    "SpikeMonitor",
    "SpikingModel",
    "Surrogate",
    "TDBatchNorm",
    "__version__",
    "atomic_write_bytes",
    "atomic_write_text",
    "available_backends",
    "count_parameters",
    "create_model",
    "cuba_lif_step",
    "delta_encode",
    "direct_encode",
    "expand_to_binary",
    "fold_time",
    "get_surrogate",
    "if_step",
    "int_spike",
    "latency_encode",
    "lif_step",
    "list_models",
    "list_surrogates",
    "meta_parameter_count",
    "model_entry",
    "poisson_encode",
    "population_encode",
    "rate_encode",
    "register_model",
    "simulate",
    "spam_warmup_scale",
    "spike_fn",
    "to_batch_major",
    "to_time_major",
    "unfold_time",
]
