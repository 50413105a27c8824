from __future__ import annotations

import pytest
import torch

from spike_core import (
    delta_encode,
    direct_encode,
    latency_encode,
    poisson_encode,
    population_encode,
    rate_encode,
)


def test_rate_encode_matches_probability() -> None:
    x = torch.tensor([0.0, 0.25, 1.0])
    s = rate_encode(x, 4000, generator=torch.Generator().manual_seed(1))
    assert s.shape == (4000, 3)
    rate = s.mean(0)
    assert rate[0] == 0
    assert rate[2] == 1
    assert rate[1].item() == pytest.approx(0.25, abs=0.03)


def test_poisson_rate() -> None:
    s = poisson_encode(torch.tensor([0.5]), 20000, dt=1e-3, max_rate=100.0)
    assert s.mean().item() == pytest.approx(1 - torch.exp(torch.tensor(-0.05)).item(), abs=0.01)


def test_latency_one_spike_earlier_for_larger() -> None:
    x = torch.tensor([[1.0, 0.5, 0.0]])
    s = latency_encode(x, 5)
    assert s.shape == (5, 1, 3)
    assert s.sum(0).tolist() == [[1.0, 1.0, 1.0]]
    t_first = s.argmax(0)[0].tolist()
    assert t_first == [0, 2, 4]
    log = latency_encode(torch.tensor([0.9, 0.3, 0.1]), 50, linear=False)
    assert log.sum(0).tolist() == [1.0, 1.0, 0.0]
    assert log.argmax(0)[0] < log.argmax(0)[1]


def test_delta_polarity_and_signed() -> None:
    sig = torch.tensor([0.0, 0.05, 0.2, 0.2, 0.0]).view(5, 1)
    s = delta_encode(sig, threshold=0.1)
    assert s.shape == (5, 1, 2)
    assert s[:, 0, 0].tolist() == [0, 0, 1, 0, 0]
    assert s[:, 0, 1].tolist() == [0, 0, 0, 0, 1]
    signed = delta_encode(sig, threshold=0.1, polarity=False)
    assert signed.flatten().tolist() == [0, 0, 1, 0, -1]


def test_direct_and_population() -> None:
    x = torch.rand(2, 3)
    d = direct_encode(x, 4)
    assert d.shape == (4, 2, 3)
    assert torch.equal(d[3], x)
    p = population_encode(torch.tensor([0.0, 1.0]), 2000, num_neurons=5)
    assert p.shape == (2000, 2, 5)
    rates = p.mean(0)
    assert rates[0].argmax() == 0
    assert rates[1].argmax() == 4
