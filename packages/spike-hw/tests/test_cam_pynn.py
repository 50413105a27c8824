"""The CAM's PyNN form simulated on NEST and Brian2 (spec §4.6 through PyNN), and delay retiming."""

import importlib.util
import types

import pytest

from spike_hw.cam import cam_to_pynn, functional_protocol, retime_for_grid, run_experiment_pynn
from spike_hw.cam._pynn_run import _memory_segments, _preload
from spike_hw.pynn_export import PyNNNetwork


def _delays(net: PyNNNetwork) -> dict[tuple[str, str, str], float]:
    return {
        (p["pre"], p["post"], p["receptor_type"]): p["connections"][0][3] for p in net.projections
    }


def test_retime_for_grid_keeps_every_path_aligned() -> None:
    net = cam_to_pynn(inhibitory_sign="negative")
    before = _delays(net)
    lag = retime_for_grid(net)
    after = _delays(net)
    assert lag == {
        "IN": 0, "CueCue": 1, "ContCue": 2, "ContCondInt": 3, "ContCond": 4, "ContCont": 5,
        "CueCont": 6, "MergeCue": 7, "MergeCont": 6, "OUT": 8,
    }  # fmt: skip
    for (pre, post, rec), d in before.items():
        # a grid hop takes delay + 1 step: d' + 1 = d + L(post) - L(pre)
        assert after[(pre, post, rec)] + 1 == d + lag[post] - lag[pre]
        assert after[(pre, post, rec)] >= 1.0
    # the ContCond gate: CueCue's inhibition (delay 2) meets ContCue's excitation, which came
    # through IN -> CueCue -> ContCue in the same-step semantics; on the grid they stay aligned
    inh = after[("CueCue", "ContCond", "inhibitory")] + 1 + lag["CueCue"]
    exc = after[("ContCue", "ContCond", "excitatory")] + 1 + lag["ContCue"]
    assert inh - exc == before[("CueCue", "ContCond", "inhibitory")] - before[("ContCue", "ContCond", "excitatory")]  # fmt: skip
    stdp = [p for p in net.projections if p["synapse"]["type"] == "STDPMechanism"]
    assert all(p["synapse"]["delay"] == p["connections"][0][3] for p in stdp)


def test_retime_errors() -> None:
    net = PyNNNetwork(dt_ms=1.0)
    net.populations = [{"label": "a", "size": 2, "cell": "IF_curr_exp", "params": {}, "record": []}]
    net.projections = [
        {"pre": "a", "post": "a", "receptor_type": "inhibitory", "connections": [(0, 1, -1.0, 1.0)],
         "connector": "FromListConnector", "synapse": {"type": "StaticSynapse"}},
    ]  # fmt: skip
    with pytest.raises(ValueError, match="self delay"):
        retime_for_grid(net)
    net.projections[0]["connections"] = [(0, 1, -1.0, 2.0), (1, 0, -1.0, 3.0)]
    with pytest.raises(ValueError, match="delays differ"):
        retime_for_grid(net)


def test_preloaded_memory_segments() -> None:
    ops, _ = functional_protocol()
    segments = _memory_segments(ops)
    assert [[op.t for op in recalls] for _, recalls in segments] == [[30, 40, 50], [70, 80]]
    assert segments[0][0] == {0: {0, 1, 8, 9}, 4: {1, 5, 6}, 3: {4, 5, 6, 8}}
    assert segments[1][0][3] == {1, 3, 4, 8}
    net = cam_to_pynn(inhibitory_sign="negative")
    _preload(net, segments[1][0], 6.0)
    mem = {(p["pre"], p["post"]): p for p in net.projections if p["pre"] in ("CueCue", "ContCont") and p["post"] in ("ContCue", "CueCont") and p["receptor_type"] == "excitatory"}  # fmt: skip
    cue_to_cont = mem[("CueCue", "ContCue")]
    assert cue_to_cont["synapse"] == {"type": "StaticSynapse"}
    assert sorted((i, j) for i, j, *_ in cue_to_cont["connections"]) == sorted(
        [(0, j) for j in (0, 1, 8, 9)]
        + [(4, j) for j in (1, 5, 6)]
        + [(3, j) for j in (1, 3, 4, 8)]
    )
    assert {(j, i) for j, i, *_ in mem[("ContCont", "CueCont")]["connections"]} == {
        (j, i) for i, j, *_ in cue_to_cont["connections"]
    }
    assert all(w == 6.0 for *_, w, _ in cue_to_cont["connections"])


def test_run_experiment_pynn_errors() -> None:
    fake = types.SimpleNamespace(__name__="pyNN.spiNNaker")
    with pytest.raises(ValueError, match="sim must be"):
        run_experiment_pynn("functional", fake)
    nest_like = types.SimpleNamespace(__name__="pyNN.nest")
    with pytest.raises(ValueError, match="memory"):
        run_experiment_pynn("functional", nest_like, memory="rom")
    with pytest.raises(ValueError, match="offset"):
        run_experiment_pynn("functional", nest_like, offset=1)
    with pytest.raises(ValueError, match="experiment"):
        run_experiment_pynn("nope", nest_like)


def _backend(name: str) -> object:
    module = {"nest": "nest", "brian2": "brian2"}[name]
    if importlib.util.find_spec(module) is None or importlib.util.find_spec("pyNN") is None:
        pytest.skip(f"{module} / pyNN not installed (spike-hw[pynn])")
    return importlib.import_module(f"pyNN.{name}")  # installed: an import error fails the test


