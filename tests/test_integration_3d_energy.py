"""spike-3d sparse E-3DSNN -> spike-energy rulebook counts and spike-core SpikeMonitor rates."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

import spike_core
from spike_3d import SubMConv3d
from spike_energy import estimate_energy


def _independent_subm_acs(x, kernel_size: tuple[int, int, int], c_out: int) -> float:
    """Sum over submanifold pairs (q, q + k both active) of |S_{q+k}| times C_out."""
    coords = [tuple(c) for c in x.coords.tolist()]
    index = {c: i for i, c in enumerate(coords)}
    per_site = x.features.abs().sum(dim=(0, 2))  # over T and C_in: [N]
    radius = [k // 2 for k in kernel_size]
    total = 0.0
    for b, cx, cy, cz in coords:
        for dx, dy, dz in itertools.product(*(range(-r, r + 1) for r in radius)):
            j = index.get((b, cx + dx, cy + dy, cz + dz))
            if j is not None:
                total += float(per_site[j])
    return total * c_out


def test_integration_e3dsnn_sparse_conv_acs_match_an_independent_pair_count() -> None:
    torch.manual_seed(0)
    model = spike_core.create_model(
        "e3dsnn-t", embed_channels=8, channels=(8, 8, 8, 8), depths=(1, 1, 1, 1)
    )
    x = model.example_input()
    # BatchNorm statistics of this input (a fresh model is otherwise silent in eval)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    with torch.no_grad():
        model(x)
    model.eval()

    inputs: dict[str, tuple] = {}
    hooks = [
        m.register_forward_pre_hook(lambda _m, a, n=n: inputs.setdefault(n, a[0]))
        for n, m in model.named_modules()
        if isinstance(m, SubMConv3d)
    ]
    with spike_core.SpikeMonitor(model) as mon, torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    rates = mon.firing_rates()
    report = estimate_energy(model, x)
    rows = {r.name: r for r in report.layers}

    checked = 0
    for name, sx in inputs.items():
        rec = rows[name]
        mod = model.get_submodule(name)
        if rec.first:
            assert rec.kind == "real"
            assert rec.macs > 0
            continue
        if rec.kind == "real":  # e.g. a head after averaging: dense MACs, no ACs
            assert rec.acs == 0
            assert rec.macs > 0
            continue
        assert rec.kind in ("binary", "integer")
        assert rec.macs == 0
        expected = _independent_subm_acs(sx, mod.kernel_size, mod.out_channels) / x.batch_size
        assert rec.acs == pytest.approx(expected, rel=1e-6), name
        checked += bool(expected > 0)
    assert checked >= 3  # several spike-fed layers really did work
    # neuron rows report the same firing rates as SpikeMonitor
    for name, rate in rates.items():
        assert rows[name].out_rate == pytest.approx(rate, rel=1e-6), name
