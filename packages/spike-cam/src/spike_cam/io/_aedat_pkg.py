"""AEDAT 4 through the Rust ``aedat`` decoder (PyPI ``aedat``, extra ``spike-cam[aedat]``).

``aedat`` 2.3 reads the IOHeader FlatBuffer without verifying it and treats the info node as
UTF-8 without checking; on a corrupt header it panics, and one such panic aborted the whole
interpreter in our fuzzing. So the header is first validated by the built-in parser (bounds
of every FlatBuffer reference, strict UTF-8); then ``aedat`` decodes the packets (it verifies
the event FlatBuffers itself). Its errors do not say where the file is wrong, so on failure
the built-in parser re-reads the file to name the offset.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from spike_cam.events import EVENT_DTYPE, EventFormatError, check_events, make_events
from spike_cam.io.aedat4 import parse_header, read_python

__all__ = ["aedat_available", "read_with_aedat"]


def aedat_available() -> bool:
    """Whether the ``aedat`` package is installed.

    Returns:
        True when ``import aedat`` would succeed.
    """
    return importlib.util.find_spec("aedat") is not None


def _locate(path: Path, what: str) -> EventFormatError:
    """An error naming the file and, from the built-in parser, the offset."""
    try:
        read_python(path)
    except EventFormatError as exc:
        return EventFormatError(f"{exc} (the aedat decoder said: {what})")
    return EventFormatError(
        f"{path}: the aedat decoder rejected the file ({what}); the built-in parser reads it "
        "(use backend='python')"
    )


def read_with_aedat(path: Path) -> tuple[np.ndarray, tuple[int, int, int] | None]:
    """Read an AEDAT 4 file with ``aedat.Decoder``.

    Args:
        path: the file.

    Returns:
        ``(events, sensor_size or None)`` exactly as the built-in parser returns them.

    Raises:
        ImportError: without the ``aedat`` package (naming the extra).
        EventFormatError: naming the file (and, where the built-in parser can find it, the
            byte offset) for a file that does not decode or validate.
    """
    try:
        import aedat
    except ImportError as exc:
        raise ImportError("backend='aedat' needs the aedat package: spike-cam[aedat]") from exc
    name = str(path)
    parse_header(path.read_bytes(), name, strict_text=True)
    parts = []
    sensor = None
    try:
        decoder = aedat.Decoder(path)
        streams = decoder.id_to_stream()
        evts = {sid for sid, s in streams.items() if s.get("type") == "events"}
        sizes = [(streams[sid]["width"], streams[sid]["height"]) for sid in sorted(evts)]
        sensor = (int(sizes[0][0]), int(sizes[0][1]), 2) if sizes else None
        for packet in decoder:
            if packet["stream_id"] in evts and "events" in packet:
                e = packet["events"]
                parts.append(make_events(e["t"].astype(np.int64), e["x"], e["y"], e["on"]))
    except Exception as exc:  # the decoder raises RuntimeError for what it rejects
        raise _locate(path, f"{type(exc).__name__}: {exc}") from None
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException
        if type(exc).__name__ != "PanicException":
            raise
        raise _locate(path, f"panic: {exc}") from None
    ev = np.concatenate(parts) if parts else np.empty(0, dtype=EVENT_DTYPE)
    check_events(ev, sensor, name=name)
    return ev, sensor
