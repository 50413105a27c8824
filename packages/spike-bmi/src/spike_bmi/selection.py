"""Choosing a filter on the validation split and reporting its gain (spec §5.3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from spike_bmi._preprocess import SAMPLE_PERIOD
from spike_bmi.filters import BlockFilter, design_filter
from spike_bmi.metrics import r2_score

__all__ = ["FilterChoice", "FilterGain", "filter_gain", "paired_significance", "select_filter"]

_DEFAULT_CUTOFFS = (0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0)
_DEFAULT_BLOCKS = (5, 10, 20, 50, 100)


@dataclass(frozen=True)
class FilterChoice:
    """Result of :func:`select_filter`.

    Attributes:
        filter: the chosen :class:`BlockFilter`.
        order: its order.
        cutoff_hz: its cutoff.
        block: its block length.
        r2: validation R² with the filter.
        r2_raw: validation R² without it.
        evaluated: number of candidates tried.
    """

    filter: BlockFilter
    order: int
    cutoff_hz: float
    block: int
    r2: float
    r2_raw: float
    evaluated: int


def select_filter(
    preds_val: torch.Tensor | np.ndarray,
    labels_val: torch.Tensor | np.ndarray,
    *,
    family: str = "bessel",
    orders: Iterable[int] = range(1, 9),
    cutoffs: Iterable[float] = _DEFAULT_CUTOFFS,
    blocks: Iterable[int] = _DEFAULT_BLOCKS,
    max_latency_ms: float | None = None,
    carry_state: bool = False,
) -> FilterChoice:
    """Grid-search order, cutoff and block length maximising validation R².

    Args:
        preds_val: decoded validation velocity ``[T, ...,  2]`` (time-major).
        labels_val: labels, same shape.
        family: filter family of :func:`design_filter`.
        orders: candidate orders.
        cutoffs: candidate cutoffs in Hz.
        blocks: candidate block lengths in samples.
        max_latency_ms: keep only blocks whose worst-case latency ``(L - 1) * 4 ms`` fits.
        carry_state: passed to every candidate.

    Returns:
        The best :class:`FilterChoice` (apply ``choice.filter`` unchanged to the test split).

    Raises:
        ValueError: if no candidate fits the latency budget.
    """
    y = (
        preds_val.detach().cpu().double().numpy()
        if isinstance(preds_val, torch.Tensor)
        else np.asarray(preds_val, dtype=np.float64)
    )
    t = (
        labels_val.detach().cpu().double().numpy()
        if isinstance(labels_val, torch.Tensor)
        else np.asarray(labels_val, dtype=np.float64)
    )
    if y.shape != t.shape:
        raise ValueError(
            f"preds_val and labels_val must have the same shape, got {y.shape} and {t.shape}"
        )
    budget = math.inf if max_latency_ms is None else max_latency_ms
    ok_blocks = [b for b in blocks if (b - 1) * SAMPLE_PERIOD * 1e3 <= budget + 1e-9]
    if not ok_blocks:
        raise ValueError(f"no block length fits max_latency_ms={max_latency_ms}")
    raw = r2_score(y, t)
    best: tuple[float, int, float, int, BlockFilter] | None = None
    n = 0
    cutoffs = list(cutoffs)
    for order in orders:
        for fc in cutoffs:
            b, a = design_filter(family, order=order, cutoff_hz=fc)
            for L in ok_blocks:
                f = BlockFilter(
                    b, a, block=L, carry_state=carry_state, name=f"{family}-{order}-{fc}Hz-L{L}"
                )
                score = r2_score(f.apply_numpy(y), t)
                n += 1
                if best is None or score > best[0]:
                    best = (score, order, float(fc), L, f)
    assert best is not None
    return FilterChoice(best[4], best[1], best[2], best[3], best[0], raw, n)


@dataclass(frozen=True)
class FilterGain:
    """R² with and without a filter.

    Attributes:
        r2_raw: unfiltered R².
        r2_filtered: filtered R².
        delta: ``r2_filtered - r2_raw`` (absolute; x100 = percentage points).
        relative_percent: ``100 * delta / r2_raw``.
    """

    r2_raw: float
    r2_filtered: float
    delta: float
    relative_percent: float


def filter_gain(
    filt: BlockFilter, preds: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray
) -> FilterGain:
    """ΔR² of ``filt`` on ``preds`` (absolute and relative).

    Args:
        filt: the filter.
        preds: decoded velocity ``[T, ..., 2]``.
        labels: labels, same shape.

    Returns:
        The :class:`FilterGain`.
    """
    raw = r2_score(preds, labels)
    filtered = r2_score(filt.apply(preds), labels)  # type: ignore[type-var]
    d = filtered - raw
    rel = 100.0 * d / raw if raw != 0 else math.nan
    return FilterGain(raw, filtered, d, rel)


def paired_significance(raw: Sequence[float], filtered: Sequence[float]) -> dict[str, float]:
    """Paired tests of filtered versus raw R² across sessions.

    Args:
        raw: per-session unfiltered R².
        filtered: per-session filtered R², same order.

    Returns:
        ``{"wilcoxon_p": ..., "ttest_p": ..., "mean_delta": ...}`` (two-sided p-values).
    """
    from scipy import stats

    r, f = np.asarray(raw, dtype=np.float64), np.asarray(filtered, dtype=np.float64)
    if r.shape != f.shape or r.ndim != 1 or r.size < 2:
        raise ValueError("raw and filtered must be 1-D sequences of the same length >= 2")
    return {
        "wilcoxon_p": float(stats.wilcoxon(f, r).pvalue),
        "ttest_p": float(stats.ttest_rel(f, r).pvalue),
        "mean_delta": float((f - r).mean()),
    }
