"""The ``"cpu"`` backend: fused multi-step kernels compiled with numba (the ``numba`` extra).

Forward streams ``x`` once and writes the spikes once, with the time loop inside compiled code
over a flat neuron axis split among ``torch.get_num_threads()`` threads (the kernels release the
GIL). Backward is a custom autograd function that saves only ``x`` (a reference, no copy) and the
initial state, recomputes the forward block by block into a cache-sized scratch buffer and runs
in reverse time. Nothing is compiled at import: numba is imported and each kernel compiled (once
per dtype, cached on disk) on first use.
"""

from __future__ import annotations

import importlib.util
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np
import torch

from spike_core._validation import check_finite
from spike_core.kernels._alloc import empty_large
from spike_core.kernels._spec import NeuronSpec, describe

__all__ = ["CPUBackend"]

_ALIGN = 64  # columns per thread chunk are a multiple of this (no false sharing)
_SERIAL_WORK = 1 << 15  # below this many elements one thread does it all
_CHUNKS_PER_THREAD = 16
_LOCK = threading.Lock()
_POOL: dict[str, Any] = {"pool": None, "size": 0}  # one lazily created, growing thread pool
_BROKEN: list[str] = []


@lru_cache(maxsize=1)
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def _kernels() -> tuple[ModuleType, ModuleType]:
    from spike_core.kernels import _numba_int, _numba_lif

    return _numba_lif, _numba_int


