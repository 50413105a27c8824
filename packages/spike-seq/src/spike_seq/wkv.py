"""The WKV linear recurrence of RWKV / SpikeGPT, in parallel (chunked) and recurrent form.

Per channel, with decay ``w = -exp(time_decay) < 0`` and bonus ``u = time_first``::

    wkv_t = (sum_{i<t} e^{(t-1-i) w + k_i} v_i + e^{u + k_t} v_t)
            / (sum_{i<t} e^{(t-1-i) w + k_i}     + e^{u + k_t})

The recurrent form keeps ``(a, b, p)`` per channel: ``a e^p`` and ``b e^p`` are the numerator and
denominator sums over past tokens and ``p`` is a running maximum that prevents overflow
(``a = b = 0``, ``p = -1e30`` before the first token). The parallel form evaluates the same sums
exactly over chunks of tokens (an ``O(c^2)`` closed form inside each chunk of ``c`` tokens, the
recurrent state carried between chunks), so it costs ``O(T c)`` and carries state too.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["WKVState", "wkv_closed_form", "wkv_init_state", "wkv_parallel", "wkv_step"]

_NEG = -1e30


class WKVState(NamedTuple):
    """Recurrent WKV state, each field ``[B, C]``: scaled sums ``a``, ``b`` and exponent ``p``."""

    a: torch.Tensor
    b: torch.Tensor
    p: torch.Tensor


def wkv_init_state(like: torch.Tensor) -> WKVState:
    """The state before the first token, shaped and typed like ``like`` (``[B, C]``)."""
    return WKVState(torch.zeros_like(like), torch.zeros_like(like), torch.full_like(like, _NEG))


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.promote_types(x.dtype, torch.float32)


def wkv_step(
    k: torch.Tensor, v: torch.Tensor, w: torch.Tensor, u: torch.Tensor, state: WKVState
) -> tuple[torch.Tensor, WKVState]:
    """One token of the recurrent (RNN) form.

    Args:
        k: keys of one token.
        v: values of one token.
        w: per-channel decay ``-exp(time_decay)``, ``[C]``.
        u: per-channel bonus ``time_first``, ``[C]``.
        state: the :class:`WKVState` before this token.

    Returns:
        ``(wkv, new_state)``.

    Shapes:
        ``k``, ``v``, state fields and ``wkv``: ``[B, C]``.
    """
    a, b, p = state
    uk = u + k
    q = torch.maximum(p, uk)
    e1 = torch.exp(p - q)
    e2 = torch.exp(uk - q)
    wkv = (e1 * a + e2 * v) / (e1 * b + e2)
    q2 = torch.maximum(p + w, k)
    e1 = torch.exp(p + w - q2)
    e2 = torch.exp(k - q2)
    return wkv, WKVState(e1 * a + e2 * v, e1 * b + e2, q2)


def _chunk(
    k: torch.Tensor, v: torch.Tensor, w: torch.Tensor, u: torch.Tensor, state: WKVState
) -> tuple[torch.Tensor, WKVState]:
    """Exact WKV over one chunk ``[c, B, C]`` starting from ``state``."""
    a, b, p = state
    c = k.shape[0]
    pos = torch.arange(c, device=k.device, dtype=k.dtype)
    j = pos.view(c, 1, 1, 1)  # output position
    i = pos.view(1, c, 1, 1)  # source position
    lower, diag = i < j, i == j
    past = (j - 1 - i) * w + k.unsqueeze(0)  # [c, c, B, C]
    logits = torch.where(
        lower, past, torch.where(diag, u + k.unsqueeze(0), torch.full_like(past, -torch.inf))
    )
    from_state = p + pos.view(c, 1, 1) * w  # weight exponent of the carried sums, [c, B, C]
    m = torch.maximum(logits.amax(1), from_state)
    e = torch.exp(logits - m.unsqueeze(1))
    es = torch.exp(from_state - m)
    wkv = ((e * v.unsqueeze(0)).sum(1) + es * a) / (e.sum(1) + es * b)
    # state after the chunk: sums over every chunk token, decayed to position c
    end = (c - 1 - pos.view(c, 1, 1)) * w + k
    end_state = p + c * w
    q = torch.maximum(end.amax(0), end_state)
    ee = torch.exp(end - q)
    es = torch.exp(end_state - q)
    return wkv, WKVState(es * a + (ee * v).sum(0), es * b + ee.sum(0), q)


def wkv_parallel(
    k: torch.Tensor,
    v: torch.Tensor,
    w: torch.Tensor,
    u: torch.Tensor,
    state: WKVState | None = None,
    *,
    chunk: int = 16,
) -> tuple[torch.Tensor, WKVState]:
    """WKV over a whole sequence (the parallel / training form), differentiable.

    Computed in at least float32 (as the reference CUDA kernel) and returned in ``k``'s dtype.

    Args:
        k: keys.
        v: values.
        w: per-channel decay ``-exp(time_decay)``, ``[C]``.
        u: per-channel bonus, ``[C]``.
        state: state before the first token (``None``: empty history).
        chunk: tokens evaluated jointly in closed form (memory ``chunk^2 B C``).

    Returns:
        ``(wkv [T, B, C], state after the last token)``.

    Shapes:
        ``k``, ``v``: time-major ``[T, B, C]``.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    dt = _compute_dtype(k)
    kk, vv, ww, uu = k.to(dt), v.to(dt), w.to(dt), u.to(dt)
    st = wkv_init_state(kk[0]) if state is None else WKVState(*(s.to(dt) for s in state))
    outs = []
    for start in range(0, k.shape[0], chunk):
        out, st = _chunk(kk[start : start + chunk], vv[start : start + chunk], ww, uu, st)
        outs.append(out)
    return torch.cat(outs).to(k.dtype), st


def wkv_closed_form(
    k: torch.Tensor, v: torch.Tensor, w: torch.Tensor, u: torch.Tensor
) -> torch.Tensor:
    """The unstabilised ``O(T^2)`` definition (module docstring), for tests with moderate values.

    Args:
        k: keys ``[T, B, C]``.
        v: values ``[T, B, C]``.
        w: decay ``[C]``.
        u: bonus ``[C]``.

    Returns:
        ``wkv`` ``[T, B, C]``.
    """
    T = k.shape[0]
    outs = []
    for t in range(T):
        num = torch.exp(u + k[t]) * v[t]
        den = torch.exp(u + k[t])
        for i in range(t):
            e = torch.exp((t - 1 - i) * w + k[i])
            num = num + e * v[i]
            den = den + e
        outs.append(num / den)
    return torch.stack(outs)
