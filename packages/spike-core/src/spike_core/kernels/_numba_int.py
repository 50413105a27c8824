"""Numba kernels of the integer LIF over a flat ``[T, N]`` neuron axis (lazily imported).

Same structure as :mod:`spike_core.kernels._numba_lif`: one compiled function per dtype, options
as integer flags, operations in the reference step's order. Parameter array ``prm``:
``[input_scale, levels, norm, beta, half, one, zero]``; flags ``half_even``, ``use_norm``
(``norm != 1``), ``use_beta`` (``beta != 0``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from spike_core.kernels._numba_lif import _non_finite

__all__ = ["int_backward", "int_forward"]

_BLOCK_FWD = 2048
_SCRATCH = 1 << 16

_jit = njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")


@_jit
def int_forward(x, s, h0, h, prm, half_even, use_norm, use_beta, j0, j1):  # type: ignore[no-untyped-def]
    """Forward over columns ``[j0, j1)`` from the residual ``h0``: writes ``s`` and the final ``h``."""
    T = x.shape[0]
    sc, levels, norm, beta, half, zero = prm[0], prm[1], prm[2], prm[3], prm[4], prm[6]
    chk = np.zeros(_BLOCK_FWD, dtype=x.dtype)  # NaN once a non-finite x passed
    for b0 in range(j0, j1, _BLOCK_FWD):
        b1 = min(b0 + _BLOCK_FWD, j1)
        n = b1 - b0
        hb = h[b0:b1]
        h0b = h0[b0:b1]
        for j in range(n):
            hb[j] = h0b[j]
        for t in range(T):
            xt = x[t][b0:b1]
            st = s[t][b0:b1]
            for j in range(n):
                xv = xt[j]
                chk[j] += xv - xv
                u = hb[j] + sc * xv
                c = min(max(u, zero), levels)
                kk = np.rint(c) if half_even else np.floor(c + half)
                st[j] = kk / norm if use_norm else kk
                hb[j] = beta * (u - kk) if use_beta else zero
    return _non_finite(chk)


@_jit
def int_backward(  # type: ignore[no-untyped-def]
    x, gs, gx, h0, gh, prm, half_even, use_norm, use_beta, j0, j1
):
    """Backward over ``[j0, j1)``; ``gh`` carries the final -> initial residual gradient."""
    T = x.shape[0]
    sc, levels, norm, beta, half, one, zero = prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
    block = max(16, _SCRATCH // max(T, 1))
    ubuf = np.empty((T, block), dtype=x.dtype)
    hb = np.empty(block, dtype=x.dtype)
    for b0 in range(j0, j1, block):
        b1 = min(b0 + block, j1)
        n = b1 - b0
        h0b = h0[b0:b1]
        ghb = gh[b0:b1]
        for j in range(n):
            hb[j] = h0b[j]
        for t in range(T):
            xt = x[t][b0:b1]
            ut = ubuf[t]
            for j in range(n):
                u = hb[j] + sc * xt[j]
                ut[j] = u
                c = min(max(u, zero), levels)
                kk = np.rint(c) if half_even else np.floor(c + half)
                hb[j] = beta * (u - kk) if use_beta else zero
        for t in range(T - 1, -1, -1):
            ut = ubuf[t]
            gst = gs[t][b0:b1]
            gxt = gx[t][b0:b1]
            for j in range(n):
                u = ut[j]
                gk = gst[j] / norm if use_norm else gst[j]
                mask = one if (u > zero and u < levels) else zero
                gd = ghb[j] * beta
                gu_beta = gd + (gk + (-gd)) * mask
                gu = gu_beta if use_beta else gk * mask
                gxt[j] = gu * sc
                ghb[j] = gu
