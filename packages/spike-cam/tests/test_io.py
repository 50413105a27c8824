import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spike_cam import (
    EventFormatError,
    decode_polarity,
    make_events,
    read_aedat4,
    read_aedat31,
    read_csv,
    read_events,
    read_hdf5,
    read_npz,
    write_aedat4,
    write_aedat31,
    write_csv,
    write_events,
    write_hdf5,
)


def _random_events(n: int = 1000, seed: int = 0, t_max: int = 2**33) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, t_max, n))
    return make_events(t, rng.integers(0, 128, n), rng.integers(0, 128, n), rng.integers(0, 2, n))


def test_check1_aedat31_round_trip_with_overflow_and_foreign_packet(tmp_path) -> None:
    ev = _random_events()
    assert ev["t"].max() >= 2**31
    path = write_aedat31(tmp_path / "a.aedat", ev, packet_size=300)
    assert np.array_equal(read_aedat31(path), ev)
    # insert a non-polarity packet (type 2, 3 events of 12 bytes) after the first packet
    raw = path.read_bytes()
    end_header = raw.index(b"#!END-HEADER\r\n") + len(b"#!END-HEADER\r\n")
    first = struct.unpack_from("<hhiiiiii", raw, end_header)
    first_end = end_header + 28 + first[5] * first[2]
    foreign = struct.pack("<hhiiiiii", 2, 1, 12, 4, 0, 3, 3, 3) + bytes(36)
    (tmp_path / "b.aedat").write_bytes(raw[:first_end] + foreign + raw[first_end:])
    assert np.array_equal(read_aedat31(tmp_path / "b.aedat"), ev)


def test_check2_polarity_record() -> None:
    data = np.array([(37 << 17) | (90 << 2) | (1 << 1) | 1], dtype=np.uint32)
    e = decode_polarity(data, np.array([123], dtype=np.uint32), 1)
    assert (int(e["x"][0]), int(e["y"][0]), int(e["p"][0])) == (37, 90, 1)
    assert int(e["t"][0]) == 123 + 2**31


def test_check3_aedat4_round_trip_three_packets_no_data_table(tmp_path) -> None:
    ev = _random_events(30, t_max=2**40)
    path = write_aedat4(tmp_path / "a.aedat4", ev, sensor_size=(128, 128, 2), packet_size=10)
    raw = path.read_bytes()
    assert raw.count(b"EVTS") == 3 + 1  # three packets, plus the info node's type identifier
    back, size = read_aedat4(path)
    assert size == (128, 128, 2)
    assert np.array_equal(back, ev)
    # the 16-byte struct: int64 t, int16 x, int16 y, bool on, 3 padding bytes
    i = raw.index(struct.pack("<q", int(ev["t"][0])))
    t, x, y, on = struct.unpack_from("<qhh?", raw, i)
    assert (t, x, y, on) == (int(ev["t"][0]), int(ev["x"][0]), int(ev["y"][0]), bool(ev["p"][0]))


def test_check4_csv_columns_and_npz_key_order(tmp_path) -> None:
    ev = _random_events(50, t_max=10**6)
    write_csv(tmp_path / "e.csv", ev, columns="x,y,t,p")
    a = read_csv(tmp_path / "e.csv", columns="x,y,t,p")
    np.savez(tmp_path / "e.npz", p=ev["p"], y=ev["y"], t=ev["t"], x=ev["x"])
    b = read_npz(tmp_path / "e.npz")
    assert np.array_equal(a, ev)
    assert np.array_equal(b, ev)


@pytest.mark.parametrize("suffix", [".aedat", ".aedat4", ".npy", ".npz", ".csv", ".h5"])
def test_round_trip_every_format(tmp_path, suffix: str) -> None:
    ev = _random_events(200, seed=3, t_max=10**7)
    path = write_events(tmp_path / f"e{suffix}", ev)
    assert np.array_equal(read_events(path), ev)
    assert not list(tmp_path.glob(".*tmp"))


def test_hdf5_keeps_sensor_size(tmp_path) -> None:
    ev = _random_events(20, t_max=1000)
    write_hdf5(tmp_path / "e.h5", ev, sensor_size=(128, 128, 2))
    back, size = read_hdf5(tmp_path / "e.h5")
    assert size == (128, 128, 2)
    assert np.array_equal(back, ev)


def test_polarity_mapping_and_validation_errors(tmp_path) -> None:
    assert make_events([0, 1], [0, 0], [0, 0], [-1, 1])["p"].tolist() == [0, 1]
    (tmp_path / "bad.csv").write_text("t,x,y,p\n0,1,1,1\n5,2,2,0\n3,1,1,1\n")
    with pytest.raises(EventFormatError, match=r"bad.csv: timestamps decrease at event 2"):
        read_csv(tmp_path / "bad.csv")
    (tmp_path / "neg.csv").write_text("0,1,1,1\n5,-2,2,0\n")
    with pytest.raises(EventFormatError, match=r"neg.csv: negative coordinate in row 1"):
        read_csv(tmp_path / "neg.csv")
    (tmp_path / "txt.csv").write_text("0,1,1,1\n5,a,2,0\n")
    with pytest.raises(EventFormatError, match=r"txt.csv: line 2 is not numeric"):
        read_csv(tmp_path / "txt.csv")
    ev = make_events([0, 1], [5, 200], [0, 0], [1, 1])
    path = write_aedat31(tmp_path / "wide.aedat", ev)
    with pytest.raises(
        EventFormatError, match=r"wide.aedat \(packet at offset \d+\): event 1 has x=200"
    ):
        read_aedat31(path)
    with pytest.raises(ValueError, match="unknown event file suffix"):
        write_events(tmp_path / "e.mp4", ev)
    with pytest.raises(FileNotFoundError):
        read_events(tmp_path / "missing.npz")
    np.savez(tmp_path / "k.npz", t=[0], x=[0], y=[0])
    with pytest.raises(EventFormatError, match=r"k.npz: missing keys \['p'\]"):
        read_npz(tmp_path / "k.npz")


def test_truncated_aedat_names_offset(tmp_path) -> None:
    path = write_aedat31(tmp_path / "a.aedat", _random_events(100))
    raw = path.read_bytes()
    (tmp_path / "t.aedat").write_bytes(raw[:-5])
    with pytest.raises(
        EventFormatError, match=r"t.aedat: packet at offset \d+ needs \d+ bytes, \d+ left"
    ):
        read_aedat31(tmp_path / "t.aedat")
    (tmp_path / "m.aedat").write_bytes(b"#!AER-DAT2.0\r\n" + raw[14:])
    with pytest.raises(EventFormatError, match=r"m.aedat: not an AEDAT 3.1 file \(offset 0"):
        read_aedat31(tmp_path / "m.aedat")


_FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.slow
@_FUZZ
@given(data=st.data())
def test_fuzz_readers_raise_only_clear_errors(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    ev = _random_events(40, seed=1, t_max=2**32)
    fmt = data.draw(st.sampled_from([".aedat", ".aedat4", ".npz", ".csv", ".npy", ".h5"]))
    raw = bytearray(write_events(tmp / f"ok{fmt}", ev).read_bytes())
    op = data.draw(st.sampled_from(["truncate", "flip"]))
    if op == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    path = tmp / f"bad{fmt}"
    path.write_bytes(bytes(raw))
    message = ""
    try:
        out = read_events(path)
    except EventFormatError as exc:
        message = str(exc)
    if message:
        assert str(path) in message
    else:
        assert out.dtype.names == ("t", "x", "y", "p")
