"""Hippocampal CA3 CAM (spec §4): construction, dynamics, STDP and the §4.6 experiments."""

import math

import pytest
import torch

from spike_hw import FakeSim, build_pynn
from spike_hw.cam import (
    CAMConfig,
    CAMSimulator,
    build_cam_network,
    cam_to_pynn,
    decode_output,
    flag_map_protocol,
    functional_protocol,
    learn,
    operations_to_spikes,
    recall_content,
    recall_cue,
    run_experiment,
    stress_protocol,
)


def _proj(projs, pre, post, receptor="excitatory"):
    (p,) = [q for q in projs if q.pre == pre and q.post == post and q.receptor == receptor]
    return p


def test_construction_check13() -> None:
    pops, projs = build_cam_network(CAMConfig())
    sizes = {k: p.size for k, p in pops.items()}
    assert sizes == {
        "IN": 15, "CueCue": 5, "CueCont": 5, "ContCue": 10, "ContCont": 10, "ContCond": 10,
        "ContCondInt": 1, "MergeCue": 5, "MergeCont": 10, "OUT": 15,
    }  # fmt: skip
    assert len(projs) == 18
    inh = _proj(projs, "CueCue", "CueCont", "inhibitory")
    assert int(inh.mask.sum()) == 20
    assert inh.delay == 3
    assert torch.all(inh.weight[inh.mask] == 60.0)
    assert not inh.mask.diagonal().any()
    lat = _proj(projs, "CueCont", "CueCont", "inhibitory")
    assert int(lat.mask.sum()) == 20
    assert lat.delay == 2
    gate = _proj(projs, "CueCue", "ContCond", "inhibitory")
    assert int(gate.mask.sum()) == 50
    assert torch.all(gate.weight == 6.0)
    for pre, post in (("CueCue", "ContCue"), ("ContCont", "CueCont")):
        stdp = _proj(projs, pre, post)
        assert stdp.plastic
        assert int(stdp.mask.sum()) == 50
        assert torch.all(stdp.weight == 0)
    assert torch.all(_proj(projs, "ContCue", "ContCond").weight.diagonal() == 9.0)
    assert int(_proj(projs, "ContCue", "ContCondInt").mask.sum()) == 10
    assert int(_proj(projs, "ContCondInt", "ContCond").mask.sum()) == 10
    into_cont = _proj(projs, "IN", "ContCue")
    assert torch.equal(torch.nonzero(into_cont.mask)[:, 0], torch.arange(5, 15))
    out = _proj(projs, "MergeCont", "OUT")
    assert torch.equal(torch.nonzero(out.mask)[:, 1], torch.arange(5, 15))
    assert {(p.pre, p.post): p.delay for p in projs if p.receptor == "excitatory"}[
        ("CueCue", "MergeCue")
    ] == 3
    assert pops["CueCont"].tau_m == 0.5
    assert pops["OUT"].v_thresh == -57.5


def test_pynn_description_matches_network() -> None:
    net = cam_to_pynn()
    by_label = {p["label"]: p for p in net.populations}
    assert by_label["IN"]["cell"] == "SpikeSourceArray"
    assert by_label["ContCond"]["params"]["cm"] == 0.14
    assert by_label["CueCue"]["params"]["tau_syn_E"] == 0.3
    assert by_label["OUT"]["params"]["v_thresh"] == -57.5
    assert by_label["OUT"]["record"]
    inh = [
        p for p in net.projections if p["pre"] == "CueCue" and p["receptor_type"] == "inhibitory"
    ]
    cc = next(p for p in inh if p["post"] == "CueCont")
    assert len(cc["connections"]) == 20
    assert all(w == 60.0 and d == 3.0 for *_, w, d in cc["connections"])
    stdp = [p for p in net.projections if p["synapse"]["type"] == "STDPMechanism"]
    assert len(stdp) == 2
    assert all(len(p["connections"]) == 50 for p in stdp)
    assert stdp[0]["synapse"]["timing"] == {
        "tau_plus": 3.0, "tau_minus": 3.0, "A_plus": 6.0, "A_minus": 6.0,
    }  # fmt: skip
    assert stdp[0]["synapse"]["weight"] == {"w_min": 0.0, "w_max": 6.0}
    neg = cam_to_pynn(inhibitory_sign="negative")
    assert all(
        w < 0 for p in neg.projections if p["receptor_type"] == "inhibitory"
        for *_, w, _ in p["connections"]
    )  # fmt: skip
    sim = FakeSim()
    build_pynn(net, sim)
    assert sim.calls[0] == ("setup", {"timestep": 1.0, "min_delay": 1.0})
    assert [p["size"] for p in sim.populations] == [15, 5, 5, 10, 10, 10, 1, 5, 10, 15]
    assert len(sim.projections) == 18
    assert sum(p["synapse"][0] == "STDPMechanism" for p in sim.projections) == 2
    with pytest.raises(ValueError, match="inhibitory_sign"):
        cam_to_pynn(inhibitory_sign="up")


