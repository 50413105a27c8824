"""spike-convert QANN -> BIF SNN (unit spikes) -> spike-energy ACs; SpikeMonitor vs energy rates."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from spike_convert import convert_cnn, quantize_cnn, s_analog_encode
from spike_core import LIF, SeqToBatch, SpikeMonitor
from spike_energy import estimate_energy


def test_integration_converted_snn_acs_equal_nonzero_spikes_times_fan_out() -> None:
    torch.manual_seed(0)
    ann = nn.Sequential(nn.Linear(10, 12), nn.ReLU(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    calib = torch.rand(16, 10)
    qann = quantize_cnn(ann, levels=4, calibration=calib)
    snn = convert_cnn(qann, unit_spikes=True)
    x = torch.rand(3, 10)
    xs = s_analog_encode(x, 1)  # [T, B, 10] currents

    # the spikes that reach each Linear layer (hooked on the real modules)
    seen: dict[str, torch.Tensor] = {}
    linears = [(n, m) for n, m in snn.named_modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 3
    hooks = [
        m.register_forward_pre_hook(lambda _m, a, n=n: seen.__setitem__(n, a[0].detach().clone()))
        for n, m in linears
    ]
    with torch.no_grad():
        out = snn(xs)
    for h in hooks:
        h.remove()
    # lossless conversion: summed output equals the QANN output
    assert torch.allclose(out.sum(0), qann(x), atol=1e-4)

    report = estimate_energy(snn, xs)
    syn = {r.name: r for r in report.layers if r.category == "synaptic"}
    batch = x.shape[0]
    for n, m in linears[1:]:  # layers after a BIF see unit spikes {-1, 0, +1}
        s = seen[n]
        assert set(s.unique().tolist()) <= {-1.0, 0.0, 1.0}
        assert s.abs().sum() > 0
        expected = int(s.abs().sum()) * m.out_features / batch  # nonzero spikes x fan-out
        rec = next(r for k, r in syn.items() if k == n or k.startswith(n + "."))
        assert rec.kind in ("binary", "integer")
        assert rec.macs == 0
        assert rec.acs == pytest.approx(expected)
    first = next(r for r in syn.values() if r.first)
    assert first.kind == "real"
    assert first.macs > 0


def test_integration_spike_monitor_rates_agree_with_energy_input_rates() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        SeqToBatch(nn.Linear(20, 16)),
        LIF(tau_mem=2.0, v_threshold=0.3),
        SeqToBatch(nn.Linear(16, 12)),
        LIF(tau_mem=2.0, v_threshold=0.3),
        SeqToBatch(nn.Linear(12, 4)),
    )
    x = torch.rand(5, 3, 20)
    with SpikeMonitor(net) as mon, torch.no_grad():
        net(x)
    rates = mon.firing_rates()
    report = estimate_energy(net, x)
    by_name = {r.name: r for r in report.layers}
    # neuron "1" feeds "2.module", neuron "3" feeds "4.module"
    for neuron, consumer in (("1", "2.module"), ("3", "4.module")):
        assert rates[neuron] > 0
        assert by_name[consumer].in_rate == pytest.approx(rates[neuron], rel=1e-6)
        assert by_name[neuron].out_rate == pytest.approx(rates[neuron], rel=1e-6)
