"""The overhead optimisations give exactly the statistics and counts of the reference paths."""

import math

import pytest
import torch
from torch import nn

from spike_core import LIF, SeqToBatch
from spike_energy import Counter
from spike_energy import _classify as cls
from spike_energy import _ops as ops_mod
from spike_energy import counter as counter_mod
from spike_energy._ops import matmul_total

pytest.importorskip("numba")


def _cases() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    b = (torch.rand(4, 3, 5, 6, generator=g) < 0.3).float()
    ints = torch.randint(-2, 5, (3, 4, 7), generator=g).float()
    real01 = torch.rand(4, 6, 5, generator=g)
    real = torch.randn(5, 8, generator=g)
    near_one = torch.full((64,), 1.0 - 2**-24)
    with_nan = real.clone()
    with_nan[1, 2] = float("nan")
    with_inf = b.clone()
    with_inf[0, 0, 0, 0] = float("inf")
    return [
        b,
        b.double(),
        -b * 0.0,  # negative zeros are zeros
        torch.zeros(3, 4),
        torch.ones(2, 5),
        b.permute(2, 0, 3, 1),  # permuted: read in memory order
        b[:, ::2],  # strided slice: copied
        b[:1].expand(3, 3, 5, 6),  # expanded (stride 0)
        ints,
        ints.abs(),
        ints.transpose(0, 2),
        real01,
        real,
        real.t(),
        near_one,
        with_nan,
        with_inf,
        torch.tensor([0.5, 1.0, 0.0]),
        torch.tensor([1.0, 2.0, 0.0]),
    ]


@pytest.mark.parametrize("i", range(len(_cases())))
def test_scanned_stats_equal_torch_stats(i: int) -> None:
    x = _cases()[i]
    fast = cls.input_stats(x, scaled_spikes=False)
    ref = cls._torch_stats(x)
    assert fast.kind == ref.kind
    for f in ("abs_sum", "nonzero", "numel", "max_abs"):
        a, r = getattr(fast, f), getattr(ref, f)
        assert (math.isnan(a) and math.isnan(r)) or a == r, (f, a, r)
    assert cls._scannable(x) is not None  # the fast path was taken


def test_spike_sum_equals_exact_sum() -> None:
    for x in _cases():
        a, r = cls.spike_sum(x), cls.exact_sum(x)
        assert (math.isnan(a) and math.isnan(r)) or a == r


def test_scan_not_used_off_cpu_float() -> None:
    assert cls._scannable(torch.ones(3, dtype=torch.float16)) is None
    assert cls._scannable(torch.ones(3, dtype=torch.int64)) is None
    assert cls.input_stats(torch.tensor([0, 1, 1], dtype=torch.int64)).kind == "binary"


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3, 4, 5), (3, 5, 6)), ((2, 1, 4, 5), (3, 5, 2)), ((5,), (2, 5, 3)), ((2, 4, 5), (5,))],
)
def test_matmul_total_equals_product_sum(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(1)
    a = torch.randint(0, 4, sa, generator=g).float()
    b = (torch.rand(sb, generator=g) < 0.5).float()
    ref = float(torch.matmul(a.double(), b.double()).sum())
    assert matmul_total(a, b, 3.0) == ref  # float32 sums, proven exact by the bound
    assert matmul_total(a, b) == ref  # float64 sums


def test_one_thread_restores_thread_count() -> None:
    n = torch.get_num_threads()
    with cls.one_thread():
        assert torch.get_num_threads() == 1
        with cls._with_caller_threads():
            assert torch.get_num_threads() == n
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == n


class _Attn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.q = SeqToBatch(nn.Linear(8, 8))
        self.k = SeqToBatch(nn.Linear(8, 8))
        self.lif_q, self.lif_k = LIF(tau_mem=2.0), LIF(tau_mem=2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k = self.lif_q(self.q(x)), self.lif_k(self.k(x))
        return (q @ k.transpose(-2, -1)) @ k.permute(0, 1, 2, 3)


class _NoCache(cls.StatsCache):
    def __call__(self, x: torch.Tensor) -> cls.InputStats:
        root = x._base if x._base is not None else x
        return cls.input_stats(x, scaled_spikes=not self._is_model_input(root))


def test_counts_equal_with_and_without_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = _Attn()
    x = torch.randn(3, 2, 5, 8) * 3

    def run() -> list[tuple]:
        with Counter(model) as c, torch.no_grad():
            model(x)
        r = c.report()
        return [
            (lr.name, lr.kind, lr.acs, lr.macs, lr.dense, lr.in_rate, lr.spikes_out)
            for lr in r.layers
        ]

    fast = run()
    monkeypatch.setattr(cls, "_scannable", lambda _x: None)
    monkeypatch.setattr(counter_mod, "one_thread", cls.contextlib.nullcontext)
    monkeypatch.setattr(counter_mod, "StatsCache", _NoCache)
    monkeypatch.setattr(
        ops_mod,
        "matmul_total",
        lambda a, b, _bound=0.0: float(torch.matmul(a.double(), b.double()).sum()),
    )
    assert run() == fast
    assert any(k == "binary" for _, k, *_ in fast)


def test_stats_cache_reuses_views_and_sees_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[torch.Size] = []
    real = cls.input_stats

    def counting(x: torch.Tensor, **kwargs: bool) -> cls.InputStats:
        calls.append(x.shape)
        return real(x, **kwargs)

    monkeypatch.setattr(cls, "input_stats", counting)
    cache = cls.StatsCache()
    x = (torch.rand(2, 3, 4) < 0.5).float()
    first = cache(x.flatten(0, 1))
    assert cache(x.flatten(0, 1)) is first  # another view of the same data: one scan
    assert len(calls) == 1
    cache(x[0])  # a different view (other pointer/shape): scanned
    assert len(calls) == 2
    x.mul_(2.0)  # an in-place write bumps the version: scanned again, now integer
    assert cache(x.flatten(0, 1)).kind == "integer"
    assert len(calls) == 3
    cache.clear()
    cache(x.flatten(0, 1))
    assert len(calls) == 4
    with torch.inference_mode():
        y = torch.ones(3)
    assert cache(y).kind == "binary"  # inference tensors: not cached, still classified
