"""Evaluation harness: R² of a decoder on a split, raw and through each filter, with costs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from spike_bmi._stream import StreamingDecoder
from spike_bmi.cost import decoder_ops, filter_cost
from spike_bmi.dataset import ReachingSession
from spike_bmi.filters import BlockFilter, bessel_filter
from spike_bmi.metrics import R2Score
from spike_bmi.train import decode

__all__ = ["FilterRow", "evaluate_decoder"]


@dataclass(frozen=True)
class FilterRow:
    """One line of an evaluation table.

    Attributes:
        name: ``"raw"`` or the filter's name.
        r2: mean R² over axes.
        r2_per_axis: per-axis R².
        delta: R² gain over the raw decoder output.
        latency_ms: worst-case latency added by the filter.
        filter_macs_per_bin: MACs per 4 ms bin added by the filter (both axes).
        decoder_ops: dense synaptic operations of the decoder per bin.
    """

    name: str
    r2: float
    r2_per_axis: tuple[float, ...]
    delta: float
    latency_ms: float
    filter_macs_per_bin: int
    decoder_ops: int


def evaluate_decoder(
    model: StreamingDecoder,
    session: ReachingSession,
    *,
    split: str = "test",
    filters: Sequence[BlockFilter] | None = None,
) -> tuple[list[FilterRow], dict[str, torch.Tensor]]:
    """Decode ``split`` and score it raw and through each filter.

    Args:
        model: a trained decoder.
        session: the data set.
        split: ``"train"``, ``"val"`` or ``"test"``.
        filters: filters to compare (default: the low-latency and high-accuracy Bessel presets).

    Returns:
        ``(rows, traces)``: one :class:`FilterRow` per variant (raw first) and the traces
        ``{"true": [T, 1, 2], "raw": ..., <filter name>: ...}``.
    """
    filters = (
        list(filters)
        if filters is not None
        else [
            bessel_filter("low_latency"),
            bessel_filter("high_accuracy"),
        ]
    )
    x, y = session.split(split)
    pred = decode(model, x).to(y.dtype).cpu()
    ops = decoder_ops(model).dense_ops
    traces = {"true": y, "raw": pred}
    m = R2Score()
    m.update(pred, y)
    raw = m.compute()
    rows = [FilterRow("raw", raw.r2, raw.r2_per_axis, 0.0, 0.0, 0, ops)]
    for f in filters:
        out = f.apply(pred)
        traces[f.name] = out
        m.reset()
        m.update(out, y)
        res = m.compute()
        cost = filter_cost(f, dims=y.shape[-1])
        rows.append(
            FilterRow(
                f.name,
                res.r2,
                res.r2_per_axis,
                res.r2 - raw.r2,
                cost.latency_ms,
                cost.macs_per_bin,
                ops,
            )
        )
    return rows, traces
