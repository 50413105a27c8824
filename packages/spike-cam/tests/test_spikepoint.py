import numpy as np
import pytest
import torch

import spike_core
from spike_cam import events_to_tensor, make_events
from spike_cam.clouds import event_windows, normalize_cloud, resample, to_points
from spike_cam.spikepoint import SpikePoint, SpikePointConfig
from spike_core.testing import check_model

TINY = SpikePointConfig(num_points=64, groups=16, k=4, time_steps=2, num_classes=6)


def _stream(n: int = 400, span: int = 2_000_000, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, span, n))
    return events_to_tensor(
        make_events(t, rng.integers(0, 128, n), rng.integers(0, 128, n), rng.integers(0, 2, n))
    )


def test_check6_normalised_cloud_in_unit_cube() -> None:
    ev = _stream(100)
    p = normalize_cloud(ev, (128, 128, 2))
    assert p.shape == (100, 3)
    assert float(p.min()) >= 0.0
    assert float(p.max()) <= 1.0
    assert float(p[:, 2].min()) == 0.0
    assert float(p[:, 2].max()) == pytest.approx(1.0, abs=1e-5)


def test_check7_event_windows() -> None:
    ev = _stream(400)
    wins = event_windows(ev, 500_000, 250_000, min_events=1)
    t0 = int(ev[0, 0])
    for i, w in enumerate(wins):
        assert int(w[0, 0]) >= t0 + i * 250_000
        assert int(w[-1, 0]) < t0 + i * 250_000 + 500_000
        assert torch.all(w[1:, 0] >= w[:-1, 0])
    assert len(event_windows(ev, 500_000, 250_000, min_events=10**6)) == 0


def test_check8_resample_exact_count_and_order() -> None:
    ev = _stream(50)
    g = torch.Generator().manual_seed(0)
    for n in (20, 50, 80):
        r = resample(ev, n, generator=g)
        assert r.shape == (n, 4)
        assert torch.all(r[1:, 0] >= r[:-1, 0])
    assert to_points(ev, (128, 128), 32, generator=g).shape == (32, 3)


def test_check9_rate_coded_input() -> None:
    torch.manual_seed(0)
    m = SpikePoint(SpikePointConfig(num_points=64, groups=16, k=4, time_steps=16))
    x = m.encode(torch.rand(2, 64, 3))
    assert x.shape == (16, 2, 16, 4, 6)
    assert set(x.unique().tolist()) <= {0.0, 1.0}


def test_check10_logits_and_permutation_invariance() -> None:
    torch.manual_seed(0)
    m = SpikePoint(TINY).eval()
    xyz = torch.rand(2, 64, 3)
    perm = torch.randperm(64)
    torch.manual_seed(7)
    a = m(xyz)
    torch.manual_seed(7)
    b = m(xyz[:, perm])
    assert a.shape == (2, 6)
    assert torch.allclose(a, b, atol=1e-6)


def test_check_model_and_registry() -> None:
    torch.manual_seed(0)
    m = SpikePoint(TINY)
    check_model(m, expected_shape=(2, 6))
    m.reset_classifier(3)
    assert m(m.example_input()).shape == (2, 3)
    assert "spikepoint" in spike_core.list_models()
    full = spike_core.meta_parameter_count("spikepoint")

    # hand count: each stage = 3 x (Linear no bias + BN 2c), channels 6-32-64-128-256, head 256*11+11
    def stage(a: int, b: int) -> int:
        return a * b + 2 * b + 2 * (b * b + 2 * b)

    expected = stage(6, 32) + stage(32, 64) + stage(64, 128) + stage(128, 256) + 256 * 11 + 11
    assert full == expected
    with pytest.raises(ValueError, match="xyz must be"):
        m(torch.rand(2, 64))
    with pytest.raises(ValueError, match="residual"):
        SpikePoint(SpikePointConfig(residual="pre"))


@pytest.mark.parametrize("mode", ["abs", "signed_split"])
def test_coord_modes(mode: str) -> None:
    torch.manual_seed(0)
    m = SpikePoint(SpikePointConfig(num_points=32, groups=8, k=4, time_steps=2, coord_mode=mode))
    assert m.encode(torch.rand(1, 32, 3)).shape[-1] == (6 if mode == "abs" else 9)
