"""Numba kernels of the integer LIF over a flat ``[T, N]`` neuron axis (lazily imported).

Same structure as :mod:`spike_core.kernels._numba_lif`: one compiled function per dtype, options
as integer flags, operations in the reference step's order. Parameter array ``prm``:
``[input_scale, levels, norm, beta, half, one, zero]``; flags ``half_even``, ``use_norm``
(``norm != 1``), ``use_beta`` (``beta != 0``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["int_backward", "int_forward"]

_BLOCK_FWD = 2048
_SCRATCH = 1 << 16

_OPTS = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}


@njit(inline="always", **_OPTS)
def _count(u, levels, half, zero, half_even):  # type: ignore[no-untyped-def]
    c = min(max(u, zero), levels)
    if half_even:
        return np.rint(c)
    return np.floor(c + half)


@njit(**_OPTS)
def int_forward(x, s, h, prm, half_even, use_norm, use_beta, j0, j1):  # type: ignore[no-untyped-def]
    """Forward over columns ``[j0, j1)``: writes ``s`` and updates the residual ``h`` in place."""
    T = x.shape[0]
    sc, levels, norm, beta, half, zero = prm[0], prm[1], prm[2], prm[3], prm[4], prm[6]
    for b0 in range(j0, j1, _BLOCK_FWD):
        b1 = min(b0 + _BLOCK_FWD, j1)
        for t in range(T):
            xt = x[t]
            st = s[t]
            for j in range(b0, b1):
                u = h[j] + sc * xt[j]
                kk = _count(u, levels, half, zero, half_even)
                st[j] = kk / norm if use_norm else kk
                h[j] = beta * (u - kk) if use_beta else zero


@njit(**_OPTS)
def int_backward(  # type: ignore[no-untyped-def]
    x, gs, gx, h0, gh, prm, half_even, use_norm, use_beta, j0, j1
):
    """Backward over ``[j0, j1)``; ``gh`` carries the final -> initial residual gradient."""
    T = x.shape[0]
    sc, levels, norm, beta, half, one, zero = (
        prm[0],
        prm[1],
        prm[2],
        prm[3],
        prm[4],
        prm[5],
        prm[6],
    )
    block = max(16, _SCRATCH // max(T, 1))
    ub = np.empty((T, block), dtype=x.dtype)
    hb = np.empty(block, dtype=x.dtype)
    for b0 in range(j0, j1, block):
        b1 = min(b0 + block, j1)
        n = b1 - b0
        for j in range(n):
            hb[j] = h0[b0 + j]
        for t in range(T):
            xt = x[t]
            for j in range(n):
                u = hb[j] + sc * xt[b0 + j]
                ub[t, j] = u
                kk = _count(u, levels, half, zero, half_even)
                hb[j] = beta * (u - kk) if use_beta else zero
        for t in range(T - 1, -1, -1):
            gst = gs[t]
            gxt = gx[t]
            for j in range(n):
                u = ub[t, j]
                gk = gst[b0 + j] / norm if use_norm else gst[b0 + j]
                mask = one if (u > zero and u < levels) else zero
                if use_beta:
                    gd = gh[b0 + j] * beta
                    gk = gk + (-gd)
                    gu = gd + gk * mask
                else:
                    gu = gk * mask
                gxt[b0 + j] = gu * sc
                gh[b0 + j] = gu
