"""Embedded data sets the commands use: the UCI 8x8 digits bundled with scikit-learn."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

__all__ = ["Split", "load_digits_split"]


@dataclasses.dataclass(frozen=True)
class Split:
    """A train/test split of static samples.

    Attributes:
        x_train: ``[N, 64]`` (or ``[N, 1, 8, 8]``) floats in ``[0, 1]``.
        y_train: ``[N]`` int64 labels.
        x_test: held-out inputs.
        y_test: held-out labels.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(*, test_fraction: float = 0.25, seed: int = 0, images: bool = False) -> Split:
    """The 1 797 UCI handwritten digits (8x8, 16 grey levels) scaled to ``[0, 1]``, split once.

    Args:
        test_fraction: share of samples held out (stratified by a seeded permutation per class).
        seed: permutation seed.
        images: return ``[N, 1, 8, 8]`` instead of ``[N, 64]``.

    Returns:
        The :class:`Split`.
    """
    from sklearn.datasets import load_digits

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=torch.float32)
    y = torch.tensor(data.target, dtype=torch.int64)
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in range(10):
        idx = np.flatnonzero(data.target == c)
        rng.shuffle(idx)
        test_idx.extend(idx[: round(len(idx) * test_fraction)].tolist())
    mask = torch.zeros(len(y), dtype=torch.bool)
    mask[test_idx] = True
    if images:
        x = x.view(-1, 1, 8, 8)
    return Split(x[~mask], y[~mask], x[mask], y[mask])
