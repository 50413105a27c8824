"""Plain event files: ``.npy`` (``[N, 4]`` or structured), ``.npz`` (keys ``t, x, y, p``), CSV and HDF5.

HDF5 (extra ``spike-cam[hdf5]``) stores datasets ``events/t``, ``events/x``, ``events/y``,
``events/p`` and the ``sensor_size`` attribute.
"""

from __future__ import annotations

import io
import os
import tokenize
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spike_cam.events import EVENT_DTYPE, EventFormatError, check_events, make_events
from spike_core import atomic_write_bytes

__all__ = [
    "read_csv",
    "read_hdf5",
    "read_npy",
    "read_npz",
    "write_csv",
    "write_hdf5",
    "write_npy",
    "write_npz",
]

_FIELDS = ("t", "x", "y", "p")


def _columns(columns: str | Sequence[str]) -> list[str]:
    cols = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else list(columns)
    if sorted(cols) != sorted(_FIELDS):
        raise ValueError(f"columns must name t, x, y and p once each, got {cols}")
    return cols


def _from_table(a: np.ndarray, cols: list[str], path: Path, sensor_size: object) -> np.ndarray:
    if a.ndim != 2 or a.shape[1] != 4:
        raise EventFormatError(f"{path}: expected 4 columns, got shape {a.shape}")
    if a.size and not np.all(np.isfinite(a.astype(np.float64))):
        row = int(np.flatnonzero(~np.isfinite(a.astype(np.float64)).all(1))[0])
        raise EventFormatError(f"{path}: non-finite value in row {row}")
    d = {c: a[:, i] for i, c in enumerate(cols)}
    if a.size and (d["x"].min() < 0 or d["y"].min() < 0):
        row = int(np.flatnonzero((d["x"] < 0) | (d["y"] < 0))[0])
        raise EventFormatError(f"{path}: negative coordinate in row {row}")
    try:
        ev = make_events(d["t"], d["x"], d["y"], d["p"])
    except ValueError as exc:
        raise EventFormatError(f"{path}: {exc}") from None
    return check_events(ev, sensor_size, name=str(path))  # type: ignore[arg-type]


def read_npy(
    path: str | os.PathLike[str], *, sensor_size: tuple[int, int, int] | None = None
) -> np.ndarray:
    """Read ``.npy`` events: ``[N, 4]`` columns ``t, x, y, p`` or a structured array with those fields.

    Args:
        path: the file.
        sensor_size: validate coordinates against ``(W, H, 2)`` when given.

    Returns:
        Canonical events.

    Raises:
        EventFormatError: naming the file and the offending row.
    """
    path = Path(path)
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError) as exc:
        raise EventFormatError(f"{path}: not a readable .npy file ({exc})") from None
    if a.dtype.names:
        missing = set(_FIELDS) - set(a.dtype.names)
        if missing:
            raise EventFormatError(f"{path}: structured array lacks fields {sorted(missing)}")
        a = np.stack([a[f].astype(np.float64) for f in _FIELDS], axis=1)
    return _from_table(a, list(_FIELDS), path, sensor_size)