def _parallel(fn: Callable[[int, int], Any], n: int, work: int) -> list[Any]:
    """Run ``fn(j0, j1)`` over ``[0, n)`` with torch's intra-op thread count.

    The columns are cut into ``4 x threads`` aligned chunks that the threads pull in turn, so a
    thread that starts late or runs slower takes fewer chunks. Returns the results in column
    order.
    """
    threads = max(1, min(torch.get_num_threads(), n // _ALIGN))
    if threads == 1 or work < _SERIAL_WORK:
        return [fn(0, n)]
    step = -(-n // (threads * _CHUNKS_PER_THREAD))
    step = -(-step // _ALIGN) * _ALIGN
    bounds = [(a, min(a + step, n)) for a in range(0, n, step)]
    results: list[Any] = [None] * len(bounds)
    todo = iter(range(len(bounds)))
    take = threading.Lock()

    def drain() -> None:
        while True:
            with take:
                k = next(todo, None)
            if k is None:
                return
            results[k] = fn(*bounds[k])

    with _LOCK:
        if _POOL["pool"] is None or _POOL["size"] < threads - 1:
            if _POOL["pool"] is not None:
                _POOL["pool"].shutdown(wait=False)
            _POOL["size"] = max(threads - 1, 1)
            _POOL["pool"] = ThreadPoolExecutor(_POOL["size"], thread_name_prefix="spike-core-cpu")
        pool = _POOL["pool"]
    futures = [pool.submit(drain) for _ in range(threads - 1)]
    drain()
    for f in futures:
        f.result()
    return results


def _prm(spec: NeuronSpec, dtype: torch.dtype, decay: torch.Tensor | None) -> np.ndarray:
    floats = list(spec.floats)
    if decay is not None:
        floats[0] = float(decay.detach())
    return np.asarray(floats, dtype=np.float32 if dtype == torch.float32 else np.float64)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _raise_if_flagged(flags: list[int]) -> None:
    """The forward kernels flag a non-finite input seen while streaming it."""
    if any(flags):
        raise ValueError("x_seq contains NaN or infinite values")


def _grad_buffer(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """A private, writable, contiguous copy of a state gradient (zeros when absent)."""
    if g is None:
        return torch.zeros_like(like)
    return g.to(like.dtype).contiguous().clone()


class _LIFFunction(torch.autograd.Function):
    """LIF / IF / PLIF over ``x`` ``[T, N]`` from ``v0`` ``[N]``; returns spikes and final ``v``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, v0: torch.Tensor, decay: torch.Tensor | None, spec: NeuronSpec
    ) -> tuple[torch.Tensor, torch.Tensor]:
        lif, _ = _kernels()
        prm = _prm(spec, x.dtype, decay)
        s = empty_large(tuple(x.shape), x.dtype)
        v = empty_large(tuple(v0.shape), v0.dtype)  # the kernels copy v0 in, block by block
        xn, sn, v0n, vn = _np(x), _np(s), _np(v0), _np(v)
        T, N = x.shape
        _raise_if_flagged(
            _parallel(
                lambda a, b: lif.lif_forward(xn, sn, v0n, vn, prm, spec.form, spec.reset, a, b),
                N,
                T * N,
            )
        )
        ctx.save_for_backward(x, v0)
        ctx.spec, ctx.prm = spec, prm
        ctx.decay_like = decay
        return s, v

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, gs: torch.Tensor, gv: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        lif, _ = _kernels()
        x, v0 = ctx.saved_tensors
        spec, prm = ctx.spec, ctx.prm
        gs = gs.to(x.dtype).contiguous()
        gx = empty_large(tuple(x.shape), x.dtype)
        gvb = _grad_buffer(gv, v0)
        xn, gsn, gxn, v0n, gvn = _np(x), _np(gs), _np(gx), _np(v0), _np(gvb)
        T, N = x.shape
        want_k = bool(ctx.needs_input_grad[2])
        parts = _parallel(
            lambda a, b: lif.lif_backward(
                xn,
                gsn,
                gxn,
                v0n,
                gvn,
                prm,
                spec.form,
                spec.reset,
                spec.detach,
                spec.sg,
                want_k,
                a,
                b,
            ),
            N,
            T * N,
        )
        gk = None
        if ctx.needs_input_grad[2]:
            d = ctx.decay_like
            gk = torch.tensor(float(sum(parts)), dtype=d.dtype, device=d.device).reshape(d.shape)
        return gx, gvb if ctx.needs_input_grad[1] else None, gk, None


class _CubaFunction(torch.autograd.Function):
    """CuBa-LIF over ``x`` ``[T, N]`` from ``(v0, i0)``; returns spikes, final ``v`` and ``i``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, v0: torch.Tensor, i0: torch.Tensor, spec: NeuronSpec
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lif, _ = _kernels()
        prm = _prm(spec, x.dtype, None)
        s = empty_large(tuple(x.shape), x.dtype)
        v = empty_large(tuple(v0.shape), v0.dtype)
        i = empty_large(tuple(i0.shape), i0.dtype)
        xn, sn, vn, i_n = _np(x), _np(s), _np(v), _np(i)
        v0n, i0n = _np(v0), _np(i0)
        T, N = x.shape
        _raise_if_flagged(
            _parallel(
                lambda a, b: lif.cuba_forward(xn, sn, v0n, i0n, vn, i_n, prm, spec.reset, a, b),
                N,
                T * N,
            )
        )
        ctx.save_for_backward(x, v0, i0)
        ctx.spec, ctx.prm = spec, prm
        return s, v, i

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(  # type: ignore[override]
        ctx: Any, gs: torch.Tensor, gv: torch.Tensor, gi: torch.Tensor
    ) -> tuple[Any, ...]:
        lif, _ = _kernels()
        x, v0, i0 = ctx.saved_tensors
        spec, prm = ctx.spec, ctx.prm
        gs = gs.to(x.dtype).contiguous()
        gx = empty_large(tuple(x.shape), x.dtype)
        gvb, gib = _grad_buffer(gv, v0), _grad_buffer(gi, i0)
        arrays = (_np(x), _np(gs), _np(gx), _np(v0), _np(i0), _np(gvb), _np(gib))
        T, N = x.shape
        _parallel(
            lambda a, b: lif.cuba_backward(*arrays, prm, spec.reset, spec.detach, spec.sg, a, b),
            N,
            T * N,
        )
        need = ctx.needs_input_grad
        return gx, gvb if need[1] else None, gib if need[2] else None, None


class _IntFunction(torch.autograd.Function):
    """Integer LIF over ``x`` ``[T, N]`` from the residual ``h0`` ``[N]``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, h0: torch.Tensor, spec: NeuronSpec
    ) -> tuple[torch.Tensor, torch.Tensor]:
        _, intk = _kernels()
        prm = _prm(spec, x.dtype, None)
        s = empty_large(tuple(x.shape), x.dtype)
        h = empty_large(tuple(h0.shape), h0.dtype)
        xn, sn, h0n, hn = _np(x), _np(s), _np(h0), _np(h)
        T, N = x.shape
        _raise_if_flagged(
            _parallel(
                lambda a, b: intk.int_forward(xn, sn, h0n, hn, prm, *spec.flags, a, b), N, T * N
            )
        )
        ctx.save_for_backward(x, h0)
        ctx.spec, ctx.prm = spec, prm
        if not spec.flags[2]:  # beta == 0: the final residual is a constant zero
            ctx.mark_non_differentiable(h)
        return s, h

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, gs: torch.Tensor, gh: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        _, intk = _kernels()
        x, h0 = ctx.saved_tensors
        spec, prm = ctx.spec, ctx.prm
        gs = gs.to(x.dtype).contiguous()
        gx = empty_large(tuple(x.shape), x.dtype)
        ghb = _grad_buffer(gh, h0)
        arrays = (_np(x), _np(gs), _np(gx), _np(h0), _np(ghb))
        T, N = x.shape
        _parallel(lambda a, b: intk.int_backward(*arrays, prm, *spec.flags, a, b), N, T * N)
        return gx, ghb if ctx.needs_input_grad[1] else None, None


def run_fused(
    apply: Callable[..., Any], spec: NeuronSpec, x_seq: torch.Tensor, state: Any
) -> tuple[torch.Tensor, Any]:
    """Flatten ``x_seq`` ``[T, B, ...]`` to ``[T, N]``, call a fused function, restore shapes."""
    T = x_seq.shape[0]
    x2 = x_seq.reshape(T, -1).contiguous()
    flat = [f.reshape(-1).contiguous() for f in state]
    extra = (spec.decay,) if spec.family == "lif" else ()
    out = apply(x2, *flat, *extra, spec)
    spikes = out[0].view(x_seq.shape)
    return spikes, type(state)(*(o.view(x_seq.shape[1:]) for o in out[1:]))


_FUNCTIONS = {"lif": _LIFFunction, "cuba": _CubaFunction, "int": _IntFunction}


def state_matches(x_seq: torch.Tensor, state: Any) -> bool:
    """Whether every state tensor has ``x_seq``'s dtype and device (else the reference runs)."""
    return all(f.dtype == x_seq.dtype and f.device == x_seq.device for f in state)


def _reference(neuron: Any, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
    """The reference loop, with the input check the fused path does in-kernel."""
    check_finite(x_seq, "x_seq")
    return neuron.reference_loop(x_seq, state)


class CPUBackend:
    """Fused CPU kernels (numba); float32 and float64 on the CPU device."""

    name = "cpu"
    priority = 10
    checks_finite = True  # the forward kernels reject NaN/inf input while streaming it

    def available(self) -> bool:
        """Whether numba is importable (nothing is imported or compiled here)."""
        return _numba_installed() and not _BROKEN

    def supports(self, neuron: Any, x_seq: torch.Tensor) -> bool:
        """CPU float32/float64 strided input and a neuron with a fused kernel."""
        return (
            x_seq.device.type == "cpu"
            and x_seq.layout == torch.strided
            and x_seq.dtype in (torch.float32, torch.float64)
            and describe(neuron) is not None
        )

    def run(self, neuron: Any, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Run ``neuron`` over ``x_seq`` ``[T, B, ...]``; returns spikes and the final state."""
        spec = describe(neuron)
        if spec is None or not state_matches(x_seq, state):
            return _reference(neuron, x_seq, state)
        try:
            _kernels()
        except ImportError as err:  # a broken numba install: fall back, loudly, once
            _BROKEN.append(str(err))
            warnings.warn(
                f"spike-core 'cpu' backend unavailable ({err}); running the torch reference loop",
                RuntimeWarning,
                stacklevel=3,
            )
            return _reference(neuron, x_seq, state)
        return run_fused(_FUNCTIONS[spec.family].apply, spec, x_seq, state)