def test_neuron_update_is_exact_integration() -> None:
    """One weight-6 input spike: the membrane follows the closed-form IF_curr_exp step."""
    sim = CAMSimulator()
    x = torch.zeros(3, 15, dtype=torch.float64)
    x[0, 0] = 1.0
    r = sim.run(x[:1])
    assert not r["CueCue"].any()  # delay 1: nothing arrives at step 0
    r = sim.run(x[1:2])
    cfg = sim.config
    init = cfg.tau_syn * (1 - math.exp(-1 / cfg.tau_syn))
    current = 6.0 * init
    alpha = current * cfg.tau_m_slow / cfg.cm_slow + cfg.v_rest
    v = alpha - math.exp(-1 / cfg.tau_m_slow) * (alpha - cfg.v_rest)
    assert v == pytest.approx(-54.533, abs=1e-3)
    assert v >= cfg.v_thresh
    assert r["CueCue"][0].tolist() == [True, False, False, False, False]
    assert sim.v[0].item() == cfg.v_reset
    assert sim.refrac[0].item() == 1
    # a sub-threshold drive (weight 2, fast cell) decays exactly, no spike
    sim2 = CAMSimulator(config=CAMConfig(threshold_op=">"))
    sim2._buffer[1, 0, sim2.populations["ContCond"].start - 15] = 2.0
    sim2.run(torch.zeros(3, 15, dtype=torch.float64))
    alpha = 2.0 * init * 0.5 / 0.14 - 60.0
    v1 = alpha - math.exp(-2.0) * (alpha + 60.0)
    i1 = 2.0 * init
    i2 = i1 * math.exp(-1 / 0.3)
    alpha2 = i2 * 0.5 / 0.14 - 60.0
    v2 = alpha2 - math.exp(-2.0) * (alpha2 - v1)
    assert sim2.v[sim2.populations["ContCond"].start - 15].item() == pytest.approx(v2, abs=1e-12)


def test_refractory_period_skips_a_step() -> None:
    sim = CAMSimulator()
    x = torch.zeros(6, 15, dtype=torch.float64)
    x[0:4, 0] = 1.0  # drive every step
    r = sim.run(x)
    assert r["CueCue"][:, 0].nonzero().flatten().tolist() == [1, 3]


def _stdp_run(config: CAMConfig, w0: float, cue_t: int, content_t: int) -> float:
    sim = CAMSimulator(config=config)
    sim.set_weights("CueCue", "ContCue", w0)
    x = torch.zeros(8, 15, dtype=torch.float64)
    x[cue_t - 1, 0] = 1.0  # CueCue 0 spikes at cue_t
    x[content_t - 1, 5 + 3] = 1.0  # ContCue 3 spikes at content_t
    r = sim.run(x)
    assert r["CueCue"][cue_t, 0]
    assert r["ContCue"][content_t, 3]
    sim.flush_stdp()
    return sim.weights("CueCue", "ContCue")[0, 3].item()


