"""Single-pass CPU scans of a layer input (numba, single-threaded), used by ``_classify``.

Imported lazily and only when numba is installed (the ``numba`` extra); without it
``_classify`` keeps its torch reductions. One pass over a contiguous float32/float64 tensor
replaces the three to five torch reductions of the exact classification. The scans run on the
calling thread: on a loaded CPU a multi-threaded torch reduction mostly waits for its worker
threads to be scheduled, so one thread streaming the data once is faster than two reductions.
Every result is an exact integer count or an exact min/max, so counts do not depend on the path.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["count_binary", "scan_values"]

_jit = njit(cache=True, nogil=True, boundscheck=False)


@_jit
def count_binary(a):  # type: ignore[no-untyped-def]
    """``(ones, nonzero)`` of a 1-D float array: it is binary iff ``ones == nonzero``.

    NaN and infinities count as non-zero values that are not one.
    """
    ones = 0
    nonzero = 0
    for i in range(a.size):
        v = a[i]
        ones += v == 1.0
        nonzero += v != 0.0
    return ones, nonzero


@_jit
def scan_values(a):  # type: ignore[no-untyped-def]
    """``(min, max, nonzero, non_integers, nans)`` of a non-empty 1-D float array."""
    mn = a[0]
    mx = a[0]
    nonzero = 0
    nonint = 0
    nans = 0
    for i in range(a.size):
        v = a[i]
        nonzero += v != 0.0
        nans += np.isnan(v)
        nonint += v != np.floor(v)
        mn = min(mn, v)
        mx = max(mx, v)
    return mn, mx, nonzero, nonint, nans
