"""Triton kernels of the LIF family (LIF, IF, PLIF) over a flat ``[T, N]`` neuron axis.

Imported lazily by the ``"triton"`` backend (never at ``import spike_core``). One program owns
``BLOCK`` neurons and loops over time with the membrane in registers. Arithmetic runs in float32
and, for float16/bfloat16 inputs, every intermediate is rounded to the storage dtype after each
operation (``ROUND``), as PyTorch's per-op kernels do, so spikes match the reference loop.
Forward saves the pre-reset membrane ``h`` (``[T, N]``, storage dtype) when a gradient is
needed; backward runs in reverse time from it. Charge forms, reset and surrogate codes are as in
:mod:`spike_core.kernels._numba_lif`.
"""

from __future__ import annotations

import triton
import triton.language as tl

__all__ = ["lif_backward_kernel", "lif_forward_kernel"]


@triton.jit
def _r(a, DT: tl.constexpr, ROUND: tl.constexpr):  # type: ignore[no-untyped-def]
    if ROUND:
        return a.to(DT).to(tl.float32)
    return a


@triton.jit
def _charge(v, xv, k, r, vleak, FORM: tl.constexpr, DT: tl.constexpr, ROUND: tl.constexpr):  # type: ignore[no-untyped-def]
    if FORM == 0:
        h = _r(
            v + _r(k * _r(_r(r * xv, DT, ROUND) - _r(v - vleak, DT, ROUND), DT, ROUND), DT, ROUND),
            DT,
            ROUND,
        )
    else:
        h = _r(
            _r(v + _r(k * _r(vleak - v, DT, ROUND), DT, ROUND), DT, ROUND) + _r(r * xv, DT, ROUND),
            DT,
            ROUND,
        )
    return h


@triton.jit
def _after(h, z, vr, RESET: tl.constexpr):  # type: ignore[no-untyped-def]
    if RESET == 0:
        return tl.where(z >= 0.0, vr, h)
    if RESET == 1:
        return tl.where(z >= 0.0, z, h)
    return h


@triton.jit
def _surrogate(z, a, c1, c2, SG: tl.constexpr, DT: tl.constexpr, ROUND: tl.constexpr):  # type: ignore[no-untyped-def]
    if SG == 0:
        y = _r(c1 * z, DT, ROUND)
        d = _r(1.0 + _r(y * y, DT, ROUND), DT, ROUND)
        g = _r(_r(1.0 / d, DT, ROUND) * c2, DT, ROUND)
    elif SG == 1:
        sg = _r(1.0 / (1.0 + tl.exp(-_r(a * z, DT, ROUND))), DT, ROUND)
        g = _r(_r(a * sg, DT, ROUND) * _r(1.0 - sg, DT, ROUND), DT, ROUND)
    elif SG == 2:
        y = _r(1.0 + _r(a * tl.abs(z), DT, ROUND), DT, ROUND)
        g = _r(1.0 / _r(y * y, DT, ROUND), DT, ROUND)
    elif SG == 3:
        q = _r(1.0 - _r(tl.abs(z) / a, DT, ROUND), DT, ROUND)
        g = _r(tl.maximum(q, 0.0) / a, DT, ROUND)
    elif SG == 4:
        g = _r(tl.where(tl.abs(z) < c1, 1.0, 0.0) / a, DT, ROUND)
    else:
        y = _r(a * z, DT, ROUND)
        g = _r(tl.exp(-_r(y * y, DT, ROUND)) * c1, DT, ROUND)
    return g


