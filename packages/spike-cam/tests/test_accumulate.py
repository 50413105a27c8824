"""The chunked frame / voxel kernels against a plain per-event reference (NumPy ``add.at``).

Small chunk sizes force chunks that straddle several time bins (and empty bins), which the
default chunk only meets at bin edges of long streams.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import spike_cam._accumulate as acc
from spike_cam import to_frames, voxel_grid


def _events(n: int, W: int, H: int, t0: int, span: int, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    t = t0 + np.sort(rng.integers(0, span + 1, n))
    cols = [t, rng.integers(0, W, n), rng.integers(0, H, n), rng.integers(0, 2, n)]
    return torch.from_numpy(np.stack(cols, 1).astype(np.int64))


def _frames_ref(ev: np.ndarray, W: int, H: int, n_bins: int) -> np.ndarray:
    t, x, y, p = ev.T
    span = int(t[-1] - t[0]) + 1
    b = (t - t[0]) * n_bins // span
    out = np.zeros((n_bins, 2, H, W))
    np.add.at(out, (b, p, y, x), 1)
    return out


def _voxel_ref(ev: np.ndarray, W: int, H: int, n_bins: int) -> np.ndarray:
    # exact rational time: tn = (t - t0) (n - 1) / span, bin floor(tn)
    t, x, y, p = ev.T
    span = int(t[-1] - t[0]) or 1
    num = (t - t[0]) * (n_bins - 1)
    k = num // span
    w = (num - k * span) / span
    val = 2.0 * p - 1.0
    out = np.zeros((n_bins + 1, H, W))
    np.add.at(out, (k, y, x), val * (1 - w))
    np.add.at(out, (k + 1, y, x), val * w)
    return out[:n_bins]


@pytest.mark.parametrize("chunk", [5, 64, 1 << 14])
def test_frames_match_per_event_reference(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(acc, "CHUNK", chunk)
    W, H = 7, 5
    for seed, (n, span, n_bins) in enumerate([(300, 50, 40), (500, 10_000, 6), (1, 0, 3)]):
        ev = _events(n, W, H, 1000, span, seed)
        ours = to_frames(ev, (W, H), n_bins=n_bins)
        assert torch.equal(ours, torch.from_numpy(_frames_ref(ev.numpy(), W, H, n_bins)).float())
        summed = to_frames(ev, (W, H), n_bins=n_bins, mode="sum")
        assert torch.equal(summed[:, 0], ours.sum(1))


@pytest.mark.parametrize("chunk", [5, 64, 1 << 14])
def test_voxel_grid_matches_exact_reference(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(acc, "CHUNK", chunk)
    W, H = 6, 4
    cases = [
        (400, 0, 30, 9),  # more bins than distinct times: empty bins, straddling chunks
        (3000, 1_700_000_000_000_000, 2_000_000, 5),  # epoch µs: n max|t| >= 2^62, t - t0 per event
        (5, 2**61, 2**61, 3),  # n * span >= 2^62: float64 time sums
        (300, 0, 10_000, 1),
    ]
    for seed, (n, t0, span, n_bins) in enumerate(cases):
        ev = _events(n, W, H, t0, span, seed)
        ours = voxel_grid(ev, (W, H), n_bins).double().numpy()
        np.testing.assert_allclose(ours, _voxel_ref(ev.numpy(), W, H, n_bins), atol=1e-5)


def test_whole_tensor_path_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    # the GPU path (one chunk, torch-side range check), run on CPU
    monkeypatch.setattr(acc, "chunked", lambda device: False)
    W, H = 6, 4
    ev = _events(500, W, H, 10, 3000, 7)
    assert torch.equal(
        to_frames(ev, (W, H), n_bins=7),
        torch.from_numpy(_frames_ref(ev.numpy(), W, H, 7)).float(),
    )
    np.testing.assert_allclose(
        voxel_grid(ev, (W, H), 5).double().numpy(), _voxel_ref(ev.numpy(), W, H, 5), atol=1e-5
    )
    bad = ev.clone()
    bad[42, 2] = H
    with pytest.raises(ValueError, match=f"event 42 has y={H}"):
        to_frames(bad, (W, H), n_bins=2)


def test_out_of_sensor_events_are_named() -> None:
    ev = torch.tensor([[0, 1, 1, 1], [3, 2, 1, 0], [5, 0, 0, 1]])
    bad_x = ev.clone()
    bad_x[1, 1] = 4
    with pytest.raises(ValueError, match=r"event 1 has x=4, outside .* \[0, 4\)"):
        to_frames(bad_x, (4, 3), n_bins=2)
    bad_y = ev.clone()
    bad_y[2, 2] = -1
    with pytest.raises(ValueError, match="event 2 has y=-1"):
        voxel_grid(bad_y, (4, 3), 2)
    bad_p = ev.clone()
    bad_p[0, 3] = -1  # ±1 polarity must be mapped to 1/0 first
    with pytest.raises(ValueError, match="event 0 has p=-1, outside the sensor's polarity"):
        voxel_grid(bad_p, (4, 3), 2)
    assert to_frames(bad_p, (4, 3), n_bins=1, mode="sum").sum() == 3  # "sum" ignores p
    with pytest.raises(TypeError, match="integer tensor"):
        to_frames(ev.float(), (4, 3), n_bins=1)


def test_strided_binary_search_matches_torch() -> None:
    g = torch.Generator().manual_seed(0)
    for n in (0, 1, 2, 7, 100):
        ev = torch.sort(torch.randint(0, 20, (n, 4), generator=g), dim=0).values
        q = torch.arange(-2, 23)
        ours = acc.searchsorted_strided(ev[:, 0], q)
        assert torch.equal(ours, torch.searchsorted(ev[:, 0].contiguous(), q))
