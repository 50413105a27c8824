"""Cost accounting: filter MACs and memory next to the decoders' synaptic operations (spec §5.4).

Decoder counts are analytic, per prediction (one 4 ms bin), following NeuroBench's definitions:
*dense* synaptic operations count every weight of every layer evaluation; *effective MACs* are
the dense operations whose input is real-valued (the others are spike-driven accumulates).
"""

from __future__ import annotations

from dataclasses import dataclass

from spike_bmi._stream import StreamingDecoder
from spike_bmi.ann import ANN3D, ANNFlat
from spike_bmi.filters import BlockFilter
from spike_bmi.lstm import LSTMDecoder, StreamingLSTMDecoder
from spike_bmi.snn import SNN3D, SNNStreaming

__all__ = ["DecoderOps", "FilterCost", "decoder_ops", "filter_cost"]


@dataclass(frozen=True)
class FilterCost:
    """Added cost of a filter on ``dims`` output dimensions.

    Attributes:
        macs_per_sample: MACs per output sample and dimension (``2 (N_b + N_a - 1)`` for two passes).
        macs_per_bin: MACs per 4 ms bin over all dimensions.
        buffer_samples: samples held (``L * dims``).
        buffer_bytes: that buffer in float32 bytes.
        latency_bins: worst-case added latency in bins.
        latency_ms: worst-case added latency in milliseconds.
    """

    macs_per_sample: int
    macs_per_bin: int
    buffer_samples: int
    buffer_bytes: int
    latency_bins: int
    latency_ms: float


def filter_cost(filt: BlockFilter, *, dims: int = 2) -> FilterCost:
    """Cost of ``filt`` applied to ``dims`` velocity components.

    Args:
        filt: the filter.
        dims: output dimensions filtered (2 for x/y velocity).

    Returns:
        The :class:`FilterCost`.

    Examples:
        >>> from spike_bmi.filters import bessel_filter
        >>> filter_cost(bessel_filter("low_latency")).macs_per_bin
        20
    """
    per = filt.macs_per_sample()
    buf = filt.buffer_samples() * dims
    return FilterCost(per, per * dims, buf, 4 * buf, filt.latency_bins, filt.latency_ms())


@dataclass(frozen=True)
class DecoderOps:
    """Per-prediction operation counts of a decoder.

    Attributes:
        dense_ops: every weight use (multiply-accumulate or accumulate).
        effective_macs: operations with real-valued inputs (true multiplies).
    """

    dense_ops: int
    effective_macs: int


def decoder_ops(model: StreamingDecoder) -> DecoderOps:
    """Dense synaptic operations and effective MACs per prediction of a spike-bmi decoder.

    SNN_Streaming: ``n h + h o`` accumulates (binary inputs, spiking hidden layer). SNN_3D:
    ``C (n h1 + h1 h2 + h2 o)`` of which the first layer (LayerNorm-ed, real-valued input) is MACs.
    ANN/ANN_3D/LSTMs: every weight is a MAC.

    Args:
        model: one of the spike-bmi decoders.

    Returns:
        The :class:`DecoderOps`.

    Raises:
        TypeError: for a model of another class.
    """
    if not isinstance(model, StreamingDecoder):
        raise TypeError(f"model must be a spike-bmi decoder, got {type(model).__name__}")
    c = model.config
    if isinstance(model, SNNStreaming):
        return DecoderOps(c.input_dim * c.hidden + c.hidden * c.output_dim, 0)
    if isinstance(model, SNN3D):
        first = c.num_chunks * c.input_dim * c.hidden1
        rest = c.num_chunks * (c.hidden1 * c.hidden2 + c.hidden2 * c.output_dim)
        return DecoderOps(first + rest, first)
    if isinstance(model, ANNFlat | ANN3D):
        n_in = c.input_dim * (c.num_chunks if isinstance(model, ANN3D) else 1)
        ops = n_in * c.hidden1 + c.hidden1 * c.hidden2 + c.hidden2 * c.output_dim
        return DecoderOps(ops, ops)
    if isinstance(model, LSTMDecoder | StreamingLSTMDecoder):
        steps = c.num_chunks if isinstance(model, LSTMDecoder) else 1
        ops = steps * 4 * c.hidden * (c.input_dim + c.hidden) + c.hidden * c.output_dim
        return DecoderOps(ops, ops)
    raise TypeError(f"model must be a spike-bmi decoder, got {type(model).__name__}")
