"""NeuroBench primate-reaching pre-processing as pure functions (spec §2.4).

Every function works on NumPy arrays in the NeuroBench orientation: features along the first
axis and time along the second (``[channels, K]``, ``[2, K]``). The time-major tensors the
decoders consume (``[T, B, channels]``) are made once, at the data boundary, by
:class:`spike_bmi.ReachingSession`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

SAMPLE_PERIOD = 0.004
"""Sampling period of the NHP reaching recordings in seconds (250 Hz)."""


def steps_of(seconds: float, name: str, where: str = "") -> int:
    """Whole number of 4 ms samples in ``seconds``.

    Raises:
        ValueError: if ``seconds`` is not a positive whole multiple of 4 ms.
    """
    prefix = f"{where}: " if where else ""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{prefix}{name} must be a positive number of seconds, got {seconds!r}")
    ratio = round(seconds / SAMPLE_PERIOD)
    if ratio < 1 or abs(ratio * SAMPLE_PERIOD - seconds) > 1e-9:
        raise ValueError(
            f"{prefix}{name}={seconds!r} s is not a whole multiple of the {SAMPLE_PERIOD} s "
            "sample period of 't'"
        )
    return ratio


def time_grid(t: np.ndarray, bin_width: float) -> np.ndarray:
    """The histogram grid ``arange(t[0] - bin_width, t[-1], 0.004)`` of NeuroBench."""
    return np.arange(t[0] - bin_width, t[-1], SAMPLE_PERIOD)


def binary_spike_train(
    spike_times: Sequence[Sequence[np.ndarray]], new_t: np.ndarray
) -> np.ndarray:
    """Histogram every unit's spike times on ``new_t`` and mark non-empty bins (spec §2.4 step 2).

    A spike ``s`` lands in histogram bin ``i`` (``new_t[i] <= s < new_t[i + 1]``) and sets index
    ``i + 1`` (the bin's upper edge) to 1.

    Args:
        spike_times: ``spike_times[u][c]``: 1-D spike times in seconds of unit ``u`` on channel ``c``.
        new_t: the grid from :func:`time_grid`.

    Returns:
        ``[units, channels, len(new_t)]`` int8 array of zeros and ones.
    """
    n_units = len(spike_times)
    n_channels = len(spike_times[0]) if n_units else 0
    train = np.zeros((n_units, n_channels, len(new_t)), dtype=np.int8)
    for u, row in enumerate(spike_times):
        for c, times in enumerate(row):
            if len(times) == 0:
                continue
            counts, _ = np.histogram(times, bins=new_t)
            train[u, c, np.nonzero(counts)[0] + 1] = 1
    return train


def combine_units(train: np.ndarray, *, spike_sorting: bool) -> np.ndarray:
    """Channels from units (spec §2.4 step 3).

    Without spike sorting the units of a channel are OR-ed; with it every unit that fired at
    least once is its own feature (ordered channel-major, then unit, as NeuroBench reshapes).

    Args:
        train: ``[units, channels, K]`` binary.
        spike_sorting: keep units separate.

    Returns:
        ``[features, K]`` int8.
    """
    if not spike_sorting:
        return np.bitwise_or.reduce(train, axis=0)
    per_unit = np.transpose(train, (2, 1, 0)).reshape(train.shape[2], -1)
    return np.ascontiguousarray(per_unit[:, per_unit.any(axis=0)].T)


def bin_counts(train: np.ndarray, ratio: int) -> np.ndarray:
    """Counts over ``ratio`` consecutive 4 ms steps ("valid" convolution; spec §2.4 step 4).

    Args:
        train: ``[features, K]``.
        ratio: window length in samples (``round(bin_width / 0.004)``).

    Returns:
        ``[features, K - ratio + 1]`` float64 (the input itself, as float, for ``ratio == 1``).
    """
    x = train.astype(np.float64)
    if ratio == 1:
        return x
    c = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
    return c[:, ratio:] - c[:, :-ratio]


def velocity_labels(cursor_pos: np.ndarray) -> torch.Tensor:
    """Cursor velocity per 4 ms sample: ``torch.gradient`` along time (spec §2.4 step 5).

    Args:
        cursor_pos: ``[2, K]`` positions.

    Returns:
        ``[2, K]`` float32 tensor.
    """
    return torch.gradient(torch.from_numpy(np.asarray(cursor_pos)).float(), dim=1)[0]


def segment_starts(target_pos: np.ndarray) -> np.ndarray:
    """Indices where the target changes (spec §2.4 step 7).

    ``diff`` along time with the last column appended; every index whose absolute differences
    sum to a non-zero value starts a new segment.
    """
    diff = np.diff(target_pos, axis=1, append=target_pos[:, -1:])
    return np.nonzero(np.abs(diff).sum(axis=0))[0]


def time_segments(target_pos: np.ndarray) -> np.ndarray:
    """``[S, 2]`` start/end (exclusive) of every reach segment: ``[0, i1), [i1, i2), ...``."""
    bounds = np.concatenate([[0], segment_starts(target_pos), [target_pos.shape[1]]])
    return np.stack([bounds[:-1], bounds[1:]], axis=1).astype(np.int64)


def split_indices(
    segments: np.ndarray,
    *,
    train_ratio: float,
    split_num: int,
    stride_steps: int,
    valid: np.ndarray | None = None,
) -> tuple[list[int], list[int], list[int]]:
    """Chronological train/validation/test sample indices (spec §2.4 step 8).

    Within each of ``split_num`` chunks of ``S // split_num`` segments: the first
    ``floor(train_ratio * S)`` segments train, the next ``floor((S - train) / 2)`` validate, the
    rest test. A split lists ``arange(start, end, stride_steps)`` of each of its segments.

    Args:
        segments: ``[S, 2]`` from :func:`time_segments`.
        train_ratio: fraction of segments (per chunk) used for training.
        split_num: number of chunks.
        stride_steps: index stride in samples.
        valid: global indices of the segments kept (``None``: all).

    Returns:
        ``(train, val, test)`` lists of sample indices.
    """
    sub = int(segments.shape[0] / split_num)
    n_train = math.floor(train_ratio * sub)
    n_val = math.floor((sub - n_train) / 2)
    keep = set(range(segments.shape[0])) if valid is None else {int(v) for v in valid}
    out: tuple[list[int], list[int], list[int]] = ([], [], [])
    for chunk in range(split_num):
        for i in range(sub):
            g = chunk * sub + i
            if g not in keep:
                continue
            which = 0 if i < n_train else (1 if i < n_train + n_val else 2)
            out[which].extend(range(int(segments[g, 0]), int(segments[g, 1]), stride_steps))
    return out
