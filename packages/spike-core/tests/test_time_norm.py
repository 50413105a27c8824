from __future__ import annotations

import pytest
import torch
from torch import nn

from spike_core import (
    SeqToBatch,
    TDBatchNorm,
    fold_time,
    to_batch_major,
    to_time_major,
    unfold_time,
)


def test_fold_unfold_round_trip_and_seq_to_batch() -> None:
    x = torch.randn(3, 2, 4, 5)
    assert torch.equal(unfold_time(fold_time(x), 3), x)
    conv = nn.Conv1d(4, 6, 3, padding=1)
    y = SeqToBatch(conv)(x)
    assert y.shape == (3, 2, 6, 5)
    torch.testing.assert_close(y[1], conv(x[1]))
    with pytest.raises(ValueError, match="not a multiple of T=4"):
        unfold_time(torch.zeros(6, 2), 4)


def test_major_conversions() -> None:
    b = torch.randn(2, 5, 3)
    t = to_time_major(b)
    assert t.shape == (5, 2, 3)
    assert t.is_contiguous()
    assert torch.equal(to_batch_major(t), b)


def test_tdbn_statistics_over_time_and_batch() -> None:
    bn = TDBatchNorm(4)
    x = torch.randn(3, 5, 4, 6, 6) * 3 + 2
    y = bn(x)
    per_channel = y.transpose(0, 2).reshape(4, -1)
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(per_channel.std(1, unbiased=False), torch.ones(4), atol=1e-3, rtol=0)


def test_tdbn_threshold_scaling() -> None:
    x = torch.randn(2, 8, 3)
    plain = TDBatchNorm(3)(x)
    scaled = TDBatchNorm(3, alpha=0.5, v_threshold=2.0)(x)
    torch.testing.assert_close(scaled, plain)
    scaled2 = TDBatchNorm(3, alpha=1.0, v_threshold=0.5)(x)
    torch.testing.assert_close(scaled2, plain * 0.5)
    with pytest.raises(ValueError, match="x_seq has 5 channels"):
        TDBatchNorm(3)(torch.randn(2, 2, 5))
