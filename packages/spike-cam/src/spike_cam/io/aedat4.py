"""AEDAT 4.0 (iniVation DV) event streams: a small pure-Python reader and writer.

Layout: the magic line ``#!AER-DAT4.0`` (CR LF), ``int32 L``, ``L`` bytes of an ``IOHeader`` FlatBuffer
(``compression`` enum: 0 none, 1 LZ4, 2 LZ4 high, 3 ZSTD, 4 ZSTD high; ``dataTablePosition``
int64, negative when absent; ``infoNode`` XML naming the streams), then packets
``int32 streamId, int32 size, payload``. A decompressed ``EVTS`` payload is a size-prefixed
FlatBuffer whose table holds a vector of 16-byte events ``{int64 t, int16 x, int16 y, bool on,
3 padding bytes}``. The reader walks the packets (a data table, if present, only marks where
the packets end); frames, IMU and trigger streams are skipped. LZ4/ZSTD payloads need the
``lz4`` / ``zstandard`` packages (extra ``spike-cam[compression]``); compression "none" needs
nothing. ``read_aedat4(backend="aedat")`` decodes with the Rust ``aedat`` package instead (extra
``spike-cam[aedat]``, see :mod:`spike_cam.io._aedat_pkg`).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np

from spike_cam.events import EVENT_DTYPE, EventFormatError, check_events, make_events
from spike_core import atomic_write_bytes

__all__ = ["read_aedat4", "write_aedat4"]

_MAGIC = b"#!AER-DAT4.0\r\n"
CODECS = {"none": 0, "lz4": 1, "lz4_high": 2, "zstd": 3, "zstd_high": 4}
_EXTRA = "install the extra spike-cam[compression]"
_EVENT = np.dtype([("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("on", "u1"), ("pad", "V3")])


class _Reader:
    """Bounds-checked FlatBuffer access; errors name the file and absolute offset."""

    def __init__(self, buf: bytes, base: int, name: str) -> None:
        self.buf, self.base, self.name = buf, base, name

    def _need(self, pos: int, n: int) -> None:
        if pos < 0 or pos + n > len(self.buf):
            raise EventFormatError(
                f"{self.name}: FlatBuffer reference out of bounds at offset {self.base + pos}"
            )

    def u16(self, pos: int) -> int:
        self._need(pos, 2)
        return struct.unpack_from("<H", self.buf, pos)[0]

    def i32(self, pos: int) -> int:
        self._need(pos, 4)
        return struct.unpack_from("<i", self.buf, pos)[0]

    def u32(self, pos: int) -> int:
        self._need(pos, 4)
        return struct.unpack_from("<I", self.buf, pos)[0]

    def i64(self, pos: int) -> int:
        self._need(pos, 8)
        return struct.unpack_from("<q", self.buf, pos)[0]

    def field(self, table: int, idx: int) -> int | None:
        vt = table - self.i32(table)
        vt_size = self.u16(vt)
        if 4 + 2 * idx >= vt_size:
            return None
        off = self.u16(vt + 4 + 2 * idx)
        return table + off if off else None

    def indirect(self, pos: int) -> int:
        return pos + self.u32(pos)

    def vector(self, pos: int, item: int) -> tuple[int, int]:
        start = self.indirect(pos)
        n = self.u32(start)
        self._need(start + 4, n * item)
        return start + 4, n


def _decompress(payload: bytes, codec: int, name: str, offset: int) -> bytes:
    if codec == 0:
        return payload
    if codec in (1, 2):
        try:
            import lz4.frame
        except ImportError as exc:
            raise EventFormatError(
                f"{name}: LZ4-compressed packets need the lz4 package ({_EXTRA})"
            ) from exc
        try:
            return lz4.frame.decompress(payload)
        except Exception as exc:  # the binding raises RuntimeError, but any failure is the packet's
            raise EventFormatError(
                f"{name}: bad LZ4 packet at offset {offset}: {type(exc).__name__}: {exc}"
            ) from None
    if codec in (3, 4):
        try:
            import zstandard
        except ImportError as exc:
            raise EventFormatError(
                f"{name}: ZSTD-compressed packets need the zstandard package ({_EXTRA})"
            ) from exc
        try:
            # a streaming decompressor: DV writes frames without a content size
            d = zstandard.ZstdDecompressor().decompressobj()
            out = d.decompress(payload)
        except Exception as exc:
            raise EventFormatError(
                f"{name}: bad ZSTD packet at offset {offset}: {type(exc).__name__}: {exc}"
            ) from None
        if not d.eof:
            raise EventFormatError(f"{name}: truncated ZSTD packet at offset {offset}")
        return out
    raise EventFormatError(f"{name}: unknown compression {codec} in the IOHeader")


def _compress(packet: bytes, codec: int) -> bytes:
    if codec == 0:
        return packet
    try:
        if codec in (1, 2):
            import lz4.frame

            level = lz4.frame.COMPRESSIONLEVEL_MINHC if codec == 2 else 0
            return lz4.frame.compress(packet, compression_level=level)
        import zstandard

        return zstandard.ZstdCompressor(level=19 if codec == 4 else 3).compress(packet)
    except ImportError as exc:
        raise ImportError(f"writing compressed AEDAT 4 needs lz4 / zstandard ({_EXTRA})") from exc


def _streams(xml: str) -> dict[int, tuple[str, int | None, int | None]]:
    """``{stream id: (type identifier, sizeX, sizeY)}`` from the info node XML."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}
    out = {}
    for node in root.iter("node"):
        name = node.get("name", "")
        if not name.isdigit():
            continue
        attrs = {a.get("key"): (a.text or "") for a in node.iter("attr")}
        sx, sy = attrs.get("sizeX", ""), attrs.get("sizeY", "")
        out[int(name)] = (
            attrs.get("typeIdentifier", ""),
            int(sx) if sx.isdigit() else None,
            int(sy) if sy.isdigit() else None,
        )
    return out


