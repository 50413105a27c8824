"""Fixed-point backend: spec checks 9-11 and bit-exactness against spike-quant."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

nir = pytest.importorskip("nir")

from spike_core import SeqToBatch  # noqa: E402
from spike_hw import (  # noqa: E402
    FixedPointSimulator,
    FloatReference,
    run_integer_export,
    simulate_fixed_point,
    simulate_nir,
)
from spike_quant import IELIF, MultiSpike, export_integer, integer_forward, quantize  # noqa: E402


def _lif_graph(n_in: int, n: int, seed: int) -> "nir.NIRGraph":
    g = torch.Generator().manual_seed(seed)
    W = torch.randint(-16, 17, (n, n_in), generator=g).double() / 16  # exactly representable
    return nir.NIRGraph.from_list(
        nir.Linear(weight=W.numpy()),
        nir.LIF(
            tau=np.full(n, 16e-4),
            r=np.full(n, 16.0),
            v_leak=np.zeros(n),
            v_threshold=np.ones(n),
            v_reset=np.zeros(n),
        ),
    )


def test_fixed_equals_float_over_1000_steps_check9() -> None:
    g = _lif_graph(6, 5, 0)  # dt / tau = 1/16
    x = (torch.rand(1000, 2, 6, generator=torch.Generator().manual_seed(1)) < 0.3).double()
    ref = simulate_nir(g, x)["outputs"]["output"]
    assert ref.sum() > 100
    # identical rasters with 24 fractional membrane bits (floor) or 12 bits rounding to even
    assert torch.equal(simulate_fixed_point(g, x, frac_bits=24)["outputs"]["output"], ref)
    assert torch.equal(
        simulate_fixed_point(g, x, rounding="nearest_even")["outputs"]["output"], ref
    )
    # defaults (Q.12, floor): the leak's truncation drifts the membrane by < 2^-8; agreement
    fx = simulate_fixed_point(g, x)["outputs"]["output"]
    assert float((fx == ref).double().mean()) >= 0.999


def test_cuba_and_if_graph_fixed_vs_float() -> None:
    W = np.array([[0.5, -0.25], [0.75, 0.5]])
    g = nir.NIRGraph.from_list(
        nir.Linear(weight=W),
        nir.CubaLIF(
            tau_syn=np.full(2, 2e-4),
            tau_mem=np.full(2, 8e-4),
            r=np.ones(2) * 4,
            v_leak=np.zeros(2),
            v_threshold=np.full(2, 0.5),
            v_reset=np.zeros(2),
            w_in=np.full(2, 2.0),
        ),
        nir.Linear(weight=np.array([[1.0, 1.0]])),
        nir.IF(r=np.array([1e4 / 2]), v_threshold=np.array([1.0]), v_reset=np.zeros(1)),
    )
    x = (torch.rand(300, 2, 2, generator=torch.Generator().manual_seed(2)) < 0.4).double()
    ref = simulate_nir(g, x)["outputs"]["output"]
    fx = simulate_fixed_point(g, x, frac_bits=24)["outputs"]["output"]
    assert ref.sum() > 10
    assert torch.equal(fx, ref)


def test_event_counts_check10() -> None:
    g = _lif_graph(6, 5, 3)
    sim = FixedPointSimulator(g, dt=1e-4)
    res = sim.run(torch.zeros(20, 2, 6))
    assert res["counters"]["linear"]["acs"] == 0
    x = (torch.rand(20, 2, 6, generator=torch.Generator().manual_seed(4)) < 0.5).double()
    res = sim.run(x)
    assert res["counters"]["linear"]["acs"] == int(x.sum()) * 5  # fan-out 5 per input spike
    assert res["counters"]["linear"]["macs"] == 0
    assert res["counters"]["lif"]["spikes_out"] == int(res["spikes"]["lif"].sum())
    # real-valued input: dense MACs
    res = sim.run(torch.rand(3, 2, 6) * 0.3 + 0.01)
    assert res["counters"]["linear"]["macs"] == 3 * 2 * 30
    assert res["counters"]["linear"]["acs"] == 0


def test_step_loop_is_integer_only_check10(monkeypatch) -> None:
    g = _lif_graph(4, 3, 5)
    sim = FixedPointSimulator(g, dt=1e-4)
    seen = []
    orig = FixedPointSimulator.node_step

    def spy(self, name, node, x, state):
        seen.append(x.t.dtype)
        out = orig(self, name, node, x, state)
        seen.append(out.dtype if isinstance(out, torch.Tensor) else out.t.dtype)
        seen.extend(v.dtype for v in state.values())
        return out

    monkeypatch.setattr(FixedPointSimulator, "node_step", spy)
    sim.run((torch.rand(5, 1, 4) < 0.5).double())
    assert seen
    assert set(seen) == {torch.int64}


def test_recurrent_edge_delays_one_step_check11() -> None:
    nodes = {
        "input": nir.Input(input_type=np.array([1])),
        "lif": nir.IF(r=np.array([1e4]), v_threshold=np.array([0.5]), v_reset=np.zeros(1)),
        "w_rec": nir.Linear(weight=np.array([[1.0]])),
        "output": nir.Output(output_type=np.array([1])),
    }
    edges = [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")]
    g = nir.NIRGraph(nodes=nodes, edges=edges)
    x = torch.zeros(5, 1, 1)
    x[0] = 1.0  # one input spike at t = 0
    # t0: input -> spike; t1: own spike arrives -> spike; ... self-sustained, one step apart
    for res in (simulate_nir(g, x), simulate_fixed_point(g, x)):
        assert res["outputs"]["output"].flatten().tolist() == [1.0, 1.0, 1.0, 1.0, 1.0]
    with torch.no_grad():
        nodes["w_rec"] = nir.Linear(weight=np.array([[0.0]]))
    g0 = nir.NIRGraph(nodes=nodes, edges=edges)
    assert simulate_fixed_point(g0, x)["outputs"]["output"].flatten().tolist() == [1.0, 0, 0, 0, 0]
    # a delayed input at t means the reference sees it at t + 1 only
    sch = FloatReference(g, dt=1e-4).schedule
    assert ("w_rec", True) in sch.preds["lif"]


def test_weight_quantization_and_saturation() -> None:
    g = nir.NIRGraph.from_list(
        nir.Linear(weight=np.array([[1.3, -0.2]])),
        nir.IF(r=np.array([1e4]), v_threshold=np.array([10.0]), v_reset=np.zeros(1)),
    )
    sim = FixedPointSimulator(g, weight_bits=4)
    assert sim._params["linear"]["F_w"] == 2  # 1.3 * 4 = 5.2 -> 5 <= 7
    sat = FixedPointSimulator(g, weight_bits=4, weight_frac_bits=3)  # 1.3 * 8 = 10 > 7
    assert sat.counters()["linear"]["saturations"] == 1
    with pytest.raises(ValueError, match="rounding"):
        FixedPointSimulator(g, rounding="up")
    with pytest.raises(ValueError, match="frac_bits"):
        FixedPointSimulator(g, frac_bits=2)


def _qnet(seed: int, conv: bool) -> nn.Module:
    torch.manual_seed(seed)
    if conv:
        layers = [
            SeqToBatch(nn.Conv2d(1, 3, 3, padding=1, stride=2)),
            SeqToBatch(nn.BatchNorm2d(3)),
            IELIF(),
            SeqToBatch(nn.Conv2d(3, 4, 3, groups=1)),
            MultiSpike(),
            SeqToBatch(nn.Flatten()),
            nn.Linear(4, 3),
        ]
    else:
        layers = [nn.Linear(6, 8), IELIF(), nn.Linear(8, 5), MultiSpike(), nn.Linear(5, 3)]
    net = quantize(nn.Sequential(*layers), bits=4).eval()
    if conv:
        bn = net[1].module
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
    return net


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    conv=st.booleans(),
    frac=st.sampled_from([12, 16, 24]),
    t=st.integers(1, 3),
)
def test_bit_exact_with_spike_quant_integer_forward(
    seed: int, conv: bool, frac: int, t: int
) -> None:
    net = _qnet(seed, conv)
    g = torch.Generator().manual_seed(seed)
    shape = (t, 2, 1, 6, 6) if conv else (t, 2, 6)
    x = torch.randint(0, 17, shape, generator=g)
    exp = export_integer(net, input_scale=1 / 16)
    ref = integer_forward(exp, x, arithmetic="fixed", frac_bits=frac)
    hw = run_integer_export(exp, x, frac_bits=frac)
    assert torch.equal(hw["output"], ref["output"])
    for a, b in zip(hw["counts"], ref["counts"], strict=True):
        assert torch.equal(a, b)
    for a, b in zip(hw["accumulators"], ref["accumulators"], strict=True):
        assert torch.equal(a, b)
    # events: every integer count k is k binary events, each reaching its fan-out
    first = hw["events"][0]
    assert first["events"] == int(x.sum())
    if not conv:
        assert hw["events"][1]["acs"] == int(hw["counts"][0].sum()) * 5


def test_run_integer_export_errors() -> None:
    exp = export_integer(_qnet(0, False))
    with pytest.raises(ValueError, match="export must be"):
        run_integer_export({}, torch.zeros(1, 1, 6))
    with pytest.raises(ValueError, match="integer codes"):
        run_integer_export(exp, torch.full((1, 1, 6), 0.5))
    with pytest.raises(ValueError, match="frac_bits"):
        run_integer_export(exp, torch.zeros(1, 1, 6), frac_bits=4)
