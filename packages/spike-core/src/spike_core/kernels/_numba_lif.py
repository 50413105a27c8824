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

_jit = njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")

# Loops index from 0 over row slices (no negative-index wraparound code) and express every
# option as a select on a loop-invariant flag, so LLVM vectorises the inner loops; the one
# exception, the surrogate (it may call exp), is evaluated per row by ``_surrogate_row``, whose
# branch on the code sits outside its loops.


@_jit
def _non_finite(chk):  # type: ignore[no-untyped-def]
    """1 if any entry of ``chk`` is NaN (a non-finite input was seen), else 0."""
    for j in range(chk.shape[0]):
        if chk[j] != chk[j]:
            return 1
    return 0


@_jit
def _surrogate_row(h, th, out, n, code, a, c1, c2, one, zero):  # type: ignore[no-untyped-def]
    """``out[j] = g'(h[j] - th)`` for ``j < n``, in the reference's float operation order."""
    if code == 0:  # atan: (a/2) / (1 + (pi/2 a z)^2), evaluated as reciprocal * a/2
        for j in range(n):
            y = c1 * (h[j] - th)
            out[j] = (one / (one + y * y)) * c2
    elif code == 1:  # sigmoid: a sig (1 - sig)
        for j in range(n):
            sg = one / (one + np.exp(-(a * (h[j] - th))))
            out[j] = (a * sg) * (one - sg)
    elif code == 2:  # fast-sigmoid: 1 / (1 + a |z|)^2
        for j in range(n):
            y = one + a * abs(h[j] - th)
            out[j] = one / (y * y)
    elif code == 3:  # triangle (a = width): max(0, 1 - |z| / w) / w
        for j in range(n):
            q = one - abs(h[j] - th) / a
            out[j] = max(q, zero) / a
    elif code == 4:  # rectangular (a = width, c1 = width / 2)
        for j in range(n):
            out[j] = (one if abs(h[j] - th) < c1 else zero) / a
    else:  # erf: a / sqrt(pi) exp(-(a z)^2), c1 = a / sqrt(pi)
        for j in range(n):
            y = a * (h[j] - th)
            out[j] = np.exp(-(y * y)) * c1


@_jit
def lif_forward(x, s, v0, v, prm, form, reset, j0, j1):  # type: ignore[no-untyped-def]
    """Forward over columns ``[j0, j1)`` from ``v0``: writes spikes ``s`` and the final ``v``."""
    T = x.shape[0]
    k, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    one, zero = prm[8], prm[9]
    f0, hard, soft = form == 0, reset == 0, reset == 1
    chk = np.zeros(_BLOCK_FWD, dtype=x.dtype)  # NaN once a non-finite x passed
    for b0 in range(j0, j1, _BLOCK_FWD):
        b1 = min(b0 + _BLOCK_FWD, j1)
        n = b1 - b0
        vb = v[b0:b1]
        v0b = v0[b0:b1]
        for j in range(n):  # the working copy of the state, block by block, in cache
            vb[j] = v0b[j]
        for t in range(T):
            xt = x[t][b0:b1]
            st = s[t][b0:b1]
            for j in range(n):
                vv = vb[j]
                xv = xt[j]
                chk[j] += xv - xv
                ha = vv + k * (r * xv - (vv - vleak))
                hb = (vv + k * (vleak - vv)) + r * xv
                h = ha if f0 else hb
                z = h - th
                fire = z >= zero
                st[j] = one if fire else zero
                rv = vr if hard else (z if soft else h)
                vb[j] = rv if fire else h
    return _non_finite(chk)


