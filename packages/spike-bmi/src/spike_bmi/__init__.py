"""Spiking neural decoders with Bessel filtering for brain-machine interfaces.

NeuroBench's primate-reaching task: a loader for the Zenodo ``.mat`` files and an embedded
synthetic twin, streaming decoders (SNN_Streaming, SNN_3D, ANN, ANN_3D, LSTMs) with explicit
state, the NeuroBench R², and block-bidirectional Bessel filters for the decoded velocity.
Neural recordings are time-major ``[T, B, channels]``.
"""

from importlib.metadata import version as _version

from spike_bmi._stream import StreamingDecoder, TimeLinear, WindowState
from spike_bmi.ann import ANN3D, ANN3DConfig, ANNConfig, ANNFlat
from spike_bmi.cost import DecoderOps, FilterCost, decoder_ops, filter_cost
from spike_bmi.dataset import PrimateReaching, ReachingSession, synthetic_session
from spike_bmi.evaluate import FilterRow, evaluate_decoder
from spike_bmi.filters import (
    FILTER_PRESETS,
    BlockFilter,
    StreamingBlockFilter,
    bessel_filter,
    design_filter,
)
from spike_bmi.lstm import (
    LSTMConfig,
    LSTMDecoder,
    LSTMState,
    StreamingLSTMConfig,
    StreamingLSTMDecoder,
)
from spike_bmi.matfile import RawReaching, read_reaching_mat, write_reaching_mat
from spike_bmi.metrics import R2Result, R2Score, r2_score
from spike_bmi.models import DECODERS, build_decoder
from spike_bmi.plot import plot_decoding
from spike_bmi.selection import (
    FilterChoice,
    FilterGain,
    filter_gain,
    paired_significance,
    select_filter,
)
from spike_bmi.snn import SNN3D, SNN3DConfig, SNNStreaming, SNNStreamingConfig, SNNStreamingState
from spike_bmi.synthetic import SyntheticReachingConfig, make_fake_reaching_mat, simulate_reaching
from spike_bmi.train import decode, train_decoder

__version__ = _version("spike-bmi")

__all__ = [
    "ANN3D",
    "DECODERS",
    "FILTER_PRESETS",
    "SNN3D",
    "ANN3DConfig",
    "ANNConfig",
    "ANNFlat",
    "BlockFilter",
    "DecoderOps",
    "FilterChoice",
    "FilterCost",
    "FilterGain",
    "FilterRow",
    "LSTMConfig",
    "LSTMDecoder",
    "LSTMState",
    "PrimateReaching",
    "R2Result",
    "R2Score",
    "RawReaching",
    "ReachingSession",
    "SNN3DConfig",
    "SNNStreaming",
    "SNNStreamingConfig",
    "SNNStreamingState",
    "StreamingBlockFilter",
    "StreamingDecoder",
    "StreamingLSTMConfig",
    "StreamingLSTMDecoder",
    "SyntheticReachingConfig",
    "TimeLinear",
    "WindowState",
    "__version__",
    "bessel_filter",
    "build_decoder",
    "decode",
    "decoder_ops",
    "design_filter",
    "evaluate_decoder",
    "filter_cost",
    "filter_gain",
    "make_fake_reaching_mat",
    "paired_significance",
    "plot_decoding",
    "r2_score",
    "read_reaching_mat",
    "select_filter",
    "simulate_reaching",
    "synthetic_session",
    "train_decoder",
    "write_reaching_mat",
]
