import numpy as np
import pytest
import torch

from spike_cam import (
    Compose,
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


def _ev(rows: list[list[int]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.int64)


def test_tensor_view_round_trip() -> None:
    ev = make_events([0, 3, 9], [1, 2, 3], [4, 5, 6], [1, 0, 1])
    assert np.array_equal(tensor_to_events(events_to_tensor(ev)), ev)
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        tensor_to_events(torch.zeros(3, 3))


def test_slicing_half_open_and_counts() -> None:
    ev = _ev([[0, 0, 0, 1], [10, 0, 0, 1], [20, 0, 0, 1], [30, 0, 0, 1]])
    assert slice_by_time(ev, 10, 30)[:, 0].tolist() == [10, 20]
    parts = slice_by_count(ev, 3, overlap=1)
    assert [p[:, 0].tolist() for p in parts] == [[0, 10, 20], [20, 30]]
    with pytest.raises(ValueError, match="overlap"):
        slice_by_count(ev, 2, overlap=2)


def test_spec_check7_sliding_windows() -> None:
    t = torch.arange(0, 2_000_000, 10_000)
    ev = torch.stack([t, t % 7, t % 5, t % 2], 1)
    wins = time_windows(ev, 500_000, 250_000)
    starts = [int(w[0, 0]) for w in wins]
    assert starts[:4] == [0, 250_000, 500_000, 750_000]
    for w in wins:
        assert int(w[-1, 0] - w[0, 0]) < 500_000
        assert torch.all(w[1:, 0] >= w[:-1, 0])


def test_to_frames_hand_example() -> None:
    ev = _ev([[0, 1, 0, 1], [5, 1, 0, 1], [9, 0, 1, 0], [10, 1, 1, 0]])
    f = to_frames(ev, (2, 2), n_bins=2)
    assert f.shape == (2, 2, 2, 2)
    assert f[0, 1].tolist() == [[0.0, 2.0], [0.0, 0.0]]  # ON events of bin 0 (t 0, 5)
    assert f[1, 0].tolist() == [[0.0, 0.0], [1.0, 1.0]]  # OFF events of bin 1 (t 9, 10)
    assert to_frames(ev, (2, 2), n_bins=1, mode="binary").max() == 1.0
    assert to_frames(ev, (2, 2), bin_us=100, mode="sum").shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match="exactly one"):
        to_frames(ev, (2, 2))


def test_voxel_grid_bilinear() -> None:
    ev = _ev([[0, 0, 0, 1], [5, 0, 0, 0], [10, 1, 0, 1]])
    v = voxel_grid(ev, (2, 1), 3)
    # t' = 0, 1, 2 for t = 0, 5, 10: each event lands on one bin; ON +1, OFF -1
    assert v[:, 0, 0].tolist() == [1.0, -1.0, 0.0]
    assert v[:, 0, 1].tolist() == [0.0, 0.0, 1.0]
    v2 = voxel_grid(_ev([[0, 0, 0, 1], [4, 0, 0, 1], [8, 0, 0, 1]]), (1, 1), 2)
    assert v2[:, 0, 0].tolist() == pytest.approx([1.5, 1.5])


def test_time_surface() -> None:
    ev = _ev([[0, 0, 0, 1], [100, 1, 0, 0]])
    ts = time_surface(ev, (2, 1), tau_us=100.0)
    assert ts[1, 0, 0] == pytest.approx(float(np.exp(-1.0)))
    assert ts[0, 0, 1] == pytest.approx(1.0)
    assert ts[0, 0, 0] == 0.0


def test_denoise_keeps_supported_events() -> None:
    ev = _ev([[0, 5, 5, 1], [10, 6, 5, 1], [1000, 0, 0, 1], [1005, 9, 9, 1]])
    out = denoise(ev, (10, 10), dt_us=50)
    # (6,5) at t=10 has neighbour (5,5) fired at t=0 -> kept; (5,5) at t=0: its neighbour
    # fires only later -> dropped; isolated events dropped
    assert out.tolist() == [[10, 6, 5, 1]]


def test_refractory_drops_fast_repeats() -> None:
    ev = _ev([[0, 1, 1, 1], [5, 1, 1, 0], [7, 2, 2, 1], [20, 1, 1, 1]])
    assert refractory(ev, (4, 4), 10)[:, 0].tolist() == [0, 7, 20]


def test_geometry_transforms_and_compose() -> None:
    ev = _ev([[0, 3, 1, 1], [1, 0, 2, 0]])
    assert downsample(ev, 2)[:, 1:3].tolist() == [[1, 0], [0, 1]]
    assert crop(ev, 1, 0, 3, 2).tolist() == [[0, 2, 1, 1]]
    assert flip_lr(ev, 4)[:, 1].tolist() == [0, 3]
    assert flip_ud(ev, 3)[:, 2].tolist() == [1, 0]
    assert merge_polarity(ev)[:, 3].tolist() == [0, 0]
    f = Compose([lambda e: flip_lr(e, 4), lambda e: to_frames(e, (4, 3), n_bins=1)])(ev)
    assert f.shape == (1, 2, 3, 4)
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        to_frames(torch.zeros(3), (2, 2), n_bins=1)


@pytest.mark.gpu
def test_transforms_on_cuda_match_cpu() -> None:
    g = torch.Generator().manual_seed(0)
    t = torch.sort(torch.randint(0, 10_000, (500,), generator=g)).values
    ev = torch.stack(
        [
            t,
            torch.randint(0, 16, (500,), generator=g),
            torch.randint(0, 16, (500,), generator=g),
            torch.randint(0, 2, (500,), generator=g),
        ],
        1,
    )
    for fn in (
        lambda e: to_frames(e, (16, 16), n_bins=4),
        lambda e: voxel_grid(e, (16, 16), 4),
        lambda e: denoise(e, (16, 16), 100),
    ):
        assert torch.equal(fn(ev.cuda()).cpu(), fn(ev))
