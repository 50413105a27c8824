"""Output allocation for the fused kernels.

A freshly allocated multi-megabyte CPU tensor is paid for on first touch, one 4 KiB page fault at
a time; for a ``[16, 2**22]`` float32 output that costs about as much as the kernel itself. On
Linux, large outputs are advised to the kernel as transparent huge pages (``MADV_HUGEPAGE``, what
PyTorch's own ``THP_MEM_ALLOC_ENABLE`` does), which cuts the faults 512-fold. Best effort: on any
other platform, or if ``madvise`` is refused, a plain ``torch.empty`` is returned.
"""

from __future__ import annotations

import ctypes
import sys
from functools import lru_cache

import torch

__all__ = ["empty_large"]

_MADV_HUGEPAGE = 14
_HUGE = 1 << 21
_MIN_BYTES = 8 << 20


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


def empty_large(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """``torch.empty(shape, dtype)`` on CPU, advised as huge pages when large (Linux).

    Args:
        shape: the tensor shape.
        dtype: the tensor dtype.

    Returns:
        An uninitialised contiguous CPU tensor.
    """
    out = torch.empty(shape, dtype=dtype)
    nbytes = out.numel() * out.element_size()
    if nbytes >= _MIN_BYTES:
        fn = _madvise()
        if fn is not None:
            start = (out.data_ptr() + _HUGE - 1) & ~(_HUGE - 1)
            end = (out.data_ptr() + nbytes) & ~(_HUGE - 1)
            if end > start:
                fn(start, end - start, _MADV_HUGEPAGE)  # type: ignore[operator]
    return out
