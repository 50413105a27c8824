"""Loader checks 1-6 of the spec, the MATLAB layout, and bad-input errors."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from spike_bmi import (
    PrimateReaching,
    RawReaching,
    ReachingSession,
    make_fake_reaching_mat,
    read_reaching_mat,
    write_reaching_mat,
)


def _raw(k: int = 400, n_channels: int = 3, seed: int = 0, n_reaches: int = 8) -> RawReaching:
    rng = np.random.default_rng(seed)
    t = 2.0 + 0.004 * np.arange(k)
    cursor = np.stack([0.4 * np.arange(k), np.zeros(k)])
    target = np.zeros((2, k))
    bounds = np.linspace(0, k, n_reaches + 1).astype(int)
    for i in range(n_reaches):
        target[:, bounds[i] : bounds[i + 1]] = [[i + 1.0], [-(i + 1.0)]]
    new_t0 = t[0] - 0.004
    spikes = []
    for _u in range(2):
        row = []
        for _c in range(n_channels):
            bins = np.sort(rng.choice(k - 2, size=20, replace=False))
            row.append(new_t0 + 0.004 * (bins + 0.5))  # mid-bin spike times
        spikes.append(row)
    spikes[1][0] = np.zeros(0)
    return RawReaching(t, cursor, target, spikes, None, (), "test")


def test_spike_matrix_marks_upper_bin_edge_or_across_units(tmp_path: Path) -> None:  # check 1
    raw = _raw()
    path = write_reaching_mat(raw, tmp_path / "indy_x.mat")
    with pytest.warns(UserWarning, match="96 channels"):
        ds = PrimateReaching(path)
    expected = np.zeros_like(ds.spike_train)
    for row in raw.spikes:
        for c, times in enumerate(row):
            idx = np.floor((times - ds.new_t[0]) / 0.004).astype(int) + 1
            expected[c, idx] = 1
    np.testing.assert_array_equal(ds.spike_train, expected)
    assert ds.spike_train.dtype == np.int8
    assert set(np.unique(ds.samples.numpy())) <= {0.0, 1.0}
    assert torch.equal(ds.samples, torch.from_numpy(expected).float())


def test_empty_matlab_cell_contributes_no_spikes(tmp_path: Path) -> None:  # check 2
    raw = _raw()
    path = write_reaching_mat(raw, tmp_path / "indy_x.mat")
    with h5py.File(path, "r") as f:
        ds = f[f["spikes"][1, 0]]
        assert ds.dtype == np.uint64
        assert int(ds.attrs["MATLAB_empty"]) == 1
        assert "#refs#" in f
    back = read_reaching_mat(path)
    assert back.spikes[1][0].size == 0
    for u in range(2):
        for c in range(3):
            np.testing.assert_allclose(back.spikes[u][c], raw.spikes[u][c])


def test_labels_are_gradient_of_cursor(tmp_path: Path) -> None:  # check 3
    path = write_reaching_mat(_raw(), tmp_path / "loco_x.mat")
    with pytest.warns(UserWarning, match="channel"):
        ds = PrimateReaching(path)
    with h5py.File(path, "r") as f:
        cursor = torch.from_numpy(f["cursor_pos"][()]).float()
    assert torch.equal(ds.labels, torch.gradient(cursor, dim=1)[0])
    assert torch.allclose(ds.labels[0, 1:-1], torch.full_like(ds.labels[0, 1:-1], 0.4), atol=1e-5)
    assert torch.all(ds.labels[1] == 0)


def test_eight_reaches_split_four_two_two_in_time_order() -> None:  # check 4
    ds = ReachingSession(_raw(n_reaches=8), train_ratio=0.5)
    seg = ds.time_segments
    assert seg.shape == (8, 2)
    tr, va, te = set(ds.ind_train), set(ds.ind_val), set(ds.ind_test)
    assert tr == set(range(seg[0, 0], seg[3, 1]))
    assert va == set(range(seg[4, 0], seg[5, 1]))
    assert te == set(range(seg[6, 0], seg[7, 1]))
    assert not (tr & va)
    assert not (tr & te)
    assert not (va & te)
    assert tr | va | te == set(range(ds.labels.shape[1]))
    assert max(tr) < min(va)
    assert max(va) < min(te)


def test_segments_start_where_target_changes() -> None:
    raw = _raw(n_reaches=4)
    ds = ReachingSession(raw)
    change = np.nonzero(np.abs(np.diff(raw.target_pos, axis=1)).sum(0))[0]
    np.testing.assert_array_equal(ds.time_segments[1:, 0], change)
    assert ds.time_segments[0, 0] == 0
    assert ds.time_segments[-1, 1] == raw.t.size


def test_bin_width_28ms_sums_seven_bins() -> None:  # check 5
    raw = _raw()
    fine = ReachingSession(raw)
    ds = ReachingSession(raw, bin_width=0.028)
    assert ds.spike_train.shape[1] == fine.spike_train.shape[1] + 6  # grid starts 24 ms earlier
    assert ds.samples.shape[1] == ds.spike_train.shape[1] - 6
    assert ds.samples.shape[1] == ds.labels.shape[1] == raw.t.size  # bins end at each label
    train = ds.spike_train.astype(np.float64)
    for i in range(ds.samples.shape[1]):
        np.testing.assert_array_equal(ds.samples[:, i].numpy(), train[:, i : i + 7].sum(1))
    assert ds.samples.max() > 1


@pytest.mark.parametrize(("name", "n"), [("indy_fake.mat", 96), ("loco_fake.mat", 192)])
def test_channel_counts(
    tmp_path: Path, name: str, n: int, recwarn: pytest.WarningsRecorder
) -> None:  # check 6
    path = make_fake_reaching_mat(
        tmp_path / name, n_channels=n, n_units=1, duration_s=1.0, n_reaches=2
    )
    ds = PrimateReaching(path)
    assert ds.n_channels == n
    assert not [w for w in recwarn if "channels" in str(w.message)]
    x, y = ds.split("train")
    assert x.shape[1:] == (1, n)
    assert y.shape[1:] == (1, 2)


def test_fake_file_layout_is_matlab_v73(tmp_path: Path) -> None:
    path = make_fake_reaching_mat(tmp_path / "indy_f.mat", n_channels=4, n_units=2, n_reaches=6)
    with h5py.File(path, "r") as f:
        assert f["cursor_pos"].shape[0] == 2
        assert f["target_pos"].shape[0] == 2
        assert f["t"].shape[0] == 1
        assert f["finger_pos"].shape[0] == 3
        assert f["spikes"].shape == (2, 4)
        assert f["spikes"].dtype == h5py.ref_dtype
        assert f["chan_names"].shape == (1, 4)
    raw = read_reaching_mat(path)
    assert raw.chan_names[0] == "elec001"
    assert raw.spikes[-1][-1].size == 0
    with pytest.warns(UserWarning, match="channel"):
        ds = PrimateReaching(path)
    assert ds.time_segments.shape[0] == 6


def test_cells_materialised_as_arrays_are_accepted(tmp_path: Path) -> None:
    raw = _raw()
    path = tmp_path / "indy_vlen.mat"
    with h5py.File(path, "w") as f:
        f["t"] = raw.t[None]
        f["cursor_pos"] = raw.cursor_pos
        f["target_pos"] = raw.target_pos
        cells = f.create_dataset("spikes", (2, 3), dtype=h5py.vlen_dtype(np.float64))
        for u in range(2):
            for c in range(3):
                cells[u, c] = raw.spikes[u][c]
    with pytest.warns(UserWarning, match="channel"):
        a = PrimateReaching(path)
    b = ReachingSession(raw)
    assert torch.equal(a.samples, b.samples)


def test_getitem_most_recent_window_first() -> None:
    ds = ReachingSession(_raw(), bin_width=0.008, num_steps=3)
    x, y = ds[20]
    assert x.shape == (3, 3)
    assert y.shape == (2,)
    assert torch.equal(x[0], ds.samples[:, 20])
    assert torch.equal(x[2], ds.samples[:, 16])
    assert torch.equal(y, ds.labels[:, 20])


def test_delay_spike_sorting_and_inactive_segments() -> None:
    raw = _raw()
    base = ReachingSession(raw)
    d = ReachingSession(raw, biological_delay=3)
    assert torch.equal(d.samples, base.samples[:, :-3])
    assert torch.equal(d.labels, base.labels[:, 3:])
    sorted_ = ReachingSession(raw, spike_sorting=True)
    assert sorted_.n_channels == 5  # 2 units x 3 channels, one empty cell removed
    assert torch.equal(sorted_.samples.reshape(5, -1).amax(0), base.samples.amax(0))
    kept = ReachingSession(raw, remove_segments_inactive=True, max_segment_length=40)
    assert len(kept) == 0  # every segment is 50 samples long
    stride = ReachingSession(raw, stride=0.008)
    assert stride.ind_train[:3] == [0, 2, 4]


def _write(path: Path, **data: np.ndarray) -> Path:
    with h5py.File(path, "w") as f:
        for k, v in data.items():
            f[k] = v
    return path


def test_missing_variable_names_file_and_variable(tmp_path: Path) -> None:
    raw = _raw()
    good = write_reaching_mat(raw, tmp_path / "indy_ok.mat")
    bad = tmp_path / "indy_bad.mat"
    with h5py.File(good, "r") as src, h5py.File(bad, "w") as dst:
        for name in ("t", "cursor_pos", "spikes", "#refs#"):
            src.copy(name, dst)
    with pytest.raises(ValueError, match=r"indy_bad\.mat.*missing variable 'target_pos'"):
        PrimateReaching(bad)


def test_mismatched_lengths_name_the_variable(tmp_path: Path) -> None:
    raw = _raw()
    short = RawReaching(raw.t, raw.cursor_pos[:, :-5], raw.target_pos, raw.spikes, source="x")
    path = write_reaching_mat(short, tmp_path / "indy_len.mat")
    with pytest.raises(ValueError, match=r"indy_len\.mat.*'cursor_pos'.*mismatched lengths"):
        PrimateReaching(path)


def test_bin_width_must_divide_into_samples(tmp_path: Path) -> None:
    path = write_reaching_mat(_raw(), tmp_path / "indy_bw.mat")
    with (
        pytest.raises(ValueError, match=r"indy_bw\.mat.*bin_width=0\.006.*'t'"),
        pytest.warns(UserWarning, match="channel"),
    ):
        PrimateReaching(path, bin_width=0.006)
    with (
        pytest.raises(ValueError, match=r"bin_width.*longer than the recording"),
        pytest.warns(UserWarning, match="channel"),
    ):
        PrimateReaching(path, bin_width=4.0)
    with pytest.raises(ValueError, match="stride"), pytest.warns(UserWarning, match="channel"):
        PrimateReaching(path, stride=0.005)


def test_nan_spikes_name_file_and_variable(tmp_path: Path) -> None:
    raw = _raw()
    raw.spikes[0][2] = np.array([2.1, np.nan])
    path = write_reaching_mat(raw, tmp_path / "indy_nan.mat")
    with pytest.raises(ValueError, match=r"indy_nan\.mat.*'spikes'.*channel 2, unit 0.*NaN"):
        PrimateReaching(path)


def test_corrupt_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "indy_junk.mat"
    junk.write_bytes(b"MATLAB 5.0 MAT-file, not HDF5")
    with pytest.raises(ValueError, match=r"indy_junk\.mat.*not a MATLAB v7\.3"):
        PrimateReaching(junk)
    with pytest.raises(FileNotFoundError):
        PrimateReaching(tmp_path / "nope.mat")
    numeric = _write(
        tmp_path / "indy_num.mat",
        t=np.array([[0.0, 0.004, 0.008]]),
        cursor_pos=np.zeros((2, 3)),
        target_pos=np.zeros((2, 3)),
        spikes=np.zeros((1, 1)),
    )
    with pytest.raises(ValueError, match=r"indy_num\.mat.*'spikes'.*neither a reference"):
        PrimateReaching(numeric)
    raw = _raw()
    t = raw.t.copy()
    t[5] = np.nan
    with pytest.raises(ValueError, match=r"bad\.mat: variable 't' contains NaN"):
        ReachingSession(
            RawReaching(t, raw.cursor_pos, raw.target_pos, raw.spikes, source="bad.mat")
        )


def test_split_name_is_checked() -> None:
    ds = ReachingSession(_raw())
    with pytest.raises(ValueError, match="split must be one of"):
        ds.split("holdout")