@pytest.mark.parametrize("post_delay", [0, 1])
def test_stdp_one_shot_check17(post_delay: int) -> None:
    """Spec rule (no pairing window): causal pair saturates to 6, anticausal pair drives to 0."""
    cfg = CAMConfig(stdp_window=math.inf, stdp_post_delay=post_delay)
    assert _stdp_run(cfg, 0.0, cue_t=2, content_t=4) == 6.0
    assert _stdp_run(cfg, 6.0, cue_t=4, content_t=2) == 0.0


def test_stdp_tuned_window() -> None:
    """Default (tuned) rule: same-step pairing potentiates, post one step before depresses."""
    cfg = CAMConfig()
    assert _stdp_run(cfg, 0.0, cue_t=2, content_t=2) == 6.0
    assert _stdp_run(cfg, 6.0, cue_t=3, content_t=2) == 0.0
    assert _stdp_run(cfg, 0.0, cue_t=2, content_t=5) == 0.0  # outside the window


def test_functional_experiment_check14() -> None:
    ops, steps = functional_protocol()
    x = operations_to_spikes(ops, cue_size=5, content_size=10, steps=steps)
    out = CAMSimulator().run(x)["OUT"]
    got = {
        op.t: decode_output(out, cue_size=5, start=op.t, stop=op.t + 10)
        for op in ops
        if op.kind != "learn"
    }
    assert got == {
        30: ({0}, {0, 1, 8, 9}),
        40: ({3, 4}, {6}),
        50: ({0, 3}, {0, 4}),
        70: ({3}, {1, 3, 4, 8}),
        80: ({4}, {6}),
    }
    # learning shows the memory: cue after 5 steps, content from step 5 on
    assert out[5, 0]
    assert out[5, 5:].nonzero().flatten().tolist() == [0, 1, 8, 9]
    assert not out[:5].any()


def test_stress_experiment_check15() -> None:
    ops, steps = stress_protocol()
    assert len(ops) == 60
    assert steps == 843
    out = CAMSimulator().run(operations_to_spikes(ops, cue_size=5, content_size=10, steps=steps))[
        "OUT"
    ]
    memory: dict[int, set[int]] = {}
    checked = 0
    for op in ops:
        cues, content = decode_output(out, cue_size=5, start=op.t, stop=op.t + 14)
        if op.kind == "learn":
            memory[op.cue] = set(op.content)
        elif op.kind == "recall_cue":
            assert (cues, content) == ({op.cue}, memory[op.cue]), op
            checked += 1
        else:
            (j,) = op.content
            assert cues == {i for i, bits in memory.items() if j in bits}, op
            assert content == {j}
            checked += 1
    assert checked == 45
    assert memory[0] == {0}  # third pass: the complement of the complement


def test_flag_map_experiment_check16() -> None:
    ops, steps = flag_map_protocol()
    out = CAMSimulator(config=CAMConfig(cue_size=16, content_size=6)).run(
        operations_to_spikes(ops, cue_size=16, content_size=6, steps=steps)
    )["OUT"]
    got = [decode_output(out, cue_size=16, start=op.t + 3, stop=op.t + 9)[0] for op in ops[16:]]
    assert got == [{2, 6, 10, 12, 13, 14}, {3, 5, 11, 15}, {1, 7, 9}, {0, 4, 8}]


def test_state_persists_across_runs_and_reset() -> None:
    sim = CAMSimulator()
    ops = [learn(0, 1, (2, 7)), recall_cue(10, 1), recall_content(20, (7,))]
    x = operations_to_spikes(ops, cue_size=5, content_size=10, steps=30)
    whole = sim.run(x)["OUT"]
    sim.reset()
    parts = torch.cat([sim.run(x[:13])["OUT"], sim.run(x[13:])["OUT"]])
    assert torch.equal(whole, parts)
    assert decode_output(whole, cue_size=5, start=10, stop=20) == ({1}, {2, 7})
    assert decode_output(whole, cue_size=5, start=20, stop=30) == ({1}, {7})
    sim.reset()
    assert torch.all(sim.weights("CueCue", "ContCue") == 0)