class Header(NamedTuple):
    """What the IOHeader says: codec, data-table position, streams, sensor and data start."""

    codec: int
    table_pos: int
    xml: str
    streams: dict[int, tuple[str, int | None, int | None]]
    sensor: tuple[int, int, int] | None
    data_start: int


def parse_header(buf: bytes, name: str, *, strict_text: bool = False) -> Header:
    """Validate and decode the magic line and the IOHeader FlatBuffer.

    Args:
        buf: the whole file.
        name: the file name for messages.
        strict_text: require the info node to be valid UTF-8 (what the ``aedat`` package
            assumes without checking).

    Returns:
        The decoded :class:`Header`.

    Raises:
        EventFormatError: naming the file and byte offset.
    """
    if not buf.startswith(_MAGIC):
        raise EventFormatError(f"{name}: not an AEDAT 4 file (offset 0: expected {_MAGIC!r})")
    pos = len(_MAGIC)
    if pos + 4 > len(buf):
        raise EventFormatError(f"{name}: truncated IOHeader length at offset {pos}")
    hlen = struct.unpack_from("<i", buf, pos)[0]
    if hlen <= 0 or pos + 4 + hlen > len(buf):
        raise EventFormatError(f"{name}: IOHeader length {hlen} at offset {pos} exceeds the file")
    hb = buf[pos + 4 : pos + 4 + hlen]
    r = _Reader(hb, pos + 4, name)
    root = r.indirect(0)
    f_comp, f_table, f_info = (r.field(root, i) for i in range(3))
    codec = r.i32(f_comp) if f_comp is not None else 0
    table_pos = r.i64(f_table) if f_table is not None else -1
    xml = ""
    if f_info is not None:
        start, n = r.vector(f_info, 1)
        try:
            xml = hb[start : start + n].decode(
                "utf-8", errors="strict" if strict_text else "replace"
            )
        except UnicodeDecodeError as exc:
            raise EventFormatError(
                f"{name}: info node at offset {pos + 4 + start} is not UTF-8 ({exc.reason})"
            ) from None
    streams = _streams(xml)
    evts = {sid for sid, (ti, _, _) in streams.items() if ti == "EVTS"}
    sizes = [(sx, sy) for sid, (_, sx, sy) in streams.items() if sid in evts and sx and sy]
    sensor = (sizes[0][0], sizes[0][1], 2) if sizes else None
    return Header(codec, table_pos, xml, streams, sensor, pos + 4 + hlen)


