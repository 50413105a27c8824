"""AEDAT 4: compressed packets (LZ4, ZSTD) and the two read routes (built-in parser, ``aedat``).

The files are written by :func:`spike_cam.write_aedat4` (compressed with the ``lz4`` /
``zstandard`` packages); the ``aedat`` package is the independent reader they are checked with.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spike_cam import EventFormatError, make_events, read_aedat4, read_events, write_aedat4
from spike_cam.io.aedat4 import _io_header

_CODEC = {"none": 0, "lz4": 1, "lz4_high": 2, "zstd": 3, "zstd_high": 4}
_NEEDS = {"lz4": "lz4", "lz4_high": "lz4", "zstd": "zstandard", "zstd_high": "zstandard"}


def _events(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = 1_700_000_000_000_000 + np.sort(rng.integers(0, 2**33, n))  # epoch µs, as DV writes
    return make_events(t, rng.integers(0, 346, n), rng.integers(0, 260, n), rng.integers(0, 2, n))


def _need(compression: str) -> None:
    if compression in _NEEDS:
        pytest.importorskip(_NEEDS[compression])


def _backends() -> list[str]:
    try:
        import aedat  # noqa: F401
    except ImportError:
        return ["python"]
    return ["python", "aedat"]


def _packets(raw: bytes) -> list[tuple[int, int]]:
    """``(offset, size)`` of each packet after the IOHeader."""
    pos = 14 + 4 + struct.unpack_from("<i", raw, 14)[0]
    out = []
    while pos < len(raw):
        size = struct.unpack_from("<i", raw, pos + 4)[0]
        out.append((pos, size))
        pos += 8 + size
    return out


@pytest.mark.parametrize("compression", list(_CODEC))
def test_compressed_round_trip_on_every_route(tmp_path: Path, compression: str) -> None:
    _need(compression)
    ev = _events()
    path = write_aedat4(
        tmp_path / "c.aedat4",
        ev,
        sensor_size=(346, 260, 2),
        packet_size=64,
        compression=compression,
    )
    raw = path.read_bytes()
    assert len(_packets(raw)) == 4
    # the IOHeader's compression field holds the codec (int32 right after the table's soffset)
    assert struct.pack("<i", _CODEC[compression]) in raw[18:60]
    magic = {1: b"\x04\x22\x4d\x18", 2: b"\x04\x22\x4d\x18", 3: b"\x28\xb5\x2f\xfd"}
    magic[4] = magic[3]
    for offset, _ in _packets(raw):  # each payload is one LZ4 / ZSTD frame
        payload = raw[offset + 8 : offset + 12]
        assert payload == magic.get(_CODEC[compression], payload[:4]), compression
    for backend in _backends():
        back, size = read_aedat4(path, backend=backend)
        assert size == (346, 260, 2)
        assert np.array_equal(back, ev), backend


def test_aedat_package_reads_what_the_builtin_parser_reads(tmp_path: Path) -> None:
    aedat = pytest.importorskip("aedat")
    ev = _events(300, seed=1)
    path = write_aedat4(tmp_path / "a.aedat4", ev, sensor_size=(346, 260, 2), packet_size=100)
    # the package itself, packet by packet
    decoder = aedat.Decoder(path)
    assert decoder.id_to_stream() == {0: {"type": "events", "width": 346, "height": 260}}
    raw_events = np.concatenate([p["events"] for p in decoder])
    assert np.array_equal(raw_events["t"].astype(np.int64), ev["t"])
    assert np.array_equal(raw_events["on"], ev["p"].astype(bool))
    # both routes of read_aedat4 / read_events
    ours, theirs = read_aedat4(path)[0], read_aedat4(path, backend="aedat")[0]
    assert np.array_equal(ours, theirs)
    assert np.array_equal(read_events(path, backend="auto"), ev)


def test_both_routes_stop_at_the_data_table(tmp_path: Path) -> None:
    ev = _events(50, seed=2)
    path = write_aedat4(tmp_path / "t.aedat4", ev, sensor_size=(346, 260, 2), packet_size=20)
    raw = path.read_bytes()
    hlen = struct.unpack_from("<i", raw, 14)[0]
    xml = raw[18 : 18 + hlen].split(b"<dv", 1)[1].split(b"</dv>", 1)[0]
    xml_text = "<dv" + xml.decode() + "</dv>"
    body = raw[18 + hlen :]
    header = _io_header(0, -1, xml_text)
    assert len(header) == hlen  # same layout, only the table position changes below
    table_at = 18 + len(header) + len(body)
    table = b"\x00" * 24  # what follows is not packets: a reader that walks on would fail
    fixed = raw[:18] + _io_header(0, table_at, xml_text) + body + table
    (tmp_path / "u.aedat4").write_bytes(fixed)
    for backend in _backends():
        back, _ = read_aedat4(tmp_path / "u.aedat4", backend=backend)
        assert np.array_equal(back, ev), backend


@pytest.mark.parametrize("compression", ["lz4", "zstd"])
def test_corrupt_compressed_packet_names_file_and_offset(tmp_path: Path, compression: str) -> None:
    _need(compression)
    path = write_aedat4(
        tmp_path / "c.aedat4",
        _events(),
        sensor_size=(346, 260, 2),
        packet_size=64,
        compression=compression,
    )
    raw = bytearray(path.read_bytes())
    offset, size = _packets(bytes(raw))[2]
    kind = {"lz4": "LZ4", "zstd": "ZSTD"}[compression]
    # garble the compressed block (past the frame header)
    raw[offset + 8 + 12 : offset + 8 + size - 4] = bytes(size - 16)
    bad = tmp_path / "bad.aedat4"
    bad.write_bytes(bytes(raw))
    for backend in _backends():
        with pytest.raises(
            EventFormatError, match=rf"bad\.aedat4: bad {kind} packet at offset {offset}"
        ):
            read_aedat4(bad, backend=backend)
    # cut inside the last packet's compressed frame: the packet no longer fits the file
    offset, size = _packets(bytes(raw))[-1]
    (tmp_path / "cut.aedat4").write_bytes(path.read_bytes()[: offset + 8 + size // 2])
    with pytest.raises(EventFormatError, match=rf"cut\.aedat4: packet at offset {offset}"):
        read_aedat4(tmp_path / "cut.aedat4")


def test_backend_and_compression_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_aedat4(tmp_path / "a.aedat4", _events(10), sensor_size=(346, 260, 2))
    with pytest.raises(ValueError, match="backend must be"):
        read_aedat4(path, backend="rust")
    with pytest.raises(ValueError, match="compression must be one of"):
        write_aedat4(tmp_path / "b.aedat4", _events(10), compression="gzip")
    monkeypatch.setitem(sys.modules, "aedat", None)  # as if not installed
    with pytest.raises(ImportError, match=r"spike-cam\[aedat\]"):
        read_aedat4(path, backend="aedat")
    assert np.array_equal(read_aedat4(path, backend="auto")[0], _events(10))  # falls back


_FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.slow
@_FUZZ
@given(data=st.data())
def test_fuzz_compressed_aedat4_raises_only_clear_errors(tmp_path_factory, data) -> None:
    compression = data.draw(st.sampled_from(["none", "lz4", "zstd"]))
    _need(compression)
    backend = data.draw(st.sampled_from(_backends()))
    tmp = tmp_path_factory.mktemp("fuzz4")
    ev = _events(40, seed=3)
    path = write_aedat4(
        tmp / "ok.aedat4", ev, sensor_size=(346, 260, 2), packet_size=10, compression=compression
    )
    raw = bytearray(path.read_bytes())
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 6))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    bad = tmp / "bad.aedat4"
    bad.write_bytes(bytes(raw))
    message = ""
    try:
        out, _ = read_aedat4(bad, backend=backend)
    except EventFormatError as exc:
        message = str(exc)
    if message:
        assert str(bad) in message
        assert any(w in message for w in ("offset", "event", "aedat decoder")), message
    else:
        assert out.dtype.names == ("t", "x", "y", "p")
