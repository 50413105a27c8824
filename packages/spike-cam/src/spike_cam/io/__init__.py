"""Readers and writers of event files (AEDAT 3.1, AEDAT 4, npy/npz/CSV, HDF5).

``read_events(path)`` picks the reader from the suffix; every reader validates what it reads
and raises :class:`~spike_cam.EventFormatError` naming the file and the offset (byte offset for
binary formats, row or line for tables).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from spike_cam.io.aedat3 import decode_polarity, read_aedat31, write_aedat31
from spike_cam.io.aedat4 import read_aedat4, write_aedat4
from spike_cam.io.plain import (
    read_csv,
    read_hdf5,
    read_npy,
    read_npz,
    write_csv,
    write_hdf5,
    write_npy,
    write_npz,
)

__all__ = [
    "decode_polarity",
    "read_aedat4",
    "read_aedat31",
    "read_csv",
    "read_events",
    "read_hdf5",
    "read_npy",
    "read_npz",
    "write_aedat4",
    "write_aedat31",
    "write_csv",
    "write_events",
    "write_hdf5",
    "write_npy",
    "write_npz",
]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".aedat":
        with path.open("rb") as f:
            head = f.read(16)
        return "aedat4" if head.startswith(b"#!AER-DAT4") else "aedat3"
    kinds = {
        ".aedat4": "aedat4",
        ".npy": "npy",
        ".npz": "npz",
        ".csv": "csv",
        ".txt": "csv",
        ".h5": "hdf5",
        ".hdf5": "hdf5",
    }
    if suffix not in kinds:
        raise ValueError(
            f"{path}: unknown event file suffix {suffix!r}; expected one of {[*sorted(kinds), '.aedat']}"
        )
    return kinds[suffix]


def read_events(path: str | os.PathLike[str], **kwargs: Any) -> np.ndarray:
    """Read any supported event file into the canonical array (by suffix).

    Args:
        path: ``.aedat`` (3.1 or 4 by magic), ``.aedat4``, ``.npy``, ``.npz``, ``.csv``/``.txt``,
            ``.h5``/``.hdf5``.
        **kwargs: passed to the reader (``sensor_size=``, ``columns=`` for CSV, ``backend=``
            for AEDAT 4).

    Returns:
        Canonical events.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: for an unknown suffix; ``EventFormatError`` for a bad file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"event file not found: {path}")
    kind = _kind(path)
    if kind == "aedat4":
        return read_aedat4(path, **kwargs)[0]
    if kind == "hdf5":
        return read_hdf5(path)[0]
    reader = {"aedat3": read_aedat31, "npy": read_npy, "npz": read_npz, "csv": read_csv}[kind]
    return reader(path, **kwargs)


def write_events(path: str | os.PathLike[str], events: np.ndarray, **kwargs: Any) -> Path:
    """Write canonical events in the format given by the suffix (``.aedat`` writes AEDAT 3.1).

    Args:
        path: output file.
        events: canonical events.
        **kwargs: passed to the writer.

    Returns:
        The path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    writers = {
        ".aedat": write_aedat31,
        ".aedat4": write_aedat4,
        ".npy": write_npy,
        ".npz": write_npz,
        ".csv": write_csv,
        ".txt": write_csv,
        ".h5": write_hdf5,
        ".hdf5": write_hdf5,
    }
    if suffix not in writers:
        raise ValueError(
            f"{path}: unknown event file suffix {suffix!r}; expected one of {sorted(writers)}"
        )
    return writers[suffix](path, events, **kwargs)