def read_aedat4(
    path: str | os.PathLike[str], *, backend: str = "python"
) -> tuple[np.ndarray, tuple[int, int, int] | None]:
    """Read the event stream of an AEDAT 4 file.

    Args:
        path: the ``.aedat4`` file.
        backend: ``"python"`` (the built-in parser), ``"aedat"`` (the Rust ``aedat`` package,
            extra ``spike-cam[aedat]``; the header is validated by the built-in parser first
            and failures are located by it) or ``"auto"`` (``aedat`` when installed).

    Returns:
        ``(events, sensor_size or None)``; events of every ``EVTS`` stream, in file order.

    Raises:
        EventFormatError: naming the file and byte offset of what is wrong (bad magic,
            truncated header or packet, corrupt FlatBuffer or compressed packet, decreasing
            time, coordinates outside the sensor).
        ValueError: an unknown ``backend``.
        ImportError: ``backend="aedat"`` without the ``aedat`` package.
    """
    if backend not in ("python", "aedat", "auto"):
        raise ValueError(f"backend must be 'python', 'aedat' or 'auto', got {backend!r}")
    if backend != "python":
        from spike_cam.io._aedat_pkg import aedat_available, read_with_aedat

        if backend == "aedat" or aedat_available():
            return read_with_aedat(Path(path))
    return read_python(Path(path))


def read_python(path: Path) -> tuple[np.ndarray, tuple[int, int, int] | None]:
    """The built-in parser behind :func:`read_aedat4` (``backend="python"``)."""
    name = str(path)
    buf = path.read_bytes()
    head = parse_header(buf, name)
    evts = {sid for sid, (ti, _, _) in head.streams.items() if ti == "EVTS"}
    pos = head.data_start
    stop = head.table_pos if 0 <= head.table_pos <= len(buf) else len(buf)
    parts = []
    while pos < stop:
        if pos + 8 > stop:
            raise EventFormatError(f"{name}: truncated packet header at offset {pos}")
        sid, size = struct.unpack_from("<ii", buf, pos)
        if size < 0 or pos + 8 + size > stop:
            raise EventFormatError(
                f"{name}: packet at offset {pos} of size {size} exceeds the file"
            )
        if sid in evts or (not head.streams and sid == 0):
            payload = _decompress(buf[pos + 8 : pos + 8 + size], head.codec, name, pos)
            parts.append(_events_packet(payload, name, pos + 8 if head.codec == 0 else pos))
        pos += 8 + size
    ev = np.concatenate(parts) if parts else np.empty(0, dtype=EVENT_DTYPE)
    check_events(ev, head.sensor, name=name)
    return ev, head.sensor


def _events_packet(payload: bytes, name: str, offset: int) -> np.ndarray:
    if len(payload) < 12:
        raise EventFormatError(f"{name}: event packet at offset {offset} is too short")
    fb = payload[4:]
    if fb[4:8] != b"EVTS":
        raise EventFormatError(f"{name}: packet at offset {offset} is not an EVTS FlatBuffer")
    r = _Reader(fb, offset + 4, name)
    table = r.indirect(0)
    f = r.field(table, 0)
    if f is None:
        return np.empty(0, dtype=EVENT_DTYPE)
    start, n = r.vector(f, _EVENT.itemsize)
    raw = np.frombuffer(fb, dtype=_EVENT, count=n, offset=start)
    if n and (raw["x"].min() < 0 or raw["y"].min() < 0):
        i = int(np.flatnonzero((raw["x"] < 0) | (raw["y"] < 0))[0])
        raise EventFormatError(
            f"{name}: negative coordinate in event {i} of the packet at offset {offset}"
        )
    return make_events(raw["t"], raw["x"], raw["y"], raw["on"])


