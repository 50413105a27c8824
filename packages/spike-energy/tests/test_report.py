import csv
import io
import json

import pytest
import torch
from torch import nn

from spike_core import LIF, SeqToBatch
from spike_energy import (
    HardwareProfile,
    MemoryModel,
    activation_sparsity,
    connection_sparsity,
    energy,
    energy_ann,
    estimate_energy,
    get_profile,
    list_profiles,
    register_profile,
    to_mj,
)


def _report(**kw):
    torch.manual_seed(0)
    net = nn.Sequential(SeqToBatch(nn.Linear(6, 8)), LIF(tau_mem=2.0), SeqToBatch(nn.Linear(8, 3)))
    return estimate_energy(net, torch.rand(4, 2, 6) * 4, **kw)


def test_profiles() -> None:
    assert {"45nm", "45nm-fp16", "45nm-int32", "45nm-int8"} <= set(list_profiles())
    p = get_profile("45nm")
    assert p.e_mac == pytest.approx(4.6e-12)
    assert p.e_ac == pytest.approx(0.9e-12)
    with pytest.raises(ValueError, match="unknown hardware profile 'x'"):
        get_profile("x")
    with pytest.raises(ValueError, match="e_ac"):
        HardwareProfile(name="bad", e_mac=1.0, e_ac=-1.0)
    mine = register_profile(HardwareProfile(name="test-chip", e_mac=2e-12, e_ac=1e-13))
    with pytest.raises(ValueError, match="already registered"):
        register_profile(mine)
    r = _report(profile="test-chip")
    assert r.energy == pytest.approx(2e-12 * r.macs + 1e-13 * r.acs)
    r45 = r.with_profile("45nm")
    assert r45.energy == pytest.approx(energy(r))
    assert r45.energy_ann == pytest.approx(energy_ann(r)) == pytest.approx(4.6e-12 * r.fl)
    assert to_mj(1.0) == 1000.0


def test_energy_matches_yao_formula() -> None:
    r = _report()
    fc1, _lif, fc2 = r.layers
    expected = 4.6e-12 * fc1.fl + 0.9e-12 * r.T * fc2.in_rate * fc2.fl
    assert r.energy == pytest.approx(expected, rel=1e-9)
    assert r.energy_ann == pytest.approx(4.6e-12 * (fc1.fl + fc2.fl))


def test_table_dict_json_csv(tmp_path) -> None:
    r = _report()
    text = str(r)
    for token in ("0.module", "2.module", "LIF", "E_SNN", "E_ANN", "total", "T=4"):
        assert token in text
    d = r.to_dict()
    assert d["totals"]["acs"] == r.acs
    assert d["T"] == 4
    assert len(d["layers"]) == 3
    js = r.to_json(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == json.loads(js)
    c = r.to_csv(tmp_path / "sub" / "r.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "sub" / "r.csv").read_text())))
    assert c == (tmp_path / "sub" / "r.csv").read_text()
    assert [row["name"] for row in rows] == ["0.module", "1", "2.module"]
    assert float(rows[0]["energy_j"]) == pytest.approx(r.layer_energy(r.layers[0]))
    assert not list(tmp_path.glob("**/*.tmp"))


@pytest.mark.slow
def test_plot_writes_png(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    r = _report()
    fig = r.plot(tmp_path / "bars.png")
    assert (tmp_path / "bars.png").read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes[0].patches) == 2 * 2  # two synaptic layers, SNN and ANN bars


def test_memory_model_by_hand() -> None:
    mem = MemoryModel(b_w=8, b_v=16, b_addr=10)
    assert mem.energy_per_bit(100) == pytest.approx(10e-12 / 64)
    assert mem.energy_per_bit(10_000) == pytest.approx(20e-12 / 64)
    assert mem.energy_per_bit(2 * 1024 * 1024) == pytest.approx(1.3e-9 / 64)
    r = _report(memory=mem)
    fc1, lif, fc2 = r.layers
    e = 0.0
    for rec in (fc1, fc2):
        e += (rec.acs + rec.macs) * 8 * 10e-12 / 64  # small layers: 8 KB class
    e += lif.neuron_updates * 2 * 16 * 10e-12 / 64 + lif.spikes_out * 10 * 10e-12 / 64
    assert r.memory_energy == pytest.approx(e)
    assert r.total_energy == pytest.approx(r.energy + e)
    assert "memory energy" in str(r)
    with pytest.raises(ValueError, match="b_w"):
        MemoryModel(b_w=0)


def test_neurobench_sparsities() -> None:
    r = _report()
    lif = r.layers[1]
    assert activation_sparsity(r) == pytest.approx(1 - lif.out_rate)
    lin = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
    assert connection_sparsity(lin) == 0.75
    ann = estimate_energy(nn.Linear(2, 2), torch.rand(1, 2))
    with pytest.raises(ValueError, match="no spiking-neuron layers"):
        activation_sparsity(ann)
