"""Data sets and time-major collation: DVS128 Gesture from local files, frame collate."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spike_cam.events import EventFormatError, events_to_tensor
from spike_cam.io.aedat3 import read_aedat31

__all__ = ["DVS128Gesture", "collate_time_major", "slice_labels"]


def collate_time_major(
    batch: Sequence[tuple[torch.Tensor, int]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``[T, C, H, W]`` samples into a time-major batch.

    Args:
        batch: ``(frames [T, C, H, W], label)`` pairs with equal shapes.

    Returns:
        ``(x [T, B, C, H, W], labels [B])`` (events ``[T, B, 2, H, W]`` for polarity frames).
    """
    if not batch:
        raise ValueError("batch is empty")
    shapes = {tuple(x.shape) for x, _ in batch}
    if len(shapes) != 1:
        raise ValueError(f"samples must share one shape to collate, got {sorted(shapes)}")
    x = torch.stack([x for x, _ in batch], dim=1)
    return x, torch.tensor([int(y) for _, y in batch])


def slice_labels(
    events: np.ndarray, labels: Sequence[tuple[int, int, int]]
) -> list[tuple[np.ndarray, int]]:
    """Cut a recording into labelled samples: events with ``start <= t < end`` per label row.

    Args:
        events: canonical events of one recording (time-sorted).
        labels: ``(class, start_us, end_us)`` rows (intervals may overlap or repeat).

    Returns:
        ``(events, class)`` pairs in label order.
    """
    t = events["t"]
    out = []
    for cls, start, end in labels:
        lo, hi = np.searchsorted(t, start, "left"), np.searchsorted(t, end, "left")
        out.append((events[lo:hi], int(cls)))
    return out


def _read_labels(path: Path) -> list[tuple[int, int, int]]:
    rows = []
    with path.open(newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            if not row or not row[0].strip():
                continue
            if i == 0 and not row[0].strip().lstrip("-").isdigit():
                continue  # header class,startTime_usec,endTime_usec
            try:
                cls, start, end = (int(v) for v in row[:3])
            except ValueError:
                raise EventFormatError(
                    f"{path}: line {i + 1} is not 'class,start,end': {row}"
                ) from None
            rows.append((cls, start, end))
    return rows


class DVS128Gesture(torch.utils.data.Dataset):
    """DVS128 Gesture from a local copy of the original files (no download).

    ``root`` holds ``trials_to_train.txt`` / ``trials_to_test.txt`` (one ``.aedat`` name per
    line), the recordings ``userXX_<lighting>.aedat`` and their ``..._labels.csv``
    (``class,startTime_usec,endTime_usec``, classes 1-11). A sample is the events with
    ``start <= t < end``; labels are returned 0-based (``class - 1``).

    Args:
        root: the data folder.
        split: ``"train"`` or ``"test"``.
        transform: optional callable on the ``[N, 4]`` event tensor.
        exclude_other: drop class 11 ("other gestures"), giving a 10-class task.

    Returns (items):
        ``(transform(events) or events [N, 4], label)``.
    """

    sensor_size = (128, 128, 2)

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        split: str = "train",
        transform: Callable[[torch.Tensor], Any] | None = None,
        exclude_other: bool = False,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        root = Path(root)
        listing = root / f"trials_to_{split}.txt"
        if not listing.is_file():
            raise FileNotFoundError(f"DVS128 Gesture split list not found: {listing}")
        self.transform = transform
        self.samples: list[tuple[np.ndarray, int]] = []
        for name in listing.read_text().split():
            rec = root / name
            lab = rec.with_name(rec.stem + "_labels.csv")
            if not lab.is_file():
                raise FileNotFoundError(f"labels of {rec} not found: {lab}")
            events = read_aedat31(rec)
            for ev, cls in slice_labels(events, _read_labels(lab)):
                if exclude_other and cls == 11:
                    continue
                self.samples.append((ev, cls - 1))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        ev, label = self.samples[i]
        x = events_to_tensor(ev)
        return (self.transform(x) if self.transform is not None else x), label
