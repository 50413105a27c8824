"""The caching allocator behind the fused CPU kernels' outputs."""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Iterator

import pytest
import torch

from spike_core import LIF
from spike_core.kernels import cache_info, empty_cache, set_cache_limit
from spike_core.kernels._alloc import empty_large

_DEFAULT = cache_info()["limit_bytes"]
BIG = (3, 1 << 20)  # 12 MiB of float32: above the 8 MiB caching threshold


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    empty_cache()
    set_cache_limit(_DEFAULT)
    yield
    empty_cache()
    set_cache_limit(_DEFAULT)


def test_a_freed_output_is_reused_and_a_live_one_never() -> None:
    a = empty_large(BIG, torch.float32)
    ptr = a.data_ptr()
    assert a.is_contiguous()
    assert a.shape == BIG
    assert ptr % 64 == 0
    b = empty_large(BIG, torch.float32)  # a is alive: must be other memory
    assert b.data_ptr() != ptr
    del a
    gc.collect()
    assert cache_info()["cached_bytes"] > 12 << 20
    hits = cache_info()["hits"]
    c = empty_large(BIG, torch.float32)
    assert c.data_ptr() == ptr
    assert cache_info()["hits"] == hits + 1
    del b, c


def test_a_view_keeps_the_buffer_out_of_the_cache() -> None:
    a = empty_large(BIG, torch.float32)
    ptr = a.data_ptr()
    row = a[1]
    del a
    gc.collect()
    assert cache_info()["cached_bytes"] == 0
    b = empty_large(BIG, torch.float32)
    assert b.data_ptr() != ptr
    row.fill_(1.0)  # still valid memory
    del row, b


def test_small_outputs_bypass_the_cache_and_the_limit_is_kept() -> None:
    small = empty_large((4, 1000), torch.float64)
    assert small.dtype == torch.float64
    del small
    assert cache_info()["cached_bytes"] == 0
    set_cache_limit(16 << 20)  # room for one 12 MiB buffer only
    a, b = empty_large(BIG, torch.float32), empty_large(BIG, torch.float32)
    del a, b
    gc.collect()
    assert 12 << 20 < cache_info()["cached_bytes"] <= 16 << 20
    set_cache_limit(0)
    assert cache_info()["cached_bytes"] == 0
    c = empty_large(BIG, torch.float32)
    del c
    assert cache_info()["cached_bytes"] == 0


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1"])
def test_set_cache_limit_rejects_bad_values(bad: object) -> None:
    with pytest.raises(ValueError, match="n_bytes"):
        set_cache_limit(bad)  # type: ignore[arg-type]


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="needs the numba extra")
def test_fused_outputs_from_recycled_memory_are_correct_and_never_aliased() -> None:
    gen = torch.Generator().manual_seed(0)
    xs = [torch.randn(2, 1 << 21, generator=gen) * 1.5 for _ in range(3)]  # 16 MiB each
    fused, ref = LIF(tau_mem=2.0, backend="cpu"), LIF(tau_mem=2.0, backend="torch")
    with torch.no_grad():
        first = fused(xs[0])
        kept = first.clone()
        second = fused(xs[1])  # first is alive: fresh memory
        assert second.data_ptr() != first.data_ptr()
        assert torch.equal(first, kept)
        ptr = first.data_ptr()
        del first
        third = fused(xs[2])  # reuses the freed output's memory
        assert third.data_ptr() == ptr
        assert torch.equal(third, ref(xs[2]))
        assert torch.equal(second, ref(xs[1]))
    x = xs[0].clone().requires_grad_()
    for _ in range(2):  # forward + backward twice: the gradient buffers recycle too
        x.grad = None
        fused(x).sum().backward()
        grad = x.grad.clone()
    x_ref = xs[0].clone().requires_grad_()
    ref(x_ref).sum().backward()
    assert torch.allclose(grad, x_ref.grad, atol=1e-6)


def test_large_fresh_states_are_filled_even_from_recycled_memory() -> None:
    from spike_core import CubaLIF

    x = torch.empty(1 << 22)  # 16 MiB: above the threshold
    junk = empty_large(tuple(x.shape), torch.float32).fill_(7.0)
    del junk  # its buffer is cached, full of 7s
    v0 = LIF(v_reset=0.25).init_state(x).v
    assert torch.equal(v0, torch.full_like(x, 0.25))
    v, i = CubaLIF(reset="soft", v_leak=-0.5).init_state(x)
    assert torch.equal(v, torch.full_like(x, -0.5))
    assert torch.equal(i, torch.zeros_like(x))
    assert LIF().init_state(x.to(torch.float16)).v.dtype == torch.float16  # not cached
