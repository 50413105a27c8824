"""Our transforms against Tonic's on the same events (Tonic is a test-only peer, extra ``test``).

Each test states the exact convention mapping between the two; see the docs page's
"Agreement with Tonic" table.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spike_cam import (
    EVENT_DTYPE,
    crop,
    denoise,
    downsample,
    events_to_tensor,
    flip_lr,
    flip_ud,
    make_events,
    merge_polarity,
    refractory,
    slice_by_count,
    slice_by_time,
    tensor_to_events,
    time_surface,
    time_windows,
    to_frames,
    voxel_grid,
)

tonic = pytest.importorskip("tonic")
tf = pytest.importorskip("tonic.functional")
tt = pytest.importorskip("tonic.transforms")
ts = pytest.importorskip("tonic.slicers")

W, H = 16, 12
SIZE = (W, H, 2)


def _stream(n: int = 1500, seed: int = 0, *, t_start: int = 2000) -> np.ndarray:
    """Strictly increasing times (no ties), starting after ``t_start`` µs."""
    rng = np.random.default_rng(seed)
    t = t_start + np.cumsum(rng.integers(1, 40, n))
    x = rng.integers(0, W, n)
    y = rng.integers(0, H, n)
    p = rng.integers(0, 2, n)
    return make_events(t, x, y, p)


def _same(ours: torch.Tensor, theirs: np.ndarray) -> None:
    """Same events in the same order (Tonic keeps our structured dtype)."""
    assert theirs.dtype == EVENT_DTYPE
    assert np.array_equal(tensor_to_events(ours), theirs)


def test_frames_time_window_match_tonic() -> None:
    ev = _stream()
    dur = int(ev["t"][-1] - ev["t"][0])
    w = 997 if dur % 997 else 991  # duration not a multiple of the bin (see below)
    theirs = tf.to_frame_numpy(ev.copy(), SIZE, time_window=w, include_incomplete=True)
    ours = to_frames(events_to_tensor(ev), SIZE, bin_us=w)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.numpy(), theirs.astype(np.float32))


def test_frames_n_time_bins_match_tonic_prefix() -> None:
    # Tonic's n_time_bins uses bins of (t_N - t_0) // n µs from t_0 and drops the remainder
    # (the last event included); ours spreads the whole span over n bins. With the same bin
    # length, ours' first n frames are Tonic's.
    ev = _stream(seed=1)
    n = 6
    theirs = tf.to_frame_numpy(ev.copy(), SIZE, n_time_bins=n)
    w = int(ev["t"][-1] - ev["t"][0]) // n
    ours = to_frames(events_to_tensor(ev), SIZE, bin_us=w)[:n]
    assert np.array_equal(ours.numpy(), theirs.astype(np.float32))


def test_voxel_grid_matches_tonic_with_one_more_bin() -> None:
    # Tonic normalises time by n / span and drops what lands in bin n; ours by (n - 1) / span
    # (every event inside the grid). So Tonic(n) == ours(n + 1)[:n] exactly.
    ev = _stream(seed=2)
    n = 5
    theirs = tf.to_voxel_grid_numpy(ev.copy(), SIZE, n_time_bins=n)[:, 0]
    ours = voxel_grid(events_to_tensor(ev), SIZE, n + 1)[:n]
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


def test_time_surface_matches_tonic_at_window_ends() -> None:
    # Tonic's surface i is taken at t_0 + (i + 1) dt from the events before that time.
    ev = _stream(seed=3)
    dt, tau = 5000, 3000.0
    theirs = tf.to_timesurface_numpy(ev.copy(), SIZE, dt=dt, tau=tau)
    e = events_to_tensor(ev)
    t0 = int(ev["t"][0])
    for i in range(len(theirs)):
        ref = t0 + (i + 1) * dt
        ours = time_surface(slice_by_time(e, t0, ref), SIZE, tau, t_ref=ref)
        np.testing.assert_allclose(ours.numpy(), theirs[i], rtol=1e-5, atol=1e-7)


def test_denoise_matches_tonic_with_4_connectivity() -> None:
    # Tonic: 4-neighbourhood, a neighbour's earlier event with t - t_n < filter_time (strict),
    # and a start-up quirk that keeps events before t = filter_time. Ours with
    # connectivity=4 and dt_us = filter_time - 1 is the same on tie-free streams after t_start.
    ev = _stream(n=3000, seed=4, t_start=5000)
    ft = 120
    theirs = tf.denoise_numpy(ev.copy(), filter_time=ft)
    ours = denoise(events_to_tensor(ev), SIZE, ft - 1, connectivity=4)
    assert 0 < len(theirs) < len(ev)
    _same(ours, theirs)


def test_refractory_matches_tonic_shifted_by_one() -> None:
    # Tonic keeps t - t_prev > r; ours keeps t - t_prev >= period: ours(r + 1) == Tonic(r).
    ev = _stream(n=3000, seed=5)
    r = 300
    theirs = tf.refractory_period_numpy(ev.copy(), refractory_period=r)
    ours = refractory(events_to_tensor(ev), SIZE, r + 1)
    assert 0 < len(theirs) < len(ev)
    _same(ours, theirs)


@pytest.mark.parametrize("factor", [2, 4])
def test_downsample_matches_tonic(factor: int) -> None:
    ev = _stream(seed=6)
    theirs = tt.Downsample(spatial_factor=1 / factor)(ev.copy())
    _same(downsample(events_to_tensor(ev), factor), theirs)


def test_center_crop_matches_tonic() -> None:
    ev = _stream(seed=7)
    cw, ch = 10, 7
    theirs = tt.CenterCrop(sensor_size=SIZE, size=(cw, ch))(ev.copy())
    ours = crop(events_to_tensor(ev), (W - cw) // 2, (H - ch) // 2, cw, ch)
    _same(ours, theirs)


def test_flips_and_polarity_merge_match_tonic() -> None:
    ev = _stream(seed=8)
    e = events_to_tensor(ev)
    _same(flip_lr(e, W), tt.RandomFlipLR(sensor_size=SIZE, p=1.0)(ev.copy()))
    _same(flip_ud(e, H), tt.RandomFlipUD(sensor_size=SIZE, p=1.0)(ev.copy()))
    _same(merge_polarity(e), tt.MergePolarities()(ev.copy()))


def test_count_slices_match_tonic_with_incomplete() -> None:
    ev = _stream(n=1003, seed=9)
    e = events_to_tensor(ev)
    theirs = ts.slice_events_by_count(ev, 100, overlap=30, include_incomplete=True)
    ours = slice_by_count(e, 100, overlap=30)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)


def test_time_windows_match_tonic_full_windows() -> None:
    # Tonic (include_incomplete=False) emits only full windows; ours also emits the trailing
    # windows that start before the last event, so Tonic's slices are our prefix.
    ev = _stream(seed=10)
    e = events_to_tensor(ev)
    theirs = ts.slice_events_by_time(ev, 4000, overlap=1500)
    ours = time_windows(e, 4000, 2500)
    assert len(ours) >= len(theirs) > 1
    for a, b in zip(ours, theirs, strict=False):
        _same(a, b)
