"""PyNN export structure (spec check 12) on a recording fake simulator."""

import numpy as np
import pytest

nir = pytest.importorskip("nir")

from spike_hw import UnsupportedNodeError  # noqa: E402
from spike_hw.pynn_export import FakeSim, build_pynn, nir_to_pynn, nir_to_pynn_script  # noqa: E402


def _cuba(n: int) -> "nir.CubaLIF":
    return nir.CubaLIF(
        tau_syn=np.full(n, 5e-4), tau_mem=np.full(n, 1e-3), r=np.full(n, 10.0), v_leak=np.zeros(n),
        v_threshold=np.ones(n), v_reset=np.zeros(n), w_in=np.full(n, 5.0),
    )  # fmt: skip


def _graph() -> "nir.NIRGraph":
    W1 = np.array([[0.5, -0.2, 0.0], [0.0, 0.3, -0.4]])
    return nir.NIRGraph.from_list(
        nir.Affine(weight=W1, bias=np.zeros(2)),
        _cuba(2),
        nir.Affine(weight=np.array([[1.0, -1.0]]), bias=np.full(1, 0.1)),
        _cuba(1),
    )


def test_two_layer_structure_check12() -> None:
    net = nir_to_pynn(_graph(), dt=1e-4)
    assert [(p["size"], p["cell"]) for p in net.populations] == [
        (3, "SpikeSourceArray"),
        (2, "IF_curr_exp"),
        (1, "IF_curr_exp"),
    ]
    hidden = net.populations[1]["params"]
    assert hidden["tau_m"] == pytest.approx(1.0)  # 1e-3 s -> 1 ms
    assert hidden["tau_syn_E"] == pytest.approx(0.5)
    assert hidden["cm"] == pytest.approx(1.0 / 10.0)  # tau_m / R
    assert net.populations[2]["params"]["i_offset"] == pytest.approx(0.1)
    first = [p for p in net.projections if p["pre"] == "input"]
    exc = {
        (i, j): w
        for i, j, w, _ in next(p for p in first if p["receptor_type"] == "excitatory")[
            "connections"
        ]
    }
    inh = {
        (i, j): w
        for i, j, w, _ in next(p for p in first if p["receptor_type"] == "inhibitory")[
            "connections"
        ]
    }
    assert exc == {(0, 0): 0.5, (1, 1): 0.3}
    assert inh == {(1, 0): -0.2, (2, 1): -0.4}
    assert all(d == pytest.approx(0.1) for p in net.projections for *_, d in p["connections"])


def test_positive_inhibitory_convention_and_fake_sim() -> None:
    net = nir_to_pynn(_graph(), inhibitory_sign="positive", current_scale=2.0)
    inh = [
        c for p in net.projections if p["receptor_type"] == "inhibitory" for c in p["connections"]
    ]
    assert all(w > 0 for _, _, w, _ in inh)
    assert sorted(w for *_, w, _ in inh) == pytest.approx([0.4, 0.8, 2.0])
    sim = FakeSim()
    build_pynn(net, sim)
    assert sim.calls[0] == ("setup", {"timestep": 0.1, "min_delay": 0.1})
    assert [p["size"] for p in sim.populations] == [3, 2, 1]
    assert sim.populations[2]["recorded"] == ["spikes", "v"]
    assert len(sim.projections) == 4
    assert {p["receptor_type"] for p in sim.projections} == {"excitatory", "inhibitory"}


def test_recurrent_and_lif_if_cells() -> None:
    nodes = {
        "input": nir.Input(input_type=np.array([2])),
        "w_in": nir.Linear(weight=np.eye(2)),
        "lif": nir.LIF(
            tau=np.full(2, 1e-3),
            r=np.full(2, 10.0),
            v_leak=np.zeros(2),
            v_threshold=np.ones(2),
            v_reset=np.zeros(2),
        ),
        "w_rec": nir.Linear(weight=np.array([[0.0, 0.5], [0.5, 0.0]])),
        "if": nir.IF(r=np.full(2, 1e4), v_threshold=np.ones(2), v_reset=np.zeros(2)),
        "output": nir.Output(output_type=np.array([2])),
    }
    edges = [
        ("input", "w_in"),
        ("w_in", "lif"),
        ("lif", "w_rec"),
        ("w_rec", "lif"),
        ("lif", "if"),
        ("if", "output"),
    ]
    net = nir_to_pynn(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    cells = {p["label"]: p["cell"] for p in net.populations}
    assert cells == {"input": "SpikeSourceArray", "lif": "IF_curr_delta", "if": "IF_curr_delta"}
    assert any(p["pre"] == "lif" and p["post"] == "lif" for p in net.projections)
    assert any("IF" in w for w in net.warnings)


def test_unsupported_and_script() -> None:
    g = nir.NIRGraph.from_list(
        nir.Conv2d(
            input_shape=(4, 4),
            weight=np.ones((1, 1, 3, 3)),
            stride=1,
            padding=1,
            dilation=1,
            groups=1,
            bias=np.zeros(1),
        ),
        nir.IF(
            r=np.full((1, 4, 4), 1e4), v_threshold=np.ones((1, 4, 4)), v_reset=np.zeros((1, 4, 4))
        ),
    )
    with pytest.raises(UnsupportedNodeError, match="Conv2d"):
        nir_to_pynn(g)
    with pytest.raises(ValueError, match="inhibitory_sign"):
        nir_to_pynn(_graph(), inhibitory_sign="both")
    text = nir_to_pynn_script(_graph(), backend="brian2")
    compile(text, "exported.py", "exec")
    assert "import pyNN.brian2 as sim" in text


def test_builds_on_pynn_mock_backend() -> None:
    sim = pytest.importorskip("pyNN.mock")
    out = build_pynn(nir_to_pynn(_graph(), dt=1e-4), sim)
    pops = out["populations"]
    assert pops["input"].size == 3
    assert pops["cubalif"].size == 2
    assert len(out["projections"]) == 4
    weights = sorted(
        float(w) for p in out["projections"] for *_, w in p.get("weight", format="list")
    )
    assert weights == pytest.approx(sorted([0.5, 0.3, -0.2, -0.4, 1.0, -1.0]))
