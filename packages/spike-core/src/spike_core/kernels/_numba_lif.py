"""Numba kernels of the LIF family (LIF, IF, PLIF, CuBa-LIF) over a flat ``[T, N]`` neuron axis.

Imported lazily (first use of the ``"cpu"`` backend), never at ``import spike_core``. Each kernel
is compiled once per dtype and serves every configuration: the charge form, reset mode and
surrogate arrive as integer codes and the parameters as an array in the input's dtype, so all
arithmetic stays in that dtype. The operations replay the reference step's float operations in
the same order (no fast-math, no contraction), so spikes are bit-identical to the reference.

Each call works on the neuron columns ``[j0, j1)`` (one thread's share) in blocks that keep the
state in L1/L2 cache while the time loop streams ``x`` and the spikes once. Backward recomputes
the forward of one block into a small ``[T, block]`` scratch buffer from the saved initial state
(nothing but ``x`` and the initial state is kept between forward and backward), then runs in
reverse time.

Parameter array ``prm``: ``[k, r, v_leak, v_threshold, v_reset, sg_a, sg_c1, sg_c2, one, zero,
k_syn]``. Codes: form 0 ``h = v + k (r x - (v - v_leak))``, form 1 ``h = v + k (v_leak - v) + r x``
(IF is form 1 with ``k = 0``, exactly); reset 0 hard, 1 soft, 2 none; surrogates as
:data:`SURROGATE_CODES`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cuba_backward", "cuba_forward", "lif_backward", "lif_forward"]

_BLOCK_FWD = 2048
_SCRATCH = 1 << 16  # elements of the backward scratch buffer (T * block)

_OPTS = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}


@njit(inline="always", **_OPTS)
def _surrogate(z, code, a, c1, c2, one, zero):  # type: ignore[no-untyped-def]
    if code == 0:  # atan: (a/2) / (1 + (pi/2 a z)^2), as reciprocal * a/2
        y = c1 * z
        return (one / (one + y * y)) * c2
    if code == 1:  # sigmoid: a sig (1 - sig)
        sg = one / (one + np.exp(-(a * z)))
        return (a * sg) * (one - sg)
    if code == 2:  # fast-sigmoid: 1 / (1 + a |z|)^2
        y = one + a * abs(z)
        return one / (y * y)
    if code == 3:  # triangle (a = width): max(0, 1 - |z| / w) / w
        q = one - abs(z) / a
        q = max(q, zero)
        return q / a
    if code == 4:  # rectangular (a = width, c1 = width / 2)
        q = one if abs(z) < c1 else zero
        return q / a
    y = a * z  # erf: a / sqrt(pi) exp(-(a z)^2), c1 = a / sqrt(pi)
    return np.exp(-(y * y)) * c1


@njit(inline="always", **_OPTS)
def _charge(v, xv, form, k, r, vleak):  # type: ignore[no-untyped-def]
    if form == 0:
        return v + k * (r * xv - (v - vleak))
    return (v + k * (vleak - v)) + r * xv


@njit(inline="always", **_OPTS)
def _after(h, z, reset, vr, zero):  # type: ignore[no-untyped-def]
    if z >= zero:
        if reset == 0:
            return vr
        if reset == 1:
            return z
    return h


@njit(**_OPTS)
def lif_forward(x, s, v, prm, form, reset, j0, j1):  # type: ignore[no-untyped-def]
    """Forward over columns ``[j0, j1)``: writes spikes ``s`` and updates ``v`` in place."""
    T = x.shape[0]
    k, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    one, zero = prm[8], prm[9]
    for b0 in range(j0, j1, _BLOCK_FWD):
        b1 = min(b0 + _BLOCK_FWD, j1)
        for t in range(T):
            xt = x[t]
            st = s[t]
            for j in range(b0, b1):
                vv = v[j]
                h = _charge(vv, xt[j], form, k, r, vleak)
                z = h - th
                st[j] = one if z >= zero else zero
                v[j] = _after(h, z, reset, vr, zero)


@njit(**_OPTS)
def lif_backward(  # type: ignore[no-untyped-def]
    x, gs, gx, v0, gv, prm, form, reset, detach, sg, j0, j1
):
    """Backward over columns ``[j0, j1)``.

    ``gv`` holds the gradient of the final membrane on entry and that of the initial membrane
    on return. Writes ``gx`` and returns the partial gradient of ``k`` (float64).
    """
    T = x.shape[0]
    k, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    a, c1, c2, one, zero = prm[5], prm[6], prm[7], prm[8], prm[9]
    block = max(16, _SCRATCH // max(T, 1))
    hb = np.empty((T, block), dtype=x.dtype)
    vb = np.empty(block, dtype=x.dtype)
    gk = 0.0
    for b0 in range(j0, j1, block):
        b1 = min(b0 + block, j1)
        n = b1 - b0
        for j in range(n):  # recompute the forward of this block
            vb[j] = v0[b0 + j]
        for t in range(T):
            xt = x[t]
            for j in range(n):
                h = _charge(vb[j], xt[b0 + j], form, k, r, vleak)
                hb[t, j] = h
                vb[j] = _after(h, h - th, reset, vr, zero)
        for t in range(T - 1, -1, -1):
            xt = x[t]
            gst = gs[t]
            gxt = gx[t]
            for j in range(n):
                h = hb[t, j]
                z = h - th
                fire = z >= zero
                s = one if fire else zero
                g = gv[b0 + j]
                gsv = gst[b0 + j]
                if reset == 0:  # v' = h (1 - s) + v_reset s
                    if detach == 0:
                        gsv = (gsv + g * vr) + (-(g * h))
                    gz = gsv * _surrogate(z, sg, a, c1, c2, one, zero)
                    gh = g * (one - s) + gz
                elif reset == 1:  # v' = h - s v_threshold
                    if detach == 0:
                        gsv = gsv + (-g) * th
                    gz = gsv * _surrogate(z, sg, a, c1, c2, one, zero)
                    gh = g + gz
                else:
                    gz = gsv * _surrogate(z, sg, a, c1, c2, one, zero)
                    gh = g + gz
                if t > 0:
                    hp = hb[t - 1, j]
                    vp = _after(hp, hp - th, reset, vr, zero)
                else:
                    vp = v0[b0 + j]
                if form == 0:
                    gt = gh * k
                    gxt[b0 + j] = gt * r
                    gv[b0 + j] = gh - gt
                    gk += gh * (r * xt[b0 + j] - (vp - vleak))
                else:
                    gxt[b0 + j] = gh * r
                    gv[b0 + j] = gh - gh * k
                    gk += gh * (vleak - vp)
    return gk


@njit(**_OPTS)
def cuba_forward(x, s, v, i, prm, reset, j0, j1):  # type: ignore[no-untyped-def]
    """CuBa-LIF forward over ``[j0, j1)``; ``v`` and ``i`` are updated in place."""
    T = x.shape[0]
    km, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    one, zero, ks = prm[8], prm[9], prm[10]
    for b0 in range(j0, j1, _BLOCK_FWD):
        b1 = min(b0 + _BLOCK_FWD, j1)
        for t in range(T):
            xt = x[t]
            st = s[t]
            for j in range(b0, b1):
                ii = i[j]
                vv = v[j]
                ii = (ii - ks * ii) + xt[j]
                h = vv + km * ((vleak - vv) + r * ii)
                z = h - th
                st[j] = one if z >= zero else zero
                v[j] = _after(h, z, reset, vr, zero)
                i[j] = ii


@njit(**_OPTS)
def cuba_backward(  # type: ignore[no-untyped-def]
    x, gs, gx, v0, i0, gv, gi, prm, reset, detach, sg, j0, j1
):
    """CuBa-LIF backward over ``[j0, j1)``; ``gv``/``gi`` carry final -> initial state grads."""
    T = x.shape[0]
    km, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    a, c1, c2, one, zero, ks = prm[5], prm[6], prm[7], prm[8], prm[9], prm[10]
    block = max(16, _SCRATCH // max(T, 1))
    hb = np.empty((T, block), dtype=x.dtype)
    vb = np.empty(block, dtype=x.dtype)
    ib = np.empty(block, dtype=x.dtype)
    for b0 in range(j0, j1, block):
        b1 = min(b0 + block, j1)
        n = b1 - b0
        for j in range(n):
            vb[j] = v0[b0 + j]
            ib[j] = i0[b0 + j]
        for t in range(T):
            xt = x[t]
            for j in range(n):
                ii = (ib[j] - ks * ib[j]) + xt[b0 + j]
                vv = vb[j]
                h = vv + km * ((vleak - vv) + r * ii)
                hb[t, j] = h
                vb[j] = _after(h, h - th, reset, vr, zero)
                ib[j] = ii
        for t in range(T - 1, -1, -1):
            gst = gs[t]
            gxt = gx[t]
            for j in range(n):
                h = hb[t, j]
                z = h - th
                s = one if z >= zero else zero
                g = gv[b0 + j]
                gsv = gst[b0 + j]
                if reset == 0:
                    if detach == 0:
                        gsv = (gsv + g * vr) + (-(g * h))
                    gz = gsv * _surrogate(z, sg, a, c1, c2, one, zero)
                    gh = g * (one - s) + gz
                elif reset == 1:
                    if detach == 0:
                        gsv = gsv + (-g) * th
                    gz = gsv * _surrogate(z, sg, a, c1, c2, one, zero)
                    gh = g + gz
                else:
                    gz = gsv * _surrogate(z, sg, a, c1, c2, one, zero)
                    gh = g + gz
                gu = gh * km
                gv[b0 + j] = gh - gu
                gip = gu * r + gi[b0 + j]
                gxt[b0 + j] = gip
                gi[b0 + j] = gip + (-gip) * ks
