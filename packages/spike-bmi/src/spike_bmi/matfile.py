"""Reading and writing the MATLAB v7.3 (HDF5) layout of the NHP reaching ``.mat`` files.

MATLAB stores matrices column-major, so through h5py a MATLAB ``k x 2`` matrix is a ``(2, k)``
dataset and the ``n x u`` cell array ``spikes`` is a ``(u, n)`` dataset of object references,
each pointing to a float64 dataset of spike times. Empty cells are small ``uint64`` datasets of
dimensions carrying the attribute ``MATLAB_empty = 1``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RawReaching", "read_reaching_mat", "write_reaching_mat"]


@dataclass(frozen=True)
class RawReaching:
    """One recording session as stored in the ``.mat`` file (NeuroBench orientation).

    Attributes:
        t: ``[K]`` sample times in seconds (4 ms apart).
        cursor_pos: ``[2, K]`` cursor position (x, y).
        target_pos: ``[2, K]`` target position (x, y).
        spikes: ``spikes[u][c]``: 1-D spike times (s) of unit ``u`` on channel ``c``.
        finger_pos: ``[3, K]`` fingertip position, or ``None`` when absent.
        chan_names: channel names (may be empty).
        source: where it came from (file path or ``"synthetic"``), used in error messages.
    """

    t: np.ndarray
    cursor_pos: np.ndarray
    target_pos: np.ndarray
    spikes: list[list[np.ndarray]]
    finger_pos: np.ndarray | None = None
    chan_names: tuple[str, ...] = ()
    source: str = "synthetic"

    @property
    def n_channels(self) -> int:
        """Number of recording channels."""
        return len(self.spikes[0]) if self.spikes else 0

    @property
    def n_units(self) -> int:
        """Units per channel (including the unsorted "hash" unit)."""
        return len(self.spikes)

    def validate(self) -> None:
        """Check shapes, lengths and finiteness.

        Raises:
            ValueError: naming the source and the offending variable.
        """
        src = self.source
        t = self.t
        if t.ndim != 1 or t.size < 2:
            raise ValueError(
                f"{src}: variable 't' must hold at least 2 samples, got shape {t.shape}"
            )
        if not np.isfinite(t).all():
            raise ValueError(f"{src}: variable 't' contains NaN or infinite values")
        if not (np.diff(t) > 0).all():
            raise ValueError(f"{src}: variable 't' must be strictly increasing")
        for name in ("cursor_pos", "target_pos"):
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape[0] != 2:
                raise ValueError(
                    f"{src}: variable {name!r} must be k x 2 (h5py (2, k)), got h5py shape {arr.shape}"
                )
            if arr.shape[1] != t.size:
                raise ValueError(
                    f"{src}: variable {name!r} has {arr.shape[1]} samples but 't' has {t.size} "
                    "(mismatched lengths)"
                )
            if not np.isfinite(arr).all():
                raise ValueError(f"{src}: variable {name!r} contains NaN or infinite values")
        if not self.spikes or not self.spikes[0]:
            raise ValueError(f"{src}: variable 'spikes' holds no channels")
        for u, row in enumerate(self.spikes):
            if len(row) != self.n_channels:
                raise ValueError(f"{src}: variable 'spikes' is ragged (unit {u})")
            for c, times in enumerate(row):
                if times.ndim != 1:
                    raise ValueError(f"{src}: variable 'spikes'{{{c + 1},{u + 1}}} is not a vector")
                if not np.isfinite(times).all():
                    raise ValueError(
                        f"{src}: variable 'spikes'{{{c + 1},{u + 1}}} (channel {c}, unit {u}) "
                        "contains NaN or infinite spike times"
                    )


def _load_cell(f: object, element: object, src: str, where: str) -> np.ndarray:
    import h5py

    if isinstance(element, np.ndarray):  # a cell that already materialised as an array
        return np.asarray(element, dtype=np.float64).reshape(-1)
    if not isinstance(element, h5py.Reference) or not element:
        raise ValueError(f"{src}: variable 'spikes'{where} is neither a reference nor an array")
    try:
        ds = f[element]  # type: ignore[index]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{src}: variable 'spikes'{where} holds a dangling reference") from exc
    if int(np.asarray(ds.attrs.get("MATLAB_empty", 0)).reshape(-1)[0]) == 1:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(ds[()], dtype=np.float64).reshape(-1)


def read_reaching_mat(path: str | os.PathLike[str]) -> RawReaching:
    """Read one NHP reaching session from a MATLAB v7.3 ``.mat`` (HDF5) file.

    Args:
        path: the file (e.g. ``indy_20160622_01.mat``).

    Returns:
        The :class:`RawReaching` (already validated).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: for a file that is not HDF5, misses a variable, has mismatched lengths or
            holds NaN spike times; the message names the file and the variable.
    """
    import h5py

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such .mat file: {p}")
    src = str(p)
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise ValueError(f"{src}: not a MATLAB v7.3 (HDF5) file ({exc})") from exc
    with f:
        for name in ("t", "cursor_pos", "target_pos", "spikes"):
            if name not in f:
                raise ValueError(f"{src}: missing variable {name!r}")
        t = np.asarray(f["t"][()], dtype=np.float64).reshape(-1)
        cursor = np.asarray(f["cursor_pos"][()], dtype=np.float64)
        target = np.asarray(f["target_pos"][()], dtype=np.float64)
        finger = np.asarray(f["finger_pos"][()], dtype=np.float64) if "finger_pos" in f else None
        cells = f["spikes"][()]
        if cells.ndim != 2:
            raise ValueError(f"{src}: variable 'spikes' must be an n x u cell, got {cells.shape}")
        spikes = [
            [_load_cell(f, cells[u, c], src, f"{{{c + 1},{u + 1}}}") for c in range(cells.shape[1])]
            for u in range(cells.shape[0])
        ]
        names: list[str] = []
        if "chan_names" in f:
            for ref in np.asarray(f["chan_names"][()]).reshape(-1):
                if isinstance(ref, h5py.Reference) and ref:
                    codes = np.asarray(f[ref][()]).reshape(-1)
                    names.append("".join(chr(int(c)) for c in codes))
    raw = RawReaching(t, cursor, target, spikes, finger, tuple(names), src)
    raw.validate()
    return raw


def _matlab_class(ds: object, cls: str) -> None:
    ds.attrs["MATLAB_class"] = np.bytes_(cls)  # type: ignore[attr-defined]


def write_reaching_mat(raw: RawReaching, path: str | os.PathLike[str]) -> Path:
    """Write ``raw`` in the MATLAB v7.3 layout of the Zenodo files (atomically).

    Spike-time vectors go to the ``#refs#`` group and ``spikes`` holds references to them; an
    empty cell is written the MATLAB way (``uint64`` dims with ``MATLAB_empty = 1``).

    Args:
        raw: the session.
        path: destination ``.mat`` path.

    Returns:
        The written path.
    """
    import h5py

    dest = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".mat.tmp", dir=dest.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w", userblock_size=512) as f:
            refs = f.create_group("#refs#")
            _matlab_class(f.create_dataset("t", data=raw.t.reshape(1, -1)), "double")
            _matlab_class(f.create_dataset("cursor_pos", data=raw.cursor_pos), "double")
            _matlab_class(f.create_dataset("target_pos", data=raw.target_pos), "double")
            if raw.finger_pos is not None:
                _matlab_class(f.create_dataset("finger_pos", data=raw.finger_pos), "double")
            ref_dtype = h5py.special_dtype(ref=h5py.Reference)
            cells = np.empty((raw.n_units, raw.n_channels), dtype=object)
            k = 0
            for u, row in enumerate(raw.spikes):
                for c, times in enumerate(row):
                    name = f"s{k}"
                    k += 1
                    if len(times) == 0:
                        ds = refs.create_dataset(name, data=np.array([0, 0], dtype=np.uint64))
                        ds.attrs["MATLAB_empty"] = np.uint8(1)
                    else:
                        ds = refs.create_dataset(name, data=np.asarray(times).reshape(1, -1))
                    _matlab_class(ds, "double")
                    cells[u, c] = ds.ref
            _matlab_class(f.create_dataset("spikes", data=cells, dtype=ref_dtype), "cell")
            if raw.chan_names:
                names = np.empty((1, len(raw.chan_names)), dtype=object)
                for i, nm in enumerate(raw.chan_names):
                    ds = refs.create_dataset(
                        f"c{i}",
                        data=np.array([ord(ch) for ch in nm], dtype=np.uint16).reshape(-1, 1),
                    )
                    _matlab_class(ds, "char")
                    names[0, i] = ds.ref
                _matlab_class(f.create_dataset("chan_names", data=names, dtype=ref_dtype), "cell")
        Path(tmp).replace(dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