def read_npz(
    path: str | os.PathLike[str], *, sensor_size: tuple[int, int, int] | None = None
) -> np.ndarray:
    """Read ``.npz`` events with keys ``t, x, y, p`` (any order; SpikingJelly's layout).

    Args:
        path: the file.
        sensor_size: validate coordinates when given.

    Returns:
        Canonical events.

    Raises:
        EventFormatError: for missing keys, unequal lengths or a corrupt archive.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = set(_FIELDS) - set(z.files)
            if missing:
                raise EventFormatError(f"{path}: missing keys {sorted(missing)} (has {z.files})")
            cols = [np.asarray(z[k]).reshape(-1) for k in _FIELDS]
    except (
        ValueError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        SyntaxError,
        tokenize.TokenError,
    ) as exc:
        if isinstance(exc, EventFormatError):
            raise
        raise EventFormatError(f"{path}: not a readable .npz file ({exc})") from None
    if len({len(c) for c in cols}) != 1:
        raise EventFormatError(f"{path}: keys t, x, y, p have lengths {[len(c) for c in cols]}")
    return _from_table(
        np.stack([c.astype(np.float64) for c in cols], axis=1), list(_FIELDS), path, sensor_size
    )


def read_csv(
    path: str | os.PathLike[str],
    *,
    columns: str | Sequence[str] = "t,x,y,p",
    sensor_size: tuple[int, int, int] | None = None,
) -> np.ndarray:
    """Read CSV/TXT events (comma or whitespace separated; an optional header line is skipped).

    Args:
        path: the file.
        columns: column order, e.g. ``"x,y,t,p"`` (Tonic's DailyAction-DVS order).
        sensor_size: validate coordinates when given.

    Returns:
        Canonical events.

    Raises:
        EventFormatError: naming the file and the line that does not parse.
    """
    path = Path(path)
    cols = _columns(columns)
    rows = []
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, line in enumerate(text):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.replace(",", " ").split()
        try:
            rows.append([float(v) for v in parts])
        except ValueError:
            if not rows and i == 0:  # a header line
                continue
            raise EventFormatError(f"{path}: line {i + 1} is not numeric: {s[:60]!r}") from None
        if len(parts) != 4:
            raise EventFormatError(f"{path}: line {i + 1} has {len(parts)} values, expected 4")
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    return _from_table(a, cols, path, sensor_size)


def write_npy(path: str | os.PathLike[str], events: np.ndarray) -> Path:
    """Write events as an ``[N, 4]`` int64 ``.npy`` (columns ``t, x, y, p``), atomically."""
    check_events(events, name="events", require_sorted=False)
    a = np.stack([events[f].astype(np.int64) for f in _FIELDS], axis=1)
    buf = io.BytesIO()
    np.save(buf, a)
    return atomic_write_bytes(path, buf.getvalue())


def write_npz(path: str | os.PathLike[str], events: np.ndarray) -> Path:
    """Write events as ``.npz`` with keys ``t, x, y, p``, atomically."""
    check_events(events, name="events", require_sorted=False)
    buf = io.BytesIO()
    np.savez(buf, t=events["t"], x=events["x"], y=events["y"], p=events["p"])
    return atomic_write_bytes(path, buf.getvalue())


def write_csv(
    path: str | os.PathLike[str], events: np.ndarray, *, columns: str = "t,x,y,p"
) -> Path:
    """Write events as CSV with a header line, in the given column order, atomically."""
    cols = _columns(columns)
    check_events(events, name="events", require_sorted=False)
    lines = [",".join(cols)]
    lines += [",".join(str(int(e[c])) for c in cols) for e in events]
    return atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())


def _h5py():
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("HDF5 support needs h5py: pip install 'spike-cam[hdf5]'") from exc
    return h5py


def write_hdf5(
    path: str | os.PathLike[str],
    events: np.ndarray,
    *,
    sensor_size: tuple[int, int, int] | None = None,
) -> Path:
    """Write events to HDF5 (``events/t|x|y|p``, attribute ``sensor_size``), atomically."""
    h5py = _h5py()
    check_events(events, sensor_size, name="events", require_sorted=False)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with h5py.File(tmp, "w") as f:
        g = f.create_group("events")
        for k in _FIELDS:
            g.create_dataset(k, data=events[k])
        if sensor_size is not None:
            f.attrs["sensor_size"] = np.asarray(sensor_size, dtype=np.int64)
    tmp.replace(path)
    return path


def read_hdf5(path: str | os.PathLike[str]) -> tuple[np.ndarray, tuple[int, int, int] | None]:
    """Read events written by :func:`write_hdf5`.

    Args:
        path: the file.

    Returns:
        ``(events, sensor_size or None)``.

    Raises:
        EventFormatError: for a file that is not HDF5 or lacks the datasets.
    """
    h5py = _h5py()
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            if "events" not in f:
                raise EventFormatError(f"{path}: no 'events' group")
            g = f["events"]
            missing = [k for k in _FIELDS if k not in g]
            if missing:
                raise EventFormatError(f"{path}: 'events' lacks datasets {missing}")
            cols = [np.asarray(g[k]).reshape(-1) for k in _FIELDS]
            size = (
                tuple(int(v) for v in f.attrs["sensor_size"]) if "sensor_size" in f.attrs else None
            )
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        if isinstance(exc, EventFormatError):
            raise
        raise EventFormatError(f"{path}: not a readable HDF5 file ({exc})") from None
    if len({len(c) for c in cols}) != 1:
        raise EventFormatError(f"{path}: datasets t, x, y, p have lengths {[len(c) for c in cols]}")
    a = np.stack([c.astype(np.float64) for c in cols], axis=1)
    return _from_table(a, list(_FIELDS), path, size), size  # type: ignore[return-value]


_ = EVENT_DTYPE
