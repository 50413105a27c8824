"""Operation counts of the synaptic torch functions (linear, convolutions, matrix products).

Each function returns :class:`OpCount` items for one call: the dense operation count, the input
statistics and the spike-driven (effective) count under the requested convention.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import torch

from spike_energy._classify import BINARY, REAL, InputStats, input_stats

__all__ = ["SYNAPTIC_OPS", "OpCount", "count_op"]

_LINEAR = {"linear"}
_CONV = {"conv1d", "conv2d", "conv3d"}
_CONV_T = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"}
_MATMUL = {"matmul", "__matmul__", "__rmatmul__", "mm", "bmm"}
_OTHER = {"einsum", "scaled_dot_product_attention"}
SYNAPTIC_OPS = frozenset(_LINEAR | _CONV | _CONV_T | _MATMUL | _OTHER)
Stats = Callable[[torch.Tensor], InputStats]


@dataclasses.dataclass
class OpCount:
    """One counted operation.

    Attributes:
        label: short op label used in record names (``"linear"``, ``"conv2d"``, ``"matmul"``...).
        stats: statistics of the spike operand (or of the first operand if none spikes).
        dense: dense operation count of the call.
        acs: accumulates (spike-driven) of the call under the convention.
        macs: multiply-accumulates of the call under the convention.
        bias_ops: bias additions of the call.
        module_op: whether the op is the main op of a Linear/Conv module.
    """

    label: str
    stats: InputStats
    dense: float
    acs: float
    macs: float
    bias_ops: float = 0.0
    module_op: bool = True


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], i: int, name: str) -> Any:
    if len(args) > i:
        return args[i]
    return kwargs.get(name)


def _split(dense: float, st: InputStats) -> tuple[float, float]:
    """Yao split: spike input -> ``dense * rate`` ACs; real input -> ``dense`` MACs."""
    if st.kind == REAL:
        return 0.0, dense
    return dense * st.rate, 0.0


def _pair(
    label: str,
    a: torch.Tensor,
    b: torch.Tensor,
    dense: float,
    total: Callable[[torch.Tensor, torch.Tensor, float], float],
    stats: Stats = input_stats,
) -> OpCount:
    """Count a product of two activations (attention): AC when one operand is spikes.

    With both operands spiking, the exact number of non-zero products (``sum(|a| @ |b|)``, from
    ``total(|a|, |b|, bound)``, ``bound`` bounding ``|a|`` and ``|b|``) is the AC count; with one spiking operand, ``dense * rate`` of that
    operand.
    """
    sa, sb = stats(a), stats(b)
    if sa.kind == REAL and sb.kind == REAL:
        return OpCount(label, sa, dense, 0.0, dense, module_op=False)
    if REAL not in (sa.kind, sb.kind):
        with torch.no_grad():
            # binary operands are already non-negative: no |.| copy
            ta = a if sa.kind == BINARY else a.abs()
            tb = b if sb.kind == BINARY else b.abs()
            acs = total(ta, tb, max(sa.max_abs, sb.max_abs)) / (sa.scale * sb.scale)
        return OpCount(label, sa, dense, acs, 0.0, module_op=False)
    st = sa if sa.kind != REAL else sb
    return OpCount(label, st, dense, dense * st.rate, 0.0, module_op=False)


def matmul_total(a: torch.Tensor, b: torch.Tensor, bound: float = math.inf) -> float:
    """``sum(a @ b)`` without the product: ``sum_k (sum_i a_ik) (sum_j b_kj)`` per batch.

    For the integer-valued operands it is used on the result is exact (equal to summing the
    product in float64): the row and column sums stay in the operands' float dtype while
    ``bound`` (a bound on ``|a|`` and ``|b|``) proves them exact there, else they are float64.
    Batch dimensions broadcast as in ``torch.matmul``; a 1-D ``a`` is a row, a 1-D ``b`` a
    column.
    """
    n = (a.shape[-2] if a.dim() > 1 else 1) + (b.shape[-1] if b.dim() > 1 else 1)
    dtype = torch.float64
    if a.dtype == b.dtype and a.is_floating_point() and n * bound < 2 / torch.finfo(a.dtype).eps:
        dtype = a.dtype
    ca = a.to(dtype) if a.dim() == 1 else a.sum(-2, dtype=dtype)
    rb = b.to(dtype) if b.dim() == 1 else b.sum(-1, dtype=dtype)
    return float((ca.to(torch.float64) * rb.to(torch.float64)).sum())


def _neurobench(
    func: Callable[..., torch.Tensor],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    label: str,
    x: torch.Tensor,
    w: torch.Tensor,
    stats: Stats = input_stats,
) -> OpCount:
    """NeuroBench synaptic operations: forward binarised input and weights (no bias)."""
    st = stats(x)
    rest = list(args[3:])
    kw = {k: v for k, v in kwargs.items() if k != "bias"}
    with torch.no_grad():
        xb, wb = (x != 0).to(w.dtype), (w != 0).to(w.dtype)
        eff = float(func(xb, wb, None, *rest, **kw).sum(dtype=torch.float64))
        dense = float(
            func(torch.ones_like(xb), torch.ones_like(wb), None, *rest, **kw).sum(
                dtype=torch.float64
            )
        )
    if st.kind == BINARY:
        return OpCount(label, st, dense, eff, 0.0)
    return OpCount(label, st, dense, 0.0, eff)


def count_op(
    name: str,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    out: Any,
    mode: str,
    stats: Stats = input_stats,
) -> list[OpCount]:
    """Count one call of a synaptic torch function.

    Args:
        name: the function's name (one of :data:`SYNAPTIC_OPS`).
        func: the function itself (re-run on binarised tensors in NeuroBench mode).
        args: positional arguments of the call.
        kwargs: keyword arguments of the call.
        out: the call's result.
        mode: ``"yao"`` or ``"neurobench"`` (NeuroBench counts only Linear and convolutions).
        stats: the input classifier (:func:`~spike_energy._classify.input_stats`, or a cached
            version of it).

    Returns:
        The counts of the call (empty when the call is not counted in this mode).
    """
    if name in _LINEAR | _CONV | _CONV_T:
        x, w = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight")
        bias = _arg(args, kwargs, 2, "bias")
        if not isinstance(x, torch.Tensor) or not isinstance(w, torch.Tensor):
            return []
        if mode == "neurobench":
            return [_neurobench(func, args, kwargs, name, x, w, stats)]
        if name in _LINEAR:
            dense = float(out.numel() * w.shape[-1])
        elif name in _CONV:
            dense = float(out.numel() * w[0].numel())
        else:
            dense = float(x.numel() * w[0].numel())
        st = stats(x)
        acs, macs = _split(dense, st)
        bias_ops = float(out.numel()) if bias is not None else 0.0
        return [OpCount(name, st, dense, acs, macs, bias_ops)]
    if mode == "neurobench":
        return []
    if name in _MATMUL:
        a, b = args[0], args[1] if len(args) > 1 else kwargs.get("other", kwargs.get("mat2"))
        if name == "__rmatmul__":
            a, b = b, a
        if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
            return []
        dense = float(out.numel() * a.shape[-1])
        return [_pair("matmul", a, b, dense, matmul_total, stats)]
    if name == "einsum":
        return _einsum(args, stats)
    if name == "scaled_dot_product_attention":
        return _sdpa(args, kwargs, stats)
    return []


def _einsum(args: tuple[Any, ...], stats: Stats) -> list[OpCount]:
    eq = args[0]
    ops = list(args[1]) if len(args) == 2 and isinstance(args[1], list | tuple) else list(args[1:])
    if not isinstance(eq, str) or len(ops) != 2 or "..." in eq or "->" not in eq:
        return []
    lhs = eq.replace(" ", "").split("->")[0].split(",")
    sizes: dict[str, int] = {}
    for letters, t in zip(lhs, ops, strict=True):
        for letter, n in zip(letters, t.shape, strict=True):
            sizes[letter] = max(sizes.get(letter, 1), int(n))
    dense = float(math.prod(sizes.values()))
    # the whole contraction to a scalar: einsum sums each operand's private indices first
    full = ",".join(lhs) + "->"
    return [
        _pair(
            "einsum",
            ops[0],
            ops[1],
            dense,
            lambda a, b, _bound: float(torch.einsum(full, a.double(), b.double())),
            stats,
        ),
    ]


def _sdpa(args: tuple[Any, ...], kwargs: dict[str, Any], stats: Stats) -> list[OpCount]:
    q, k, v = (_arg(args, kwargs, i, n) for i, n in enumerate(("query", "key", "value")))
    batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    L, S, E, Ev = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    nb = math.prod(batch)
    qk = _pair(
        "qk",
        q,
        k,
        float(nb * L * S * E),
        lambda a, b, bound: matmul_total(a, b.transpose(-2, -1), bound),
        stats,
    )
    sv = stats(v)
    dense_av = float(nb * L * S * Ev)
    # the attention matrix is real (softmax), so A @ V is an AC product only for spiking V
    acs, macs = _split(dense_av, sv)
    return [qk, OpCount("av", sv, dense_av, acs, macs, module_op=False)]
