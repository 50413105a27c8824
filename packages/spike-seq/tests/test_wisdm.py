"""WISDM raw reader on files the tests write, windowing, synthetic data and a training check."""

from __future__ import annotations

import pytest
import torch

from spike_seq import (
    HAND_ORIENTED_ACTIVITIES,
    L2MUClassifier,
    L2MUConfig,
    load_wisdm_watch,
    read_wisdm_raw,
    synthetic_activity_dataset,
    train_classifier,
    window_signals,
)


def _write(root, subject, sensor, rows) -> None:
    d = root / "raw" / "watch" / sensor
    d.mkdir(parents=True, exist_ok=True)
    lines = [f"{subject},{code},{ts},{x},{y},{z};" for code, ts, x, y, z in rows]
    (d / f"data_{subject}_{sensor}_watch.txt").write_text("\n".join(lines) + "\n")


def _fake(root, subject, n_per=90) -> None:
    for sensor, off in (("accel", 0.0), ("gyro", 100.0)):
        rows = []
        for k, code in enumerate(
            ("P", "A", "R")
        ):  # dribbling, walking (not hand-oriented), clapping
            rows += [(code, 1000 * k + i, off + i, -i, 0.5) for i in range(n_per)]
        rows.reverse()  # out of order on purpose: the reader sorts by timestamp
        _write(root, subject, sensor, rows)


def test_read_raw(tmp_path) -> None:
    _fake(tmp_path, 1600)
    recs = read_wisdm_raw(tmp_path / "raw/watch/accel/data_1600_accel_watch.txt")
    assert set(recs) == {(1600, "P"), (1600, "A"), (1600, "R")}
    p = recs[(1600, "P")]
    assert p.shape == (90, 3)
    assert p[:3, 0].tolist() == [0.0, 1.0, 2.0]


def test_load_windows(tmp_path) -> None:
    _fake(tmp_path, 1600)
    _fake(tmp_path, 1601, n_per=45)
    x, y, s = load_wisdm_watch(tmp_path)
    # 90 samples -> 2 windows of 40 per activity; 45 -> 1; only P (0) and R (4) are hand-oriented
    assert x.shape == (6, 40, 6)
    assert sorted(y.tolist()) == [0, 0, 0, 4, 4, 4]
    assert HAND_ORIENTED_ACTIVITIES[0] == "P"
    assert HAND_ORIENTED_ACTIVITIES[4] == "R"
    assert sorted(s.tolist()) == [1600] * 4 + [1601] * 2
    first = x[(s == 1600) & (y == 0)][0]
    assert first[:, 0].tolist() == [float(i) for i in range(40)]  # accel x
    assert first[:, 3].tolist() == [100.0 + i for i in range(40)]  # gyro x
    x2, _, _ = load_wisdm_watch(tmp_path, subjects=[1600], stride=10)
    assert x2.shape[0] == 2 * 6  # (90 - 40) // 10 + 1 = 6 per activity


def test_reader_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        read_wisdm_raw(tmp_path / "nope.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("1600,P,1,0.1,0.2,0.3;\n1600,P,2,0.1,0.2;\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2"):
        read_wisdm_raw(bad)
    bad.write_text("1600,N,1,0.1,0.2,0.3;\n")
    with pytest.raises(ValueError, match="activity code"):
        read_wisdm_raw(bad)
    bad.write_text("1600,P,1,abc,0.2,0.3;\n")
    with pytest.raises(ValueError, match="malformed"):
        read_wisdm_raw(bad)
    _fake(tmp_path, 7, n_per=10)
    with pytest.raises(ValueError, match="no 40-sample windows"):
        load_wisdm_watch(tmp_path, subjects=[7])


def test_window_signals() -> None:
    sig = torch.arange(20.0).view(10, 2)
    w = window_signals(sig, window=4)
    assert w.shape == (2, 4, 2)
    assert torch.equal(w[1], sig[4:8])
    assert window_signals(sig, window=4, stride=2).shape == (4, 4, 2)
    assert window_signals(sig, window=11).shape == (0, 11, 2)
    with pytest.raises(ValueError, match=r"\[N, C\]"):
        window_signals(torch.zeros(3))


def test_synthetic_dataset_deterministic() -> None:
    x, y = synthetic_activity_dataset(5)
    x2, y2 = synthetic_activity_dataset(5)
    assert x.shape == (35, 40, 6)
    assert torch.equal(x, x2)
    assert torch.equal(y, y2)
    assert torch.bincount(y).tolist() == [5] * 7
    x3, _ = synthetic_activity_dataset(5, seed=1)
    assert not torch.equal(x, x3)


@pytest.mark.slow
def test_l2mu_learns_synthetic_activities() -> None:
    torch.manual_seed(0)
    x, y = synthetic_activity_dataset(12, num_classes=4, window=20)
    xt, yt = synthetic_activity_dataset(10, num_classes=4, window=20, seed=1)
    model = L2MUClassifier(L2MUConfig(input_size=6, num_classes=4, hidden_size=24, memory_size=8))
    losses = train_classifier(model, x, y, epochs=6, batch_size=16, lr=1e-2)
    assert losses[-1] < losses[0]
    with torch.no_grad():
        pred = model(xt.transpose(0, 1).contiguous()).sum(0).argmax(-1)
    assert (pred == yt).float().mean() > 0.5  # chance is 0.25
