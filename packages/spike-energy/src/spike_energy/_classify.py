"""Classify the input of a synaptic operation: binary spikes, integer spikes or real values."""

from __future__ import annotations

import contextlib
import dataclasses
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = [
    "InputStats",
    "StatsCache",
    "input_stats",
    "one_thread",
    "spike_sum",
    "syops_spike_rate",
]

BINARY = "binary"
INTEGER = "integer"
REAL = "real"


@dataclasses.dataclass
class InputStats:
    """Statistics of one input tensor.

    Attributes:
        kind: ``"binary"`` (values in {0, 1}), ``"integer"`` (integer values, e.g. I-LIF counts
            or ternary spikes, counted by absolute value) or ``"real"``.
        abs_sum: sum of absolute values in units of ``scale`` (the number of unit spikes for
            spike inputs).
        nonzero: number of non-zero elements.
        numel: number of elements.
        max_abs: largest absolute value (in the tensor's own units).
        scale: the spike amplitude ``q`` of scaled spikes (values ``k q`` with small integers
            ``k``, e.g. IE-LIF's ``k / 4`` or a BIF's ``+-theta``); 1 otherwise.
    """

    kind: str
    abs_sum: float
    nonzero: int
    numel: int
    max_abs: float
    scale: float = 1.0

    @property
    def rate(self) -> float:
        """Mean absolute value per element (the firing rate; may exceed 1 for integer spikes)."""
        return self.abs_sum / self.numel if self.numel else 0.0


def exact_sum(x: torch.Tensor) -> float:
    """Sum of ``x`` (float32 accumulation while exact for integer values, else float64)."""
    with _with_caller_threads():
        if x.is_floating_point() and x.numel() < 2**24:
            return float(x.sum())
        return float(x.sum(dtype=torch.float64))