def _align(b: bytearray, n: int, phase: int = 0) -> None:
    while len(b) % n != phase:
        b.append(0)


def _io_header(codec: int, table_pos: int, xml: str) -> bytes:
    b = bytearray(4)  # root offset
    vt = len(b)
    b += struct.pack("<HHHHH", 10, 20, 4, 8, 16)  # vtable: 3 fields, table size 20
    _align(b, 8, 4)  # soffset (4 bytes) then the int64 at an 8-byte boundary
    table = len(b)
    b += struct.pack("<i", table - vt)
    b += struct.pack("<i", codec)
    b += struct.pack("<q", table_pos)
    info_field = len(b)
    b += b"\0\0\0\0"
    _align(b, 4)
    s = len(b)
    data = xml.encode()
    b += struct.pack("<I", len(data)) + data + b"\0"
    struct.pack_into("<I", b, info_field, s - info_field)
    struct.pack_into("<I", b, 0, table)
    _align(b, 4)
    return bytes(b)


def _event_packet(events: np.ndarray) -> bytes:
    b = bytearray(8)  # root offset + file identifier
    b[4:8] = b"EVTS"
    vt = len(b)
    b += struct.pack("<HHH", 6, 8, 4)
    _align(b, 4)
    table = len(b)
    b += struct.pack("<i", table - vt)
    field = len(b)
    b += b"\0\0\0\0"
    _align(b, 8, 4)  # vector length, then 8-aligned structs
    vec = len(b)
    raw = np.zeros(events.size, dtype=_EVENT)
    raw["t"], raw["x"], raw["y"], raw["on"] = events["t"], events["x"], events["y"], events["p"]
    b += struct.pack("<I", events.size) + raw.tobytes()
    struct.pack_into("<I", b, field, vec - field)
    struct.pack_into("<I", b, 0, table)
    return struct.pack("<I", len(b)) + bytes(b)


def write_aedat4(
    path: str | os.PathLike[str],
    events: np.ndarray,
    *,
    sensor_size: tuple[int, int, int] = (128, 128, 2),
    packet_size: int = 4096,
    compression: str = "none",
) -> Path:
    """Write an AEDAT 4 file with one ``EVTS`` stream (no data table), atomically.

    Args:
        path: output file.
        events: canonical events.
        sensor_size: ``(W, H, 2)`` written to the info node.
        packet_size: events per packet.
        compression: ``"none"``, ``"lz4"``, ``"lz4_high"``, ``"zstd"`` or ``"zstd_high"``
            (LZ4 / ZSTD frames per packet; need the extra ``spike-cam[compression]``).

    Returns:
        The path written.

    Raises:
        ValueError: an unknown ``compression`` or invalid events.
        ImportError: a compressed format without ``lz4`` / ``zstandard``.
    """
    if compression not in CODECS:
        raise ValueError(f"compression must be one of {sorted(CODECS)}, got {compression!r}")
    codec = CODECS[compression]
    check_events(events, sensor_size, name="events")
    W, H = sensor_size[0], sensor_size[1]
    xml = (
        '<dv version="2.0"><node name="outInfo" path="/outInfo/">'
        '<node name="0" path="/outInfo/0/">'
        '<attr key="typeIdentifier" type="string">EVTS</attr>'
        '<node name="info" path="/outInfo/0/info/">'
        f'<attr key="sizeX" type="int">{W}</attr><attr key="sizeY" type="int">{H}</attr>'
        "</node></node></node></dv>"
    )
    header = _io_header(codec, -1, xml)
    out = [_MAGIC, struct.pack("<i", len(header)), header]
    for i in range(0, max(events.size, 1), packet_size):
        pkt = _compress(_event_packet(events[i : i + packet_size]), codec)
        out.append(struct.pack("<ii", 0, len(pkt)) + pkt)
    return atomic_write_bytes(path, b"".join(out))