@triton.jit
def lif_forward_kernel(  # type: ignore[no-untyped-def]
    x_ptr,
    s_ptr,
    h_ptr,
    v_ptr,
    T,
    N,
    k,
    r,
    vleak,
    th,
    vr,
    FORM: tl.constexpr,
    RESET: tl.constexpr,
    SAVE_H: tl.constexpr,
    ROUND: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Spikes ``s`` (and ``h`` when ``SAVE_H``) from ``x``; ``v`` holds v0 in, final v out."""
    DT = x_ptr.dtype.element_ty
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < N
    v = tl.load(v_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    pos = offs  # int64 element offset of step t (pointers advance by N per step)
    for _ in range(T):
        xv = tl.load(x_ptr + pos, mask=mask, other=0.0).to(tl.float32)
        h = _charge(v, xv, k, r, vleak, FORM, DT, ROUND)
        z = _r(h - th, DT, ROUND)
        tl.store(s_ptr + pos, tl.where(z >= 0.0, 1.0, 0.0).to(DT), mask=mask)
        if SAVE_H:
            tl.store(h_ptr + pos, h.to(DT), mask=mask)
        v = _after(h, z, vr, RESET)
        pos += N
    tl.store(v_ptr + offs, v.to(DT), mask=mask)


@triton.jit
def lif_backward_kernel(  # type: ignore[no-untyped-def]
    x_ptr,
    h_ptr,
    gs_ptr,
    gx_ptr,
    v0_ptr,
    gv_ptr,
    gk_ptr,
    T,
    N,
    last,
    k,
    r,
    vleak,
    th,
    vr,
    a,
    c1,
    c2,
    FORM: tl.constexpr,
    RESET: tl.constexpr,
    DETACH: tl.constexpr,
    SG: tl.constexpr,
    WANT_K: tl.constexpr,
    ROUND: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Reverse-time backward; ``gv`` holds dL/dv_T in and dL/dv_0 out; ``gk`` accumulates.

    ``last`` is ``(T - 1) * N``, the element offset of the last step (passed from the host so it
    is a 64-bit integer when large).
    """
    DT = x_ptr.dtype.element_ty
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < N
    g = tl.load(gv_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    gk = tl.zeros([BLOCK], dtype=tl.float32)
    pos = offs + last
    for i in range(T):
        t = T - 1 - i
        h = tl.load(h_ptr + pos, mask=mask, other=0.0).to(tl.float32)
        gsv = tl.load(gs_ptr + pos, mask=mask, other=0.0).to(tl.float32)
        z = _r(h - th, DT, ROUND)
        s = tl.where(z >= 0.0, 1.0, 0.0)
        if RESET == 0:
            if DETACH == 0:
                gsv = _r(
                    _r(gsv + _r(g * vr, DT, ROUND), DT, ROUND) - _r(g * h, DT, ROUND), DT, ROUND
                )
            gz = _r(gsv * _surrogate(z, a, c1, c2, SG, DT, ROUND), DT, ROUND)
            gh = _r(_r(g * (1.0 - s), DT, ROUND) + gz, DT, ROUND)
        elif RESET == 1:
            if DETACH == 0:
                gsv = _r(gsv - _r(g * th, DT, ROUND), DT, ROUND)
            gz = _r(gsv * _surrogate(z, a, c1, c2, SG, DT, ROUND), DT, ROUND)
            gh = _r(g + gz, DT, ROUND)
        else:
            gz = _r(gsv * _surrogate(z, a, c1, c2, SG, DT, ROUND), DT, ROUND)
            gh = _r(g + gz, DT, ROUND)
        gt = _r(gh * k, DT, ROUND)
        if FORM == 0:  # noqa: SIM108 - a branch on a constexpr, resolved at compile time
            gx = _r(gt * r, DT, ROUND)
        else:
            gx = _r(gh * r, DT, ROUND)
        tl.store(gx_ptr + pos, gx.to(DT), mask=mask)
        if WANT_K:
            if t > 0:
                hp = tl.load(h_ptr + pos - N, mask=mask, other=0.0).to(tl.float32)
                vp = _after(hp, _r(hp - th, DT, ROUND), vr, RESET)
            else:
                vp = tl.load(v0_ptr + offs, mask=mask, other=0.0).to(tl.float32)
            if FORM == 0:
                xv = tl.load(x_ptr + pos, mask=mask, other=0.0).to(tl.float32)
                dk = _r(_r(r * xv, DT, ROUND) - _r(vp - vleak, DT, ROUND), DT, ROUND)
            else:
                dk = _r(vleak - vp, DT, ROUND)
            gk += tl.where(mask, gh * dk, 0.0)
        g = _r(gh - gt, DT, ROUND)
        pos -= N
    tl.store(gv_ptr + offs, g.to(DT), mask=mask)
    if WANT_K:
        tl.atomic_add(gk_ptr, tl.sum(gk, axis=0))
