"""Exported PyNN networks: our exact-integration simulator, and agreement with NEST and Brian2."""

import importlib.util
import math
import types

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir")

from spike_hw.pynn_export import PyNNNetwork, nir_to_pynn  # noqa: E402
from spike_hw.pynn_run import run_pynn, simulate_pynn, spike_agreement  # noqa: E402
from spike_hw.reference import simulate_nir  # noqa: E402

DT = 0.1  # ms


def _cuba(n: int, *, tau_syn: float = 5e-3, tau_mem: float = 20e-3) -> "nir.CubaLIF":
    return nir.CubaLIF(
        tau_syn=np.full(n, tau_syn), tau_mem=np.full(n, tau_mem), r=np.full(n, 20.0),
        v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n), w_in=np.ones(n),
    )  # fmt: skip


def _feedforward(seed: int = 0) -> PyNNNetwork:
    rng = np.random.default_rng(seed)
    g = nir.NIRGraph.from_list(
        nir.Affine(weight=rng.normal(0.15, 0.4, (6, 5)), bias=np.zeros(6)),
        _cuba(6),
        nir.Affine(weight=rng.normal(0.2, 0.5, (3, 6)), bias=np.full(3, 0.01)),
        _cuba(3),
    )
    return nir_to_pynn(g, dt=DT * 1e-3)


def _recurrent(seed: int = 1, *, delta: bool = False) -> PyNNNetwork:
    rng = np.random.default_rng(seed)
    n = 8
    w_rec = rng.normal(0.0, 0.4, (n, n))
    np.fill_diagonal(w_rec, 0.0)
    if delta:  # LIF -> IF_curr_delta: weights are voltage jumps (mV)
        cell = nir.LIF(
            tau=np.full(n, 20e-3), r=np.full(n, 20.0), v_leak=np.zeros(n),
            v_threshold=np.ones(n), v_reset=np.zeros(n),
        )  # fmt: skip
    else:
        cell = _cuba(n)
    nodes = {
        "input": nir.Input(input_type=np.array([5])),
        "w_in": nir.Linear(weight=rng.normal(0.2, 0.3, (n, 5))),
        "rec": cell,
        "w_rec": nir.Linear(weight=w_rec),
        "output": nir.Output(output_type=np.array([n])),
    }
    edges = [("input", "w_in"), ("w_in", "rec"), ("rec", "w_rec"), ("w_rec", "rec"), ("rec", "output")]  # fmt: skip
    return nir_to_pynn(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), dt=DT * 1e-3)