def _score(rows: list[dict]) -> str:
    return f"{sum(r['ok'] for r in rows)}/{len(rows)}"


@pytest.mark.slow
def test_nest_recall_circuit_reproduces_all_experiments() -> None:
    """Stored memories (static, preloaded) + retimed delays: every recall of §4.6 on NEST."""
    sim = _backend("nest")
    scores = {}
    for name in ("functional", "stress", "flag-map"):
        rows = run_experiment_pynn(name, sim, memory="preloaded")
        scores[name] = _score(rows)
        assert all(r["ok"] for r in rows), [r for r in rows if not r["ok"]]
    # without retiming the gates misfire: one step more per hop on NEST's grid
    plain = run_experiment_pynn("flag-map", sim, memory="preloaded", retime=False)
    assert not any(r["ok"] for r in plain)
    print(f"\nNEST, preloaded memory: {scores}; flag-map without retiming {_score(plain)}")


@pytest.mark.slow
def test_nest_stdp_memory_does_not_reproduce_the_experiments() -> None:
    """The spec's STDPMechanism on NEST (plain pair rule, no pairing window) forgets too much.

    Documents the conflict (docs, spike-hw.md): at t = 30 the stored bit 8 of cue 0 is lost,
    depressed when cue 0 fires 7-10 ms after an unrelated learn (t = 20) made content 8 spike.
    """
    sim = _backend("nest")
    rows = run_experiment_pynn("functional", sim, memory="stdp")
    assert rows[0]["t"] == 30
    assert rows[0]["cues"] == [0]
    assert rows[0]["content"] == [0, 1, 9]  # 8 missing: 6 - 36 (e^-7/3 + e^-9/3) < 3.3 nA
    stress = run_experiment_pynn("stress", sim, memory="stdp")
    learned = [r for r in stress[:5] if r["kind"] == "recall_cue"]
    assert all(r["ok"] for r in learned)  # one-shot learning itself works
    print(f"\nNEST, STDP memory: functional {_score(rows)}, stress {_score(stress)}")
    assert sum(r["ok"] for r in stress) < len(stress)


@pytest.mark.slow
def test_brian2_recall_circuit_reproduces_functional() -> None:
    sim = _backend("brian2")
    rows = run_experiment_pynn("functional", sim, memory="preloaded")
    print(f"\nBrian2, preloaded memory: functional {_score(rows)}")
    assert all(r["ok"] for r in rows), [r for r in rows if not r["ok"]]
    totals = _agreement_with_cam_simulator(sim)
    print(f"Brian2 vs CAMSimulator (functional, stored memory): {totals}")
    assert all(n_ref == n_oth == matched for n_ref, n_oth, matched in totals.values())


def _agreement_with_cam_simulator(sim: object) -> dict[str, tuple[int, int, int]]:
    """Functional experiment, stored memories: every population's spikes, PyNN vs CAMSimulator.

    Returns label -> (spikes CAMSimulator, spikes PyNN shifted by the population's lag, matched).
    """
    import numpy as np
    import torch

    from spike_hw.cam import CAMConfig, CAMSimulator, operations_to_spikes
    from spike_hw.cam._experiments import experiment_setup
    from spike_hw.pynn_run import run_pynn, spike_agreement

    cfg, ops, x = experiment_setup("functional")
    steps = x.shape[0]
    totals: dict[str, list[int]] = {}
    for stored, recalls in _memory_segments(ops):
        xr = operations_to_spikes(recalls, cue_size=5, content_size=10, steps=steps)
        static = CAMConfig(a_plus=0.0, a_minus=0.0)  # no learning: the stored memory only
        ours = CAMSimulator(config=static)
        w = torch.zeros(5, 10, dtype=torch.float64)
        for i, bits in stored.items():
            w[i, sorted(bits)] = 6.0
        ours.set_weights("CueCue", "ContCue", w)
        ours.set_weights("ContCont", "CueCont", w.T)
        raster = ours.run(xr)
        net = cam_to_pynn(cfg, inhibitory_sign="negative")
        lag = retime_for_grid(net)
        _preload(net, stored, 6.0)
        labels = [p["label"] for p in net.populations if p["label"] != "IN"]
        inputs = {"IN": [[k + 2.0 for k in torch.nonzero(xr[:, i]).flatten().tolist()] for i in range(15)]}  # fmt: skip
        theirs = run_pynn(net, sim, inputs, steps + 14.0, record=labels)
        for label in labels:
            a = [np.nonzero(raster[label][:, j].numpy())[0].astype(float) for j in range(raster[label].shape[1])]  # fmt: skip
            b = [k[k < steps] for k in (np.rint(t) - 2 - lag[label] for t in theirs[label])]
            r = spike_agreement({label: a}, {label: b}, tolerance=0.0)
            tot = totals.setdefault(label, [0, 0, 0])
            for n, key in enumerate(("n_reference", "n_other", "matched")):
                tot[n] += int(r[key])
    return {k: (v[0], v[1], v[2]) for k, v in totals.items()}


@pytest.mark.slow
def test_nest_spikes_equal_cam_simulator_with_stored_memory() -> None:
    """Both implementations, same network, same stored memory: identical spikes in every population."""
    totals = _agreement_with_cam_simulator(_backend("nest"))
    print(f"\nNEST vs CAMSimulator (functional, stored memory): {totals}")
    assert totals["OUT"][0] == 19
    assert all(n_ref == n_oth == matched for n_ref, n_oth, matched in totals.values())
