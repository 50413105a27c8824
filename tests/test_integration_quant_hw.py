"""spike-quant integer export -> spike-hw fixed-point backend -> spike-energy counts."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from spike_core import SeqToBatch
from spike_energy import estimate_energy
from spike_hw import run_integer_export
from spike_quant import IELIF, export_integer, integer_forward, quantize

_SCALE = 1 / 16  # input codes 0..16


def _mlp() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(
        SeqToBatch(nn.Linear(12, 16)),
        IELIF(),
        SeqToBatch(nn.Linear(16, 8)),
        IELIF(),
        SeqToBatch(nn.Linear(8, 5)),
    )
    return quantize(net, bits=4).eval()


def _cnn() -> nn.Sequential:
    torch.manual_seed(1)
    net = nn.Sequential(
        SeqToBatch(nn.Conv2d(1, 4, 3, padding=1)),
        SeqToBatch(nn.BatchNorm2d(4)),
        IELIF(),
        SeqToBatch(nn.Conv2d(4, 6, 3, stride=2, padding=1)),
        IELIF(),
        SeqToBatch(nn.Flatten()),
        SeqToBatch(nn.Linear(6 * 3 * 3, 5)),
    )
    net = quantize(net, bits=4)
    bn = net[1].module
    with torch.no_grad():  # non-trivial BN statistics, so folding is exercised
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.3, 0.3)
    return net.eval()


_NETS = {"mlp": (_mlp, (12,)), "cnn": (_cnn, (1, 6, 6))}


def _codes(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 17, (3, 2, *shape), generator=g)  # [T, B, ...]


@pytest.mark.parametrize("name", sorted(_NETS))
def test_integration_fixed_point_backend_equals_integer_forward_bit_for_bit(name: str) -> None:
    build, shape = _NETS[name]
    net = build()
    x = _codes(shape, seed=2)
    exp = export_integer(net, input_scale=_SCALE)

    fixed = integer_forward(exp, x, arithmetic="fixed", frac_bits=24)
    hw = run_integer_export(exp, x, frac_bits=24)
    assert hw["output"].dtype == torch.float64
    assert torch.equal(hw["output"], fixed["output"])
    assert len(hw["counts"]) == 2
    for c in hw["counts"]:
        assert c.dtype == torch.int64
        assert int(c.min()) >= 0
        assert int(c.max()) <= 4
    assert sum(int(c.sum()) for c in hw["counts"]) > 0  # the network is not silent

    # the exact integer arithmetic is the fake-quantized float64 forward bit for bit
    exact = integer_forward(exp, x, arithmetic="exact")["output"]
    with torch.no_grad():
        ref = net.double()(x.double() * _SCALE)
    assert torch.equal(exact, ref)
    # fixed point differs from exact only by requantization rounding of the read-out
    assert torch.allclose(hw["output"], exact, atol=1e-5)


def _hw_and_energy(net: nn.Sequential, x: torch.Tensor) -> tuple[dict, list]:
    exp = export_integer(net, input_scale=_SCALE)
    hw = run_integer_export(exp, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        report = estimate_energy(net, x.float() * _SCALE)
    syn = [r for r in report.layers if r.category == "synaptic"]
    return hw, syn


def test_integration_hw_events_and_energy_agree_on_the_real_first_layer() -> None:
    net = _mlp()
    x = _codes((12,), seed=3)
    hw, syn = _hw_and_energy(net, x)
    assert [r.name for r in syn] == ["0.module", "2.module", "4.module"]
    assert [e["fan_in"] for e in hw["events"]] == [12, 16, 8]
    # spike-energy: real encoding layer, FL_1 MACs once per sample
    assert syn[0].kind == "real"
    assert syn[0].macs == pytest.approx(12 * 16)
    # spike-hw: the input codes are events too (k events per code k), each with fan-out C_out
    assert hw["events"][0]["events"] == int(x.sum())
    for ev, c_out in zip(hw["events"], (16, 8, 5), strict=True):
        assert ev["acs"] == ev["events"] * c_out
    # hw events of the hidden layers are the IE-LIF counts emitted by the previous neuron
    for ev, counts in zip(hw["events"][1:], hw["counts"], strict=True):
        assert ev["events"] == int(counts.sum())


def test_integration_hw_synaptic_events_equal_energy_acs_for_linear_layers() -> None:
    """Definitions agree for Linear layers fed by integer spikes.

    spike-hw: each count ``k`` of input ``j`` is ``k`` binary events, each adds the column
    ``W[:, j]``, so ACs = ``sum(k) * C_out`` over the batch. spike-energy (yao): integer spikes are
    counted by value, ACs = ``dense * in_rate`` = ``C_out * sum(k)`` per sample (spike-energy docs:
    "an I-LIF count of 3 is 3 ACs"; spike-quant's ``mixed_bit_energy`` also counts ``D`` binary
    virtual steps). IE-LIF emits ``k / 4``; its ``1/4`` folds into the next layer
    (``fold_norm_into``), so the AC count is that of ``k``. Convolutions differ at the borders
    (spike-energy averages the rate over the input, spike-hw counts in-range targets), so only
    Linear layers are compared.
    """
    net = _mlp()
    x = _codes((12,), seed=3)
    hw, syn = _hw_and_energy(net, x)
    batch = x.shape[1]
    for rec, ev in zip(syn[1:], hw["events"][1:], strict=True):
        assert rec.kind == "integer"
        assert rec.macs == 0
        assert rec.acs * batch == pytest.approx(ev["acs"])
