"""Output allocation for the fused CPU kernels: a small caching allocator.

A freshly allocated multi-megabyte CPU tensor is new memory from the operating system, zeroed on
first touch one page fault at a time; for a ``[16, 2**22]`` float32 output that costs about as
much as the fused kernel itself (several times more on virtual machines that hand freed memory
back to the host). A training loop frees and re-creates outputs of the same sizes every step, so
large outputs (at least 8 MiB) come from a cache: when the last reference to an output dies its
buffer is kept, up to a byte limit (a quarter of physical memory, at least 2 GiB), and the next
output of the same size reuses it without a single fault. This is what PyTorch's CUDA caching allocator does for GPU memory. New buffers are
advised to the kernel as transparent huge pages on Linux (``MADV_HUGEPAGE``, what PyTorch's
``THP_MEM_ALLOC_ENABLE`` does), which cuts the faults 512-fold the first time.

:func:`empty_cache` frees the cached buffers; :func:`set_cache_limit` bounds them (0 disables
caching).
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import weakref
from functools import lru_cache

import numpy as np
import torch

__all__ = ["cache_info", "empty_cache", "empty_large", "full_like_large", "set_cache_limit"]

_MADV_HUGEPAGE = 14
_HUGE = 1 << 21
_MIN_BYTES = 8 << 20
_ALIGN = 64

_LOCK = threading.Lock()
_FREE: dict[int, list[np.ndarray]] = {}  # buffer size in bytes -> idle uint8 buffers


def _default_limit() -> int:
    """A quarter of physical memory, at least 2 GiB (when the platform cannot say: 2 GiB)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        total = 0
    return max(2 << 30, total // 4)


_STATE = {"cached": 0, "limit": _default_limit(), "hits": 0, "misses": 0}


@lru_cache(maxsize=1)
def _madvise() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.madvise
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def _advise_huge(ptr: int, nbytes: int) -> None:
    fn = _madvise()
    if fn is None:
        return
    start = (ptr + _HUGE - 1) & ~(_HUGE - 1)
    end = (ptr + nbytes) & ~(_HUGE - 1)
    if end > start:
        fn(start, end - start, _MADV_HUGEPAGE)  # type: ignore[operator]


def _release(buf: np.ndarray) -> None:
    """Finalizer of an output: keep its buffer for reuse while the cache has room."""
    with _LOCK:
        if _STATE["cached"] + buf.nbytes <= _STATE["limit"]:
            _FREE.setdefault(buf.nbytes, []).append(buf)
            _STATE["cached"] += buf.nbytes


def _take(nbytes: int) -> np.ndarray | None:
    with _LOCK:
        bufs = _FREE.get(nbytes)
        if not bufs:
            _STATE["misses"] += 1
            return None
        _STATE["hits"] += 1
        _STATE["cached"] -= nbytes
        buf = bufs.pop()
        if not bufs:
            del _FREE[nbytes]
        return buf


def empty_large(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised contiguous CPU tensor, from the cache when large.

    Args:
        shape: the tensor shape.
        dtype: the tensor dtype (one numpy can hold: float32, float64, integers).

    Returns:
        A contiguous CPU tensor of ``shape`` whose contents are undefined. Below 8 MiB it is a
        plain ``torch.empty``; above, its memory returns to the cache once the tensor (and every
        view of it) is gone.
    """
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < _MIN_BYTES or _STATE["limit"] <= 0:
        out = torch.empty(shape, dtype=dtype)
        if nbytes >= _MIN_BYTES:
            _advise_huge(out.data_ptr(), nbytes)
        return out
    size = nbytes + _ALIGN
    buf = _take(size)
    if buf is None:
        buf = np.empty(size, dtype=np.uint8)
        _advise_huge(buf.ctypes.data, size)
    off = -buf.ctypes.data % _ALIGN
    np_dtype = torch.empty((), dtype=dtype).numpy().dtype
    arr = buf[off : off + nbytes].view(np_dtype).reshape(shape)
    fin = weakref.finalize(arr, _release, buf)
    fin.atexit = False
    return torch.from_numpy(arr)


def full_like_large(x: torch.Tensor, value: float) -> torch.Tensor:
    """``torch.full_like(x, value)``, from the cache when ``x`` is a large float CPU tensor.

    Used for the fresh state of a neuron layer (a ``[B, ...]`` membrane of 16 MiB for 2^22
    neurons), which otherwise costs as many page faults per forward as it has pages.

    Args:
        x: the tensor whose shape, dtype and device to copy.
        value: the fill value.

    Returns:
        A tensor like ``x`` (contiguous when cached) filled with ``value``.
    """
    large = x.numel() * x.element_size() >= _MIN_BYTES
    if large and x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64):
        return empty_large(tuple(x.shape), x.dtype).fill_(value)
    return torch.full_like(x, value)


def empty_cache() -> None:
    """Free every cached output buffer of the fused CPU kernels (live outputs are untouched)."""
    with _LOCK:
        _FREE.clear()
        _STATE["cached"] = 0


def set_cache_limit(n_bytes: int) -> None:
    """Bound the bytes of idle output buffers the fused CPU kernels keep for reuse.

    Args:
        n_bytes: the limit (default a quarter of physical memory, at least 2 GiB); 0 disables
            caching and frees the cache.

    Raises:
        ValueError: if ``n_bytes`` is not a non-negative integer.
    """
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes < 0:
        raise ValueError(f"n_bytes must be a non-negative int, got {n_bytes!r}")
    with _LOCK:
        _STATE["limit"] = n_bytes
        while _STATE["cached"] > n_bytes and _FREE:
            size = next(iter(_FREE))
            _FREE[size].pop()
            _STATE["cached"] -= size
            if not _FREE[size]:
                del _FREE[size]


def cache_info() -> dict[str, int]:
    """Counters of the output cache.

    Returns:
        ``{"cached_bytes", "limit_bytes", "hits", "misses"}`` (hits and misses count large
        allocations since import).
    """
    with _LOCK:
        return {
            "cached_bytes": _STATE["cached"],
            "limit_bytes": _STATE["limit"],
            "hits": _STATE["hits"],
            "misses": _STATE["misses"],
        }