_caller_threads: list[int] = []  # thread counts that one_thread() replaced, innermost last


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch CPU ops on the calling thread only, restoring the thread count afterwards.

    The counter's reductions are small or memory-bound; on a loaded CPU a multi-threaded torch
    op spends most of its time waiting for its worker threads to be scheduled (milliseconds per
    op), so counting work runs single-threaded. Exact results (integer counts, min/max) do not
    depend on the thread count; float sums of real values do in their last bits, so those run
    with the caller's thread count (:func:`_with_caller_threads`), as without this context.
    """
    n = torch.get_num_threads()
    if n == 1:
        yield
        return
    torch.set_num_threads(1)
    _caller_threads.append(n)
    try:
        yield
    finally:
        _caller_threads.pop()
        torch.set_num_threads(n)


@contextlib.contextmanager
def _with_caller_threads() -> Iterator[None]:
    """Undo :func:`one_thread` for an order-dependent float reduction."""
    if not _caller_threads:
        yield
        return
    torch.set_num_threads(_caller_threads[-1])
    try:
        yield
    finally:
        torch.set_num_threads(1)


_SCAN_DTYPES = (torch.float32, torch.float64)
_scan_module: Any = None  # the numba scans once imported; False when numba is unavailable


def _scans() -> Any:
    """The numba scans of :mod:`spike_energy._scan`, or ``None`` without numba."""
    global _scan_module  # noqa: PLW0603
    if _scan_module is None:
        try:
            from spike_energy import _scan
        except ImportError:
            _scan_module = False
        else:
            _scan_module = _scan
    return _scan_module or None


def _scannable(x: torch.Tensor) -> np.ndarray | None:
    """``x`` as a flat numpy array when the single-pass scans apply (CPU float tensors).

    The statistics do not depend on the element order, so a permuted tensor (a transposed or
    head-split activation) is read in its memory order without a copy; only a tensor with gaps
    or overlaps (a strided slice, an expanded view) is copied, on this thread.
    """
    if x.device.type != "cpu" or x.dtype not in _SCAN_DTYPES or x.is_neg() or _scans() is None:
        return None
    x = x.detach()
    if not x.is_contiguous():
        order = sorted(range(x.dim()), key=x.stride, reverse=True)
        x = x.permute(order)
    return x.numpy().reshape(-1)


@torch.no_grad()
def spike_sum(x: torch.Tensor) -> float:
    """Exact sum of a neuron output: one scan when it is binary, else :func:`exact_sum`.

    Args:
        x: any tensor (a neuron's output spikes).

    Returns:
        The sum of ``x``, identical to :func:`exact_sum`.
    """
    a = _scannable(x) if x.numel() else None
    if a is not None:
        ones, nonzero = _scans().count_binary(a)
        if ones == nonzero:
            return float(ones)
    return exact_sum(x)


def _dot_self(flat: torch.Tensor) -> float:
    """``sum(x^2)`` of a flat tensor (float: with the caller's thread count)."""
    with _with_caller_threads():
        return float(torch.dot(flat, flat))


@torch.no_grad()
def input_stats(x: torch.Tensor, *, scaled_spikes: bool = True) -> InputStats:
    """Classify ``x`` and measure its rate, in as few passes over ``x`` as possible.

    On CPU float32/float64 tensors with numba installed, a binary input takes one
    single-threaded pass (counting ones and non-zeros) and other inputs one more pass for
    min/max, non-zeros and integrality, plus at most two torch sums. Elsewhere binary spike
    tensors take three torch reductions: min/max, sum and sum of squares. Both paths give
    identical statistics.

    Args:
        x: any tensor (a layer input).
        scaled_spikes: recognise tensors of small integer multiples of one amplitude as spikes
            (:func:`_as_scaled_spikes`); off for the model's own input, which the convention
            counts as real-valued (the encoding layer is a MAC layer).

    Returns:
        The :class:`InputStats` of ``x``.
    """
    numel = x.numel()
    if numel == 0:
        return InputStats(BINARY, 0.0, 0, 0, 0.0)
    x = x.detach()
    a = _scannable(x)
    st = _scanned_stats(x, a) if a is not None else None
    if st is None:
        st = _torch_stats(x)
    return _as_scaled_spikes(x, st) if st.kind == REAL and scaled_spikes else st


MAX_SCALED_LEVELS = 16


def _as_scaled_spikes(x: torch.Tensor, st: InputStats) -> InputStats:
    """Reclassify a real-valued ``x`` whose values are all ``k q`` (integers ``|k| <= 16``).

    Integer neurons that normalise their counts (IE-LIF emits ``k / 4``) and converted neurons
    that emit ``+-theta`` produce such tensors; a synapse then performs ``|k|`` accumulates of a
    weight pre-scaled by ``q``. A cheap test on the first few thousand elements rejects analog
    data before the full pass.
    """
    if st.nonzero == 0 or not x.is_floating_point():
        return st
    flat = x.reshape(-1)
    head = flat[:4096]
    head = head[head != 0].abs()
    if head.numel():
        q = head.min()
        k = head / q
        if float(k.max()) > MAX_SCALED_LEVELS or not torch.equal(k, torch.round(k)):
            return st
    nz = flat[flat != 0].abs()
    q = nz.min()
    k = nz / q
    if float(k.max()) > MAX_SCALED_LEVELS or not torch.equal(k, torch.round(k)):
        return st
    qf = float(q)
    return InputStats(
        INTEGER, float(k.sum(dtype=torch.float64)), st.nonzero, st.numel, st.max_abs, qf
    )


def _scanned_stats(x: torch.Tensor, a: np.ndarray) -> InputStats | None:
    """:func:`input_stats` from the numba scans (``None``: NaN inside, use the torch path)."""
    scans = _scans()
    numel = x.numel()
    ones, nonzero = scans.count_binary(a)
    if ones == nonzero:
        return InputStats(BINARY, float(ones), int(ones), numel, 1.0 if ones else 0.0)
    mn, mx, nonzero, nonint, nans = scans.scan_values(a)
    if nans:
        return None
    mn, mx, nonzero = float(mn), float(mx), int(nonzero)
    if mn >= 0 and mx <= 1:
        # the torch path's tests, so that a borderline tensor gets the same verdict
        total = exact_sum(x)
        if numel < 2**24:
            flat = x.reshape(-1)
            if _dot_self(flat) == total:
                return InputStats(BINARY, total, round(total), numel, mx)
        elif total == nonzero:
            return InputStats(BINARY, total, nonzero, numel, mx)
        return InputStats(REAL, total, nonzero, numel, mx)
    abs_sum = exact_sum(x.abs()) if mn < 0 else exact_sum(x)
    kind = INTEGER if nonint == 0 else REAL
    return InputStats(kind, abs_sum, nonzero, numel, max(abs(mn), abs(mx)))


def _torch_stats(x: torch.Tensor) -> InputStats:
    """:func:`input_stats` with torch reductions (any device and dtype)."""
    numel = x.numel()
    if x.is_complex():
        x = x.abs()
    mn, mx = (float(v) for v in torch.aminmax(x))
    if mn >= 0 and mx <= 1:
        total = exact_sum(x)
        # in [0, 1], x^2 <= x with equality only at 0 and 1: binary iff sum(x^2) == sum(x)
        if x.is_floating_point() and numel < 2**24:
            flat = x.reshape(-1)
            if _dot_self(flat) == total:
                return InputStats(BINARY, total, round(total), numel, mx)
            nonzero = int(torch.count_nonzero(x))
        else:
            nonzero = int(torch.count_nonzero(x))
            if total == nonzero:
                return InputStats(BINARY, total, nonzero, numel, mx)
        return InputStats(REAL, total, nonzero, numel, mx)
    nonzero = int(torch.count_nonzero(x))
    is_int = not x.is_floating_point() or bool(torch.equal(x, torch.round(x)))
    abs_sum = exact_sum(x.abs()) if mn < 0 else exact_sum(x)
    kind = INTEGER if is_int else REAL
    return InputStats(kind, abs_sum, nonzero, numel, max(abs(mn), abs(mx)))


class StatsCache:
    """:func:`input_stats` that classifies each tensor once while several ops read it.

    Within one forward the same activation often feeds several layers (Q, K and V projections;
    a residual stream), each through its own view. Entries are keyed by the view's root tensor
    (held by weak reference, so a freed tensor's address can never be mistaken for it), data
    pointer, shape, strides, dtype and version counter (an in-place write invalidates them).
    Call :meth:`clear` between forwards.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[weakref.ref[torch.Tensor], InputStats]] = {}
        self._raw: dict[int, weakref.ref[torch.Tensor]] = {}

    def clear(self) -> None:
        """Forget every entry and every model input."""
        self._entries.clear()
        self._raw.clear()

    def mark_model_input(self, x: torch.Tensor) -> None:
        """Classify ``x`` and its views without the scaled-spike rule (see :func:`input_stats`)."""
        root = x._base if x._base is not None else x
        self._raw[id(root)] = weakref.ref(root)

    def _is_model_input(self, root: torch.Tensor) -> bool:
        ref = self._raw.get(id(root))
        return ref is not None and ref() is root

    def __call__(self, x: torch.Tensor) -> InputStats:
        """The :class:`InputStats` of ``x`` (computed on the first request)."""
        root = x._base if x._base is not None else x
        try:
            version = x._version
            ref = weakref.ref(root)
        except (RuntimeError, TypeError):  # inference tensors track no version
            return input_stats(x, scaled_spikes=not self._is_model_input(root))
        key = (id(root), x.data_ptr(), x.shape, x.stride(), x.dtype, x.device, version)
        hit = self._entries.get(key)
        if hit is not None and hit[0]() is root:
            return hit[1]
        st = input_stats(x, scaled_spikes=not self._is_model_input(root))
        self._entries[key] = (ref, st)
        return st


@torch.no_grad()
def syops_spike_rate(x: torch.Tensor) -> tuple[bool, float]:
    """The ``syops`` package's spike test: at most two distinct values within ``[0, 1]``.

    Args:
        x: any tensor.

    Returns:
        ``(is_spike, rate)``: ``rate`` is the mean for spike tensors and 1 otherwise (so an
        all-0.5 tensor counts as spiking with rate 0.5, as in syops).
    """
    if x.numel() == 0:
        return True, 0.0
    if len(x.unique()) <= 2 and float(x.max()) <= 1 and float(x.min()) >= 0:
        return True, float(x.sum() / x.numel())
    return False, 1.0