def test_errors() -> None:
    sim = CAMSimulator()
    with pytest.raises(ValueError, match="source_spikes"):
        sim.run(torch.zeros(3, 14))
    with pytest.raises(ValueError, match="0 and 1"):
        sim.run(torch.full((3, 15), 0.5))
    with pytest.raises(TypeError, match="source_spikes"):
        sim.run([[0.0] * 15])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="memory projection"):
        sim.weights("CueCue", "OUT")
    with pytest.raises(ValueError, match="weight"):
        sim.set_weights("CueCue", "ContCue", 7.0)
    with pytest.raises(ValueError, match="cue_size"):
        CAMConfig(cue_size=0)
    with pytest.raises(ValueError, match="threshold_op"):
        CAMConfig(threshold_op="<")
    with pytest.raises(ValueError, match="cue must"):
        operations_to_spikes([recall_cue(0, 9)], cue_size=5, content_size=10, steps=5)
    with pytest.raises(ValueError, match="does not fit"):
        operations_to_spikes([learn(4, 0, (1,))], cue_size=5, content_size=10, steps=5)
    with pytest.raises(TypeError, match="dtype"):
        CAMSimulator(dtype=torch.int32)


def test_run_experiment_reports_each_recall() -> None:
    rows = run_experiment("functional")
    assert [r["t"] for r in rows] == [30, 40, 50, 70, 80]
    assert all(r["ok"] for r in rows)
    plain = run_experiment("functional", CAMConfig(stdp_window=math.inf))
    assert sum(r["ok"] for r in plain) == 1  # the plain pair rule misses the spec's outputs
    with pytest.raises(ValueError, match="experiment"):
        run_experiment("nope")


def test_check17_conflicts_with_forgetting() -> None:
    """Check 17 needs causal pairs 2 ms apart to saturate; forgetting needs a 1 ms one not to.

    Check 17 holds for any pairing window >= 3 ms, with the delay counted or not; the tuned
    1 ms window fails its causal case. In the §4.6.1 relearn (t = 60, cue 3 -> {1, 3, 4, 8}) the
    old content bit 6 is recalled through the stored cue 3 -> 6 link: its ContCont spike (pre of
    content -> cue, t = 64) falls between cue 3's CueCont spikes (post, t = 63 and 65). The
    63 spike depresses 6 -> 3 to 0; under any rule where a causal pair 2 ms apart saturates, the
    pair 1 ms apart (64 -> 65) saturates it again and recall by content {6} at t = 80 still
    returns cue 3. So no window satisfies check 17 and check 14 together; the issue's experiments
    win (default window 1 ms).
    """
    for window in (3.0, math.inf):
        for delay in (0, 1):
            cfg = CAMConfig(stdp_window=window, stdp_post_delay=delay)
            assert _stdp_run(cfg, 0.0, cue_t=2, content_t=4) == 6.0
            assert _stdp_run(cfg, 6.0, cue_t=4, content_t=2) == 0.0
    assert _stdp_run(CAMConfig(), 0.0, cue_t=2, content_t=4) == 0.0  # outside the 1 ms window

    ops, steps = functional_protocol()
    x = operations_to_spikes(ops, cue_size=5, content_size=10, steps=steps)
    weights = {}
    for window in (1.0, 3.0):
        sim = CAMSimulator(config=CAMConfig(stdp_window=window))
        r = sim.run(x[:70])
        assert (r["ContCont"][60:70, 6].nonzero().flatten() + 60).tolist() == [64]
        assert (r["CueCont"][60:70, 3].nonzero().flatten() + 60).tolist() == [63, 65]
        sim.flush_stdp()
        weights[window] = sim.weights("ContCont", "CueCont")[6, 3].item()
    assert weights == {1.0: 0.0, 3.0: 6.0}
    bad = [r for r in run_experiment("functional", CAMConfig(stdp_window=3)) if not r["ok"]]
    assert [(r["t"], r["cues"]) for r in bad] == [(80, [3, 4])]
