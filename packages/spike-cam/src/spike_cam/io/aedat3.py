"""AEDAT 3.1 (DVS128 Gesture): header lines, then packets of 8-byte polarity events.

Packet header (28 bytes, little endian): ``int16 eventType, int16 eventSource, int32 eventSize,
int32 eventTSOffset, int32 eventTSOverflow, int32 eventCapacity, int32 eventNumber,
int32 eventValid``, then ``eventCapacity * eventSize`` bytes. Polarity events (type 1, size 8):
``uint32 data, uint32 timestamp``; ``data`` bit 0 valid, bit 1 polarity, bits 2-16 y, bits 17-31
x; full timestamp ``timestamp | (eventTSOverflow << 31)`` µs. Other packet types are skipped.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from spike_cam.events import EVENT_DTYPE, EventFormatError, check_events, make_events
from spike_core import atomic_write_bytes

__all__ = ["decode_polarity", "read_aedat31", "write_aedat31"]

_MAGIC = b"#!AER-DAT3.1"
_END = b"#!END-HEADER"
_HEADER = struct.Struct("<hhiiiiii")
_POLARITY = 1


def decode_polarity(data: np.ndarray, ts: np.ndarray, overflow: int) -> np.ndarray:
    """Decode polarity records.

    Args:
        data: ``uint32`` data words.
        ts: ``uint32`` timestamps (lower 31 bits).
        overflow: the packet's ``eventTSOverflow``.

    Returns:
        Canonical events (valid records only).

    Examples:
        >>> d = np.array([(37 << 17) | (90 << 2) | (1 << 1) | 1], dtype=np.uint32)
        >>> e = decode_polarity(d, np.array([123], dtype=np.uint32), 1)
        >>> int(e["x"][0]), int(e["y"][0]), int(e["p"][0]), int(e["t"][0]) - 2**31
        (37, 90, 1, 123)
    """
    data = data.astype(np.uint32)
    valid = (data & 1).astype(bool)
    t = ts.astype(np.int64) | (np.int64(overflow) << 31)
    x = (data >> 17) & 0x7FFF
    y = (data >> 2) & 0x7FFF
    p = (data >> 1) & 1
    return make_events(t[valid], x[valid], y[valid], p[valid])


def read_aedat31(
    path: str | os.PathLike[str], *, sensor_size: tuple[int, int, int] | None = (128, 128, 2)
) -> np.ndarray:
    """Read the polarity events of an AEDAT 3.1 file.

    Args:
        path: the ``.aedat`` file.
        sensor_size: coordinates are validated against it (``None`` skips the check).

    Returns:
        Canonical events in file order.

    Raises:
        EventFormatError: for a bad header, a truncated or malformed packet, decreasing
            timestamps or out-of-range coordinates; the message names the file and byte offset.
    """
    path = Path(path)
    buf = path.read_bytes()
    if not buf.startswith(_MAGIC):
        raise EventFormatError(f"{path}: not an AEDAT 3.1 file (offset 0: expected {_MAGIC!r})")
    pos = 0
    while True:
        if pos >= len(buf) or buf[pos : pos + 1] != b"#":
            raise EventFormatError(f"{path}: header ends without {_END!r} (offset {pos})")
        nl = buf.find(b"\n", pos)
        if nl < 0:
            raise EventFormatError(f"{path}: unterminated header line at offset {pos}")
        line = buf[pos:nl]
        pos = nl + 1
        if line.startswith(_END):
            break
    parts = []
    last_t = None
    while pos < len(buf):
        if pos + _HEADER.size > len(buf):
            raise EventFormatError(f"{path}: truncated packet header at offset {pos}")
        etype, _src, esize, _tsoff, overflow, capacity, number, _valid = _HEADER.unpack_from(
            buf, pos
        )
        if esize < 0 or capacity < 0 or number < 0 or number > capacity or overflow < 0:
            raise EventFormatError(
                f"{path}: malformed packet header at offset {pos} "
                f"(size {esize}, capacity {capacity}, number {number}, overflow {overflow})"
            )
        start = pos + _HEADER.size
        end = start + capacity * esize
        if end > len(buf):
            raise EventFormatError(
                f"{path}: packet at offset {pos} needs {capacity * esize} bytes, "
                f"{len(buf) - start} left (truncated file)"
            )
        if etype == _POLARITY:
            if esize != 8:
                raise EventFormatError(
                    f"{path}: polarity packet at offset {pos} has event size {esize}, expected 8"
                )
            rec = np.frombuffer(buf, dtype="<u4", count=2 * number, offset=start).reshape(-1, 2)
            ev = decode_polarity(rec[:, 0], rec[:, 1], overflow)
            try:
                check_events(ev, sensor_size, name=f"{path} (packet at offset {pos})")
            except EventFormatError as exc:
                raise EventFormatError(str(exc)) from None
            if ev.size:
                if last_t is not None and ev["t"][0] < last_t:
                    raise EventFormatError(
                        f"{path}: packet at offset {pos} starts at t={ev['t'][0]} before the "
                        f"previous packet's last event t={last_t}"
                    )
                last_t = int(ev["t"][-1])
                parts.append(ev)
        pos = end
    return np.concatenate(parts) if parts else np.empty(0, dtype=EVENT_DTYPE)


def write_aedat31(
    path: str | os.PathLike[str], events: np.ndarray, *, packet_size: int = 4096
) -> Path:
    """Write canonical events as AEDAT 3.1 polarity packets (atomically).

    A packet never spans two values of ``t >> 31``, so timestamps past 2^31 µs use the
    overflow field.

    Args:
        path: output file.
        events: canonical events with non-decreasing ``t`` and ``x, y < 2^15``.
        packet_size: maximum events per packet.

    Returns:
        The path written.
    """
    check_events(events, (2**15, 2**15, 2), name="events")
    if events.size and events["t"][0] < 0:
        raise ValueError("events: timestamps must be non-negative for AEDAT 3.1")
    out = [_MAGIC + b"\r\n", b"#Format: RAW\r\n", b"#Source 1: DVS128\r\n", _END + b"\r\n"]
    t = events["t"].astype(np.int64)
    overflow = t >> 31
    data = (
        (events["x"].astype(np.uint32) << 17)
        | (events["y"].astype(np.uint32) << 2)
        | (events["p"].astype(np.uint32) << 1)
        | 1
    )
    ts = (t & 0x7FFFFFFF).astype(np.uint32)
    i = 0
    while i < events.size:
        j = min(i + packet_size, events.size)
        j = i + int(np.searchsorted(overflow[i:j], overflow[i], side="right"))
        n = j - i
        out.append(_HEADER.pack(_POLARITY, 1, 8, 4, int(overflow[i]), n, n, n))
        out.append(np.stack([data[i:j], ts[i:j]], axis=1).astype("<u4").tobytes())
        i = j
    return atomic_write_bytes(path, b"".join(out))