@_jit
def lif_backward(  # type: ignore[no-untyped-def]
    x, gs, gx, v0, gv, prm, form, reset, detach, sg, want_k, j0, j1
):
    """Backward over columns ``[j0, j1)``.

    ``gv`` holds the gradient of the final membrane on entry and that of the initial membrane
    on return. Writes ``gx`` and returns the partial gradient of ``k`` (float64; 0 unless
    ``want_k``).
    """
    T = x.shape[0]
    k, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    a, c1, c2, one, zero = prm[5], prm[6], prm[7], prm[8], prm[9]
    f0, hard, soft = form == 0, reset == 0, reset == 1
    through = detach == 0 and reset != 2  # the spike's gradient also flows through the reset
    block = max(16, _SCRATCH // max(T, 1))
    hbuf = np.empty((T, block), dtype=x.dtype)
    vb = np.empty(block, dtype=x.dtype)
    sgb = np.empty(block, dtype=x.dtype)
    ghb = np.empty(block, dtype=x.dtype)
    acc = np.zeros(block, dtype=np.float64)
    for b0 in range(j0, j1, block):
        b1 = min(b0 + block, j1)
        n = b1 - b0
        v0b = v0[b0:b1]
        gvb = gv[b0:b1]
        for j in range(n):  # recompute the forward of this block
            vb[j] = v0b[j]
        for t in range(T):
            xt = x[t][b0:b1]
            ht = hbuf[t]
            for j in range(n):
                vv = vb[j]
                xv = xt[j]
                ha = vv + k * (r * xv - (vv - vleak))
                hb = (vv + k * (vleak - vv)) + r * xv
                h = ha if f0 else hb
                ht[j] = h
                z = h - th
                rv = vr if hard else (z if soft else h)
                vb[j] = rv if z >= zero else h
        for t in range(T - 1, -1, -1):
            ht = hbuf[t]
            gst = gs[t][b0:b1]
            gxt = gx[t][b0:b1]
            _surrogate_row(ht, th, sgb, n, sg, a, c1, c2, one, zero)
            for j in range(n):
                h = ht[j]
                z = h - th
                s = one if z >= zero else zero
                g = gvb[j]
                gsv = gst[j]
                g_hard = (gsv + g * vr) + (-(g * h))  # v' = h (1 - s) + v_reset s
                g_soft = gsv + (-g) * th  # v' = h - s v_threshold
                gsv = (g_hard if hard else g_soft) if through else gsv
                gz = gsv * sgb[j]
                gh = (g * (one - s) if hard else g) + gz
                gt = gh * k
                gxt[j] = gt * r if f0 else gh * r
                gvb[j] = gh - gt
                ghb[j] = gh
            if want_k:  # d h / d k needs the membrane before this step
                xt = x[t][b0:b1]
                for j in range(n):
                    if t > 0:
                        hp = hbuf[t - 1, j]
                        zp = hp - th
                        rv = vr if hard else (zp if soft else hp)
                        vp = rv if zp >= zero else hp
                    else:
                        vp = v0b[j]
                    dk = (r * xt[j] - (vp - vleak)) if f0 else (vleak - vp)
                    acc[j] += ghb[j] * dk
    return acc.sum()


@_jit
def cuba_forward(x, s, v0, i0, v, i, prm, reset, j0, j1):  # type: ignore[no-untyped-def]
    """CuBa-LIF forward over ``[j0, j1)`` from ``(v0, i0)``; writes ``s`` and the final ``v, i``."""
    T = x.shape[0]
    km, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    one, zero, ks = prm[8], prm[9], prm[10]
    hard, soft = reset == 0, reset == 1
    chk = np.zeros(_BLOCK_FWD, dtype=x.dtype)  # NaN once a non-finite x passed
    for b0 in range(j0, j1, _BLOCK_FWD):
        b1 = min(b0 + _BLOCK_FWD, j1)
        n = b1 - b0
        vb = v[b0:b1]
        ib = i[b0:b1]
        v0b = v0[b0:b1]
        i0b = i0[b0:b1]
        for j in range(n):
            vb[j] = v0b[j]
            ib[j] = i0b[j]
        for t in range(T):
            xt = x[t][b0:b1]
            st = s[t][b0:b1]
            for j in range(n):
                ii = ib[j]
                vv = vb[j]
                xv = xt[j]
                chk[j] += xv - xv
                ii = (ii - ks * ii) + xv
                h = vv + km * ((vleak - vv) + r * ii)
                z = h - th
                fire = z >= zero
                st[j] = one if fire else zero
                rv = vr if hard else (z if soft else h)
                vb[j] = rv if fire else h
                ib[j] = ii
    return _non_finite(chk)


@_jit
def cuba_backward(  # type: ignore[no-untyped-def]
    x, gs, gx, v0, i0, gv, gi, prm, reset, detach, sg, j0, j1
):
    """CuBa-LIF backward over ``[j0, j1)``; ``gv``/``gi`` carry final -> initial state grads."""
    T = x.shape[0]
    km, r, vleak, th, vr = prm[0], prm[1], prm[2], prm[3], prm[4]
    a, c1, c2, one, zero, ks = prm[5], prm[6], prm[7], prm[8], prm[9], prm[10]
    hard, soft = reset == 0, reset == 1
    through = detach == 0 and reset != 2
    block = max(16, _SCRATCH // max(T, 1))
    hbuf = np.empty((T, block), dtype=x.dtype)
    vb = np.empty(block, dtype=x.dtype)
    ib = np.empty(block, dtype=x.dtype)
    sgb = np.empty(block, dtype=x.dtype)
    for b0 in range(j0, j1, block):
        b1 = min(b0 + block, j1)
        n = b1 - b0
        v0b, i0b = v0[b0:b1], i0[b0:b1]
        gvb, gib = gv[b0:b1], gi[b0:b1]
        for j in range(n):
            vb[j] = v0b[j]
            ib[j] = i0b[j]
        for t in range(T):
            xt = x[t][b0:b1]
            ht = hbuf[t]
            for j in range(n):
                ii = (ib[j] - ks * ib[j]) + xt[j]
                vv = vb[j]
                h = vv + km * ((vleak - vv) + r * ii)
                ht[j] = h
                z = h - th
                rv = vr if hard else (z if soft else h)
                vb[j] = rv if z >= zero else h
                ib[j] = ii
        for t in range(T - 1, -1, -1):
            ht = hbuf[t]
            gst = gs[t][b0:b1]
            gxt = gx[t][b0:b1]
            _surrogate_row(ht, th, sgb, n, sg, a, c1, c2, one, zero)
            for j in range(n):
                h = ht[j]
                z = h - th
                s = one if z >= zero else zero
                g = gvb[j]
                gsv = gst[j]
                g_hard = (gsv + g * vr) + (-(g * h))
                g_soft = gsv + (-g) * th
                gsv = (g_hard if hard else g_soft) if through else gsv
                gz = gsv * sgb[j]
                gh = (g * (one - s) if hard else g) + gz
                gu = gh * km
                gvb[j] = gh - gu
                gip = gu * r + gib[j]
                gxt[j] = gip
                gib[j] = gip + (-gip) * ks