def _inputs(n: int, t_stop: float, rate_hz: float, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    steps = round(t_stop / DT)
    return [
        np.round((np.nonzero(rng.random(steps) < rate_hz * DT * 1e-3)[0] + 1) * DT, 6).tolist()
        for _ in range(n)
    ]


def test_constant_current_matches_closed_form() -> None:
    # one neuron, i_offset only: v(t) = R I (1 - e^{-t/tau}); first crossing of v_thresh
    net = PyNNNetwork(dt_ms=DT)
    params = {"tau_m": 10.0, "cm": 0.5, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1.0,
              "tau_refrac": DT, "i_offset": 0.15}  # fmt: skip
    net.populations = [
        {"label": "n", "size": 1, "cell": "IF_curr_delta", "params": params, "record": []}
    ]
    out = simulate_pynn(net, {}, 50.0)["n"][0]
    r_mohm = params["tau_m"] / params["cm"]
    t_cross = -params["tau_m"] * math.log(1 - params["v_thresh"] / (r_mohm * 0.15))
    assert out[0] == pytest.approx(math.ceil(t_cross / DT) * DT)
    # after a reset plus one refractory step the same charging repeats
    isi = np.diff(out)
    assert np.allclose(isi, isi[0])
    assert isi[0] == pytest.approx(out[0] + DT)


def test_delta_and_exp_synapse_kernels() -> None:
    # one input spike at 1.0 ms, delay one dt: arrives at 1.1 ms
    for cell, extra in (("IF_curr_delta", {}), ("IF_curr_exp", {"tau_syn_E": 2.0, "tau_syn_I": 2.0})):  # fmt: skip
        net = PyNNNetwork(dt_ms=DT)
        params = {"tau_m": 10.0, "cm": 1.0, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 0.5,
                  "tau_refrac": DT, "i_offset": 0.0, **extra}  # fmt: skip
        net.populations = [
            {"label": "in", "size": 1, "cell": "SpikeSourceArray", "params": {}, "record": []},
            {"label": "n", "size": 1, "cell": cell, "params": params, "record": []},
        ]
        net.projections = [
            {"pre": "in", "post": "n", "receptor_type": "excitatory",
             "connections": [(0, 0, 0.6, DT)], "connector": "FromListConnector",
             "synapse": {"type": "StaticSynapse"}},
        ]  # fmt: skip
        out = simulate_pynn(net, {"in": [[1.0]]}, 20.0)
        assert out["in"][0].tolist() == [1.0]
        if cell == "IF_curr_delta":  # jump of 0.6 mV > 0.5 at the arrival step
            assert out["n"][0] == pytest.approx([1.1])
        else:  # PSP peaks at tau_m tau_s / (tau_m - tau_s) ln(tau_m / tau_s) after arrival
            # peak = 0.6 nA * tau_s tau_m / (cm (tau_m - tau_s)) (x^a - x^b) ~ 0.80 mV > 0.5
            assert out["n"][0].size == 1
            assert 1.2 <= out["n"][0][0] < 1.1 + 4.03


def test_errors() -> None:
    net = _feedforward()
    with pytest.raises(ValueError, match="spike_times"):
        simulate_pynn(net, {"cubalif": [[1.0]] * 6}, 10.0)
    with pytest.raises(ValueError, match="multiple of dt"):
        simulate_pynn(net, {"input": [[1.05]] + [[]] * 4}, 10.0)
    with pytest.raises(ValueError, match="5 trains"):
        simulate_pynn(net, {"input": [[1.0]]}, 10.0)
    with pytest.raises(ValueError, match="t_stop"):
        simulate_pynn(net, {}, -1.0)
    with pytest.raises(TypeError, match="PyNNNetwork"):
        simulate_pynn({"populations": []}, {}, 10.0)  # type: ignore[arg-type]
    pos = nir_to_pynn(
        nir.NIRGraph.from_list(nir.Affine(weight=np.array([[-1.0]]), bias=np.zeros(1)), _cuba(1)),
        inhibitory_sign="positive",
    )
    with pytest.raises(ValueError, match="inhibitory"):
        simulate_pynn(pos, {}, 1.0)
    with pytest.raises(ValueError, match="tolerance"):
        spike_agreement({}, {}, tolerance=-1.0)
    nest_like = types.SimpleNamespace(__name__="pyNN.nest")  # checked before anything is built
    with pytest.raises(ValueError, match="after one dt"):
        run_pynn(net, nest_like, {"input": [[DT]] + [[]] * 4}, 10.0)


def test_spike_agreement_counts() -> None:
    a = {"p": [np.array([1.0, 2.0, 3.0]), np.array([5.0])]}
    b = {"p": [np.array([1.1, 2.0, 3.3]), np.array([])]}
    r = spike_agreement(a, b, tolerance=0.1)
    assert (r["n_reference"], r["n_other"], r["matched"]) == (4, 3, 2)
    assert r["fraction"] == pytest.approx(0.5)
    assert spike_agreement(a, a, tolerance=0.0)["count_correlation"] == 1.0
    with pytest.raises(ValueError, match="differs"):
        spike_agreement(a, {"p": [np.array([])]}, tolerance=0.1)


NETWORKS = [
    ("feed-forward CubaLIF 5-6-3", _feedforward),
    ("recurrent CubaLIF 8", _recurrent),
    ("recurrent LIF (delta) 8", lambda: _recurrent(delta=True)),
]


def _nest() -> object:
    if importlib.util.find_spec("nest") is None or importlib.util.find_spec("pyNN") is None:
        pytest.skip("nest-simulator / pyNN not installed (spike-hw[pynn])")
    import pyNN.nest as sim  # installed: an import failure is a test failure, not a skip

    return sim


@pytest.mark.slow
@pytest.mark.parametrize(("name", "make"), NETWORKS)
def test_nest_spike_agreement(name: str, make: object) -> None:
    sim = _nest()
    net = make()  # type: ignore[operator]
    t_stop = 200.0
    inputs = {"input": _inputs(5, t_stop, rate_hz=100.0, seed=3)}
    ours = simulate_pynn(net, inputs, t_stop)
    theirs = run_pynn(net, sim, inputs, t_stop)
    within = spike_agreement(ours, theirs, tolerance=DT)
    exact = spike_agreement(ours, theirs, tolerance=0.0)
    print(
        f"\n{name}: NEST {within['n_other']:.0f} spikes, ours {within['n_reference']:.0f}; "
        f"identical times {exact['fraction']:.3f}, within one dt {within['fraction']:.3f}, "
        f"spike-count correlation {within['count_correlation']:.4f}"
    )
    assert within["n_reference"] > 50  # the network is active
    assert within["fraction"] >= 0.95
    assert within["count_correlation"] >= 0.99


def test_brian2_grid_semantics() -> None:
    # constant drive: NEST holds v for tau_refrac / dt steps, Brian2 for one step fewer, and
    # Brian2 stamps a spike at the start of the step whose update crossed the threshold
    net = PyNNNetwork(dt_ms=DT)
    params = {"tau_m": 10.0, "cm": 0.5, "v_rest": 0.0, "v_reset": 0.0, "v_thresh": 1.0,
              "tau_refrac": 3 * DT, "i_offset": 0.15}  # fmt: skip
    net.populations = [
        {"label": "n", "size": 1, "cell": "IF_curr_exp", "params": {**params, "tau_syn_E": 1.0,
         "tau_syn_I": 1.0}, "record": []},
    ]  # fmt: skip
    nest_t = simulate_pynn(net, {}, 30.0)["n"][0]
    b2_t = simulate_pynn(net, {}, 30.0, grid="brian2")["n"][0]
    assert b2_t[0] == pytest.approx(nest_t[0] - DT)
    assert np.diff(nest_t)[0] == pytest.approx(np.diff(b2_t)[0] + DT)
    # a delta input of 0.6 mV at 1.0 ms + one dt delay: NEST fires at the arrival step (1.1);
    # Brian2 adds the jump after that step's threshold test, decays it one step and fires at 1.2
    params["v_thresh"], params["i_offset"] = 0.5, 0.0
    net.populations = [
        {"label": "in", "size": 1, "cell": "SpikeSourceArray", "params": {}, "record": []},
        {"label": "n", "size": 1, "cell": "IF_curr_delta", "params": params, "record": []},
    ]
    net.projections = [
        {"pre": "in", "post": "n", "receptor_type": "excitatory",
         "connections": [(0, 0, 0.6, DT)], "connector": "FromListConnector",
         "synapse": {"type": "StaticSynapse"}},
    ]  # fmt: skip
    assert simulate_pynn(net, {"in": [[1.0]]}, 5.0)["n"][0] == pytest.approx([1.1])
    assert simulate_pynn(net, {"in": [[1.0]]}, 5.0, grid="brian2")["n"][0] == pytest.approx([1.2])
    net.projections[0]["connections"] = [(0, 0, 0.5 * math.exp(DT / 10.0) * 0.999, DT)]
    # a jump just above threshold fires on NEST's grid, but not after Brian2's one-step decay
    assert simulate_pynn(net, {"in": [[1.0]]}, 5.0)["n"][0].size == 1
    assert simulate_pynn(net, {"in": [[1.0]]}, 5.0, grid="brian2")["n"][0].size == 0
    with pytest.raises(ValueError, match="grid"):
        simulate_pynn(net, {}, 5.0, grid="loihi")


def _brian2() -> object:
    if importlib.util.find_spec("brian2") is None or importlib.util.find_spec("pyNN") is None:
        pytest.skip("brian2 / pyNN not installed (spike-hw[pynn])")
    import pyNN.brian2 as sim  # installed: an import failure is a test failure, not a skip

    return sim


@pytest.mark.slow
@pytest.mark.parametrize(("name", "make"), NETWORKS)
def test_brian2_spike_agreement(name: str, make: object) -> None:
    sim = _brian2()
    net = make()  # type: ignore[operator]
    t_stop = 200.0
    inputs = {"input": _inputs(5, t_stop, rate_hz=100.0, seed=3)}
    theirs = run_pynn(net, sim, inputs, t_stop)
    ours = simulate_pynn(net, inputs, t_stop, grid="brian2")
    exact = spike_agreement(ours, theirs, tolerance=0.0)
    nest_grid = spike_agreement(simulate_pynn(net, inputs, t_stop), theirs, tolerance=DT)
    print(
        f"\n{name}: Brian2 {exact['n_other']:.0f} spikes, ours (Brian2 grid) "
        f"{exact['n_reference']:.0f}; identical times {exact['fraction']:.3f}, spike-count "
        f"correlation {exact['count_correlation']:.4f}; ours on NEST's grid "
        f"{nest_grid['n_reference']:.0f} spikes, within one dt {nest_grid['fraction']:.3f}, "
        f"count correlation {nest_grid['count_correlation']:.4f}"
    )
    assert exact["n_reference"] > 50  # the network is active
    assert exact["fraction"] >= 0.99
    assert exact["count_correlation"] >= 0.999
    assert nest_grid["count_correlation"] >= 0.95  # same network, different refractory timing


def test_nir_reference_vs_pynn_semantics() -> None:
    # The same NIR graph on spike-hw's NIR reference (scheme="exact") and as its PyNN export on
    # simulate_pynn. The semantics differ (NIR: Euler synapse, input acts in the same step, strict
    # threshold, no refractory step or delay; PyNN: exact synapse, one-dt delay and refractory
    # step), so spike times differ; with current_scale = dt / tau_syn (a NIR input spike moves I
    # by w dt / tau_syn) the firing rates agree, with the default current_scale = 1 they do not.
    rng = np.random.default_rng(0)
    steps, n_in, n, tau_syn = 2000, 5, 6, 5e-3
    g = nir.NIRGraph.from_list(
        nir.Affine(weight=rng.normal(0.15, 0.4, (n, n_in)) * 50, bias=np.zeros(n)), _cuba(n)
    )
    x = (rng.random((steps, 1, n_in)) < 100.0 * DT * 1e-3).astype(np.float64)
    z = simulate_nir(g, torch.tensor(x), dt=DT * 1e-3, scheme="exact")["spikes"]["cubalif"]
    nir_trains = {"cubalif": [(np.nonzero(z[:, 0, j].numpy())[0] + 1) * DT for j in range(n)]}
    inputs = {"input": [np.round((np.nonzero(x[:, 0, i])[0] + 1) * DT, 6).tolist() for i in range(n_in)]}  # fmt: skip
    figures = {}
    for scale in (1.0, DT * 1e-3 / tau_syn):
        net = nir_to_pynn(g, dt=DT * 1e-3, current_scale=scale)
        ours = simulate_pynn(net, inputs, steps * DT + DT)
        ours = {"cubalif": [t - DT for t in ours["cubalif"]]}  # remove the projection delay
        figures[scale] = spike_agreement(nir_trains, ours, tolerance=DT)
    matched = figures[DT * 1e-3 / tau_syn]
    print(f"\nNIR reference vs PyNN semantics: {figures}")
    assert abs(matched["n_other"] - matched["n_reference"]) <= 0.1 * matched["n_reference"]
    assert matched["count_correlation"] > 0.99
    assert figures[1.0]["n_other"] > 5 * figures[1.0]["n_reference"]  # default scale: far off
