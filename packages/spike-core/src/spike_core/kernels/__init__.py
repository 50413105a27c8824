"""Backends for the loop over time of multi-step neurons.

A backend is an object with ``name``, ``priority`` (higher wins under ``"auto"``),
``available() -> bool`` (cheap; never compiles at import), ``supports(neuron, x_seq) -> bool`` and
``run(neuron, x_seq, state) -> (spikes, final_state)``. ``"torch"``, the reference loop over the
neuron's pure step, is always available and is what every other backend is tested against.
A backend may set ``checks_finite = True`` when its kernel rejects NaN/inf input itself (the
module then skips its separate ``isfinite`` pass).

Built in: ``"cpu"`` (priority 10; fused numba kernels for LIF, IF, PLIF, CuBa-LIF and the integer
LIF on CPU float32/float64, available with the ``numba`` extra) and ``"triton"`` (priority 20;
LIF, IF and PLIF on CUDA float32/float16/bfloat16, available when triton imports and CUDA is
present). Neither imports its compiler at ``import spike_core``; kernels compile on first use.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from spike_core.kernels._alloc import cache_info, empty_cache, set_cache_limit

__all__ = [
    "Backend",
    "available_backends",
    "cache_info",
    "empty_cache",
    "register_backend",
    "resolve_backend",
    "run_multistep",
    "set_cache_limit",
]


class Backend(Protocol):
    """What a kernel backend provides (see the module docstring)."""

    name: str
    priority: int

    def available(self) -> bool:
        """Whether the backend's dependencies are installed (no compilation)."""
        ...

    def supports(self, neuron: Any, x_seq: torch.Tensor) -> bool:
        """Whether this backend can run ``neuron`` on ``x_seq`` (device, dtype, options)."""
        ...

    def run(self, neuron: Any, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Run over ``x_seq`` ``[T, B, ...]`` from ``state``; return spikes and final state."""
        ...


class _TorchBackend:
    name = "torch"
    priority = 0

    def available(self) -> bool:
        return True

    def supports(self, neuron: Any, x_seq: torch.Tensor) -> bool:  # noqa: ARG002
        return True

    def run(self, neuron: Any, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        return neuron.reference_loop(x_seq, state)


_BACKENDS: dict[str, Backend] = {"torch": _TorchBackend()}


def _register_builtin() -> None:
    from spike_core.kernels._cpu import CPUBackend
    from spike_core.kernels._triton import TritonBackend

    _BACKENDS["cpu"] = CPUBackend()
    _BACKENDS["triton"] = TritonBackend()


_register_builtin()


def register_backend(backend: Backend) -> None:
    """Add (or replace) a backend under ``backend.name``.

    Args:
        backend: an object following the :class:`Backend` protocol.
    """
    _BACKENDS[backend.name] = backend


def available_backends() -> list[str]:
    """Names of installed backends, best (highest priority) first."""
    ok = [b for b in _BACKENDS.values() if b.available()]
    return [b.name for b in sorted(ok, key=lambda b: -b.priority)]


def resolve_backend(neuron: Any, x_seq: torch.Tensor, backend: str) -> Backend:
    """The backend that will run ``neuron`` on ``x_seq`` for the requested ``backend`` name.

    Args:
        neuron: a spike-core multi-step neuron.
        x_seq: input, time-major ``[T, B, ...]`` (its device and dtype matter).
        backend: ``"auto"`` (the best installed backend that supports this, else ``"torch"``)
            or a registered backend name.

    Returns:
        The :class:`Backend`.

    Raises:
        ValueError: for an unknown name, an uninstalled backend, or one that cannot run this
            neuron on this input.
    """
    if backend == "auto":
        for name in available_backends():
            b = _BACKENDS[name]
            if b.supports(neuron, x_seq):
                return b
        return _BACKENDS["torch"]
    if backend not in _BACKENDS:
        raise ValueError(
            f"unknown backend {backend!r}; expected 'auto' or one of {sorted(_BACKENDS)}"
        )
    b = _BACKENDS[backend]
    if not b.available():
        raise ValueError(
            f"backend {backend!r} is not installed here; use backend='auto' or 'torch'"
        )
    if not b.supports(neuron, x_seq):
        raise ValueError(
            f"backend {backend!r} cannot run {type(neuron).__name__} on "
            f"{x_seq.device.type} {x_seq.dtype}; use backend='auto' or 'torch'"
        )
    return b


def run_multistep(
    neuron: Any, x_seq: torch.Tensor, state: Any, backend: str
) -> tuple[torch.Tensor, Any]:
    """Run a multi-step neuron over ``x_seq`` with the chosen backend.

    Args:
        neuron: a spike-core multi-step neuron.
        x_seq: input, time-major ``[T, B, ...]``.
        state: the initial state (the neuron's NamedTuple of ``[B, ...]`` tensors).
        backend: ``"auto"`` or a registered backend name.

    Returns:
        ``(spikes [T, B, ...], final_state)``.
    """
    return resolve_backend(neuron, x_seq, backend).run(neuron, x_seq, state)
