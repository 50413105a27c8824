import numpy as np
import pytest
import torch

from spike_cam import (
    GESTURES,
    DVS128Gesture,
    SyntheticGestures,
    collate_time_major,
    frames_to_events,
    make_events,
    slice_labels,
    to_frames,
    write_aedat31,
)


def test_frames_to_events_log_threshold() -> None:
    f = np.full((3, 1, 2), 0.1, dtype=np.float32)
    f[1, 0, 0] = 0.1 * np.exp(0.45)  # +2 thresholds of 0.2 at pixel (0, 0)
    f[2, 0, 0] = 0.1 * np.exp(-0.05)  # down by 0.5 from 0.45: ref at 0.4 -> -2 thresholds
    ev = frames_to_events(f, frame_us=100, threshold=0.2, eps=0.0)
    assert ev["p"].tolist() == [1, 1, 0, 0]
    assert ev["t"].tolist() == [50, 100, 150, 200]
    assert set(ev["x"].tolist()) == {0}


def test_synthetic_gestures_deterministic_and_collate() -> None:
    frame = lambda e: to_frames(e, (16, 16, 2), n_bins=4)  # noqa: E731
    a = SyntheticGestures(samples_per_class=1, size=16, frames=12, seed=3, transform=frame)
    b = SyntheticGestures(samples_per_class=1, size=16, frames=12, seed=3, transform=frame)
    assert len(a) == len(GESTURES)
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(len(a)))
    x, y = collate_time_major([a[i] for i in range(4)])
    assert x.shape == (4, 4, 2, 16, 16)  # [T, B, 2, H, W]
    assert y.tolist() == [0, 1, 2, 3]
    assert x.sum() > 0
    with pytest.raises(ValueError, match="share one shape"):
        collate_time_major([(torch.zeros(2, 2, 4, 4), 0), (torch.zeros(3, 2, 4, 4), 1)])


def test_swipes_move_the_right_way() -> None:
    ds = SyntheticGestures(samples_per_class=1, size=32, frames=16, seed=0)
    mean_dx = []
    for i in (0, 1):  # swipe right, swipe left: ON events' x drifts right / left
        ev = ds.samples[i][0]
        on = ev[ev["p"] == 1]
        half = len(on) // 2
        mean_dx.append(on["x"][half:].mean() - on["x"][:half].mean())
    assert mean_dx[0] > 3
    assert mean_dx[1] < -3


def test_spec_check5_label_slicing_excludes_end() -> None:
    ev = make_events([0, 10, 19, 20, 30], [0] * 5, [0] * 5, [1] * 5)
    (s,) = slice_labels(ev, [(3, 10, 20)])
    assert s[0]["t"].tolist() == [10, 19]
    assert s[1] == 3


def test_dvs128_gesture_adapter_on_written_files(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for user, n in (("user01_fluorescent", 60), ("user24_led", 40)):
        t = np.arange(n) * 1000
        ev = make_events(t, rng.integers(0, 128, n), rng.integers(0, 128, n), rng.integers(0, 2, n))
        write_aedat31(tmp_path / f"{user}.aedat", ev)
        (tmp_path / f"{user}_labels.csv").write_text(
            "class,startTime_usec,endTime_usec\n1,0,20000\n11,20000,30000\n2,10000,20000\n"
        )
    (tmp_path / "trials_to_train.txt").write_text("user01_fluorescent.aedat\n")
    (tmp_path / "trials_to_test.txt").write_text("user24_led.aedat\n")
    train = DVS128Gesture(tmp_path, split="train")
    assert [len(train.samples[i][0]) for i in range(3)] == [20, 10, 10]
    assert [train[i][1] for i in range(3)] == [0, 10, 1]
    assert train[0][0].shape == (20, 4)
    test = DVS128Gesture(tmp_path, split="test", exclude_other=True)
    assert [y for _, y in test.samples] == [0, 1]
    with pytest.raises(ValueError, match="split"):
        DVS128Gesture(tmp_path, split="val")
    with pytest.raises(FileNotFoundError, match="trials_to_train"):
        DVS128Gesture(tmp_path / "nowhere")
