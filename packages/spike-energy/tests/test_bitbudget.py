import math

import pytest
import torch
from torch import nn

from spike_core import SeqToBatch
from spike_energy import (
    BitSpec,
    bit_budget,
    bit_budget_sweep,
    bitops,
    equivalent_bits,
    estimate_energy,
    quantize_weight,
    spike_bits,
    storage_bits,
    ternary_spike,
)


def _report():
    x = torch.zeros(2, 1, 10)
    x[:, :, :4] = 1.0  # density 0.4
    return estimate_energy(SeqToBatch(nn.Linear(10, 5, bias=False)), x)


def test_bit_budget_and_bits() -> None:
    assert bit_budget(BitSpec(2, 2, 1)) == 4
    with pytest.raises(ValueError, match="b_s"):
        bit_budget(1, 0, 4)
    assert spike_bits("binary") == 1
    assert spike_bits("ternary") == 2
    assert spike_bits("integer", levels=4) == 3
    assert spike_bits("real") == 32
    with pytest.raises(ValueError, match="kind"):
        spike_bits("analog")
    assert equivalent_bits(1, 2) == 2.0
    assert equivalent_bits(4, 1) == pytest.approx(math.log2(5))


def test_bitops_and_storage_by_hand() -> None:
    r = _report()
    ops = bitops(r, b_w=4)  # auto: binary input -> b_s = 1, T = 2
    assert ops["bitops"] == 10 * 5 * 4 * 1 * 2
    assert ops["bitops_eff"] == pytest.approx(10 * 5 * 4 * 2 * 0.4)
    assert bitops(r, b_w=8, b_s=2, T=1)["bitops"] == 10 * 5 * 8 * 2
    assert storage_bits(r, b_w=4) == 50 * 4 + 10 * 1 * 2


def test_sweep_table() -> None:
    r = _report()
    acc = {BitSpec(1, 1, 4): 0.9}
    t = bit_budget_sweep([(1, 1, 4), (2, 2, 1), (4, 1, 1)], report=r, accuracy=acc, e_bit=1e-15)
    assert [row["BB"] for row in t.rows] == [4, 4, 4]
    assert t.rows[0]["accuracy"] == 0.9
    assert t.rows[1]["accuracy"] is None
    assert t.rows[1]["bitops"] == 10 * 5 * 2 * 2 * 1
    assert t.rows[0]["e_bit_j"] == pytest.approx(1e-15 * t.rows[0]["bitops_eff"])
    assert "BitOps" in str(t)
    assert t.to_csv().startswith("b_w,b_s,T,BB")


def test_quantize_weight_levels_and_ste() -> None:
    torch.manual_seed(0)
    w = torch.randn(4, 6, requires_grad=True)
    for bits in (2, 4, 8):
        q = quantize_weight(w, bits)
        scale = w.detach().abs().max() / (2 ** (bits - 1) - 1)
        assert torch.allclose(q / scale, torch.round(q / scale), atol=1e-4)
        assert len(torch.unique(q.detach())) <= 2**bits - 1
    q1 = quantize_weight(w, 1, per_channel=True)
    assert torch.allclose(q1.detach().abs(), w.detach().abs().mean(1, keepdim=True).expand(4, 6))
    quantize_weight(w, 4).sum().backward()
    inside = w.detach().abs() < w.detach().abs().max()  # the extreme value sits on the clamp
    assert torch.equal(w.grad[inside], torch.ones_like(w)[inside])
    with pytest.raises(ValueError, match="bits"):
        quantize_weight(w, 0)


def test_ternary_spikes_counted_by_magnitude() -> None:
    s = ternary_spike(torch.tensor([[1.5, 0.2, -2.0, -0.5]]), theta=1.0)
    assert s.tolist() == [[1.0, 0.0, -1.0, 0.0]]
    r = estimate_energy(nn.Linear(4, 3), s)
    assert r.layers[0].kind == "integer"
    assert r.acs == pytest.approx(2 * 3)
