"""Spec checks 1-8 (NIR structure, file format, mappings)."""

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir")

from spike_core import LIF, CubaLIF  # noqa: E402
from spike_hw import from_nir, read_nir, simulate_nir, to_nir, write_nir  # noqa: E402


def _lif(n: int) -> "nir.LIF":
    return nir.LIF(
        tau=np.full(n, 1e-3), r=np.full(n, 10.0), v_leak=np.zeros(n),
        v_threshold=np.ones(n), v_reset=np.zeros(n),
    )  # fmt: skip


def test_from_list_check1() -> None:
    g = nir.NIRGraph.from_list(nir.Affine(weight=np.ones((3, 4)), bias=np.zeros(3)), _lif(3))
    assert set(g.nodes) == {"input", "affine", "lif", "output"}
    assert sorted(g.edges) == sorted([("input", "affine"), ("affine", "lif"), ("lif", "output")])
    assert g.nodes["input"].input_type["input"].tolist() == [4]
    assert g.nodes["output"].output_type["output"].tolist() == [3]


def test_hdf5_round_trip_check2(tmp_path) -> None:
    g = nir.NIRGraph.from_list(
        nir.Affine(
            weight=np.arange(12, dtype=np.float32).reshape(3, 4), bias=np.ones(3, dtype=np.float64)
        ),
        _lif(3),
    )
    g.nodes["affine"].metadata = {"note": "hello"}
    path = write_nir(g, tmp_path / "g.nir")
    back = read_nir(path)
    assert {k: type(v).__name__ for k, v in back.nodes.items()} == {
        k: type(v).__name__ for k, v in g.nodes.items()
    }
    w = back.nodes["affine"].weight
    assert w.dtype == np.float32
    assert np.array_equal(w, g.nodes["affine"].weight)
    assert back.nodes["affine"].bias.dtype == np.float64
    assert sorted(tuple(e) for e in back.edges) == sorted(g.edges)
    assert back.nodes["affine"].metadata == {"note": "hello"}
    import h5py

    with h5py.File(path) as f:
        assert "metadata" in f["node/nodes/affine"]
        assert "metadata" not in f["node/nodes/lif"]


def test_type_check_check3() -> None:
    nodes = {
        "input": nir.Input(input_type=np.array([2])),
        "a": nir.Affine(weight=np.ones((3, 2)), bias=np.zeros(3)),
        "b": nir.Affine(weight=np.ones((1, 4)), bias=np.zeros(1)),
        "output": nir.Output(output_type=np.array([1])),
    }
    edges = [("input", "a"), ("a", "b"), ("b", "output")]
    with pytest.raises(ValueError, match="mismatch"):
        nir.NIRGraph(nodes=nodes, edges=edges)
    nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_conv_and_flatten_shapes_check4() -> None:
    conv = nir.Conv2d(
        input_shape=(28, 28), weight=np.zeros((8, 1, 3, 3)), stride=2, padding=1, dilation=1,
        groups=1, bias=np.zeros(8),
    )  # fmt: skip
    assert conv.output_type["output"].tolist() == [8, 14, 14]
    flat = nir.Flatten(input_type={"input": np.array([8, 14, 14])}, start_dim=0)
    assert flat.output_type["output"].tolist() == [1568]
    # ours: the exporter computes the same shapes
    from torch import nn

    g = to_nir(nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1), nn.Flatten()), input_shape=(1, 28, 28))
    assert g.nodes["output"].output_type["output"].tolist() == [1568]


def test_two_edges_sum_check5() -> None:
    nodes = {
        "input": nir.Input(input_type=np.array([1])),
        "a": nir.Linear(weight=np.array([[0.3]])),
        "b": nir.Linear(weight=np.array([[0.5]])),
        "lif": nir.LIF(
            tau=np.array([1e-3]),
            r=np.array([10.0]),
            v_leak=np.zeros(1),
            v_threshold=np.array([100.0]),
            v_reset=np.zeros(1),
        ),
        "output": nir.Output(output_type=np.array([1])),
    }
    edges = [("input", "a"), ("input", "b"), ("a", "lif"), ("b", "lif"), ("lif", "output")]
    g = nir.NIRGraph(nodes=nodes, edges=edges)
    from spike_hw.reference import FloatReference

    ref = FloatReference(g, dt=1e-4)
    ref.run(torch.ones(1, 1, 1))
    # one Euler step from 0: v = (dt/tau) * r * (0.3 + 0.5) = 0.1 * 10 * 0.8
    assert float(ref.last_states["lif"]["v"]) == pytest.approx(0.8)


def test_snntorch_mapping_check6() -> None:
    dt = 1e-4
    g = to_nir(torch.nn.Sequential(LIF(beta=0.9)), input_shape=(2,), dt=dt)
    lif = g.nodes["0"]
    assert np.allclose(lif.tau, 1e-3)
    assert np.allclose(lif.r, 10.0)
    back = from_nir(g, dt=dt)[0]
    assert back.decay_input is False
    assert 1 - back.dt / back.tau_mem == pytest.approx(0.9)
    assert float(lif.r[0]) * dt / float(lif.tau[0]) == pytest.approx(1.0)
    cuba = to_nir(
        torch.nn.Sequential(CubaLIF(tau_syn=1 / 0.2, tau_mem=10.0)), input_shape=(2,), dt=dt
    ).nodes["0"]
    # snnTorch Synaptic(alpha=0.8): tau_syn = dt / (1 - alpha)
    assert np.allclose(cuba.tau_syn, 5e-4)
    assert np.allclose(cuba.w_in, 5.0)


def test_spikingjelly_mapping_check7() -> None:
    sj = pytest.importorskip("spikingjelly.activation_based.neuron")
    dt = 1e-4
    ours = LIF(tau_mem=2.0, decay_input=True, backend="torch")
    g = to_nir(torch.nn.Sequential(ours), input_shape=(3,), dt=dt)
    assert np.allclose(g.nodes["0"].tau, 2e-4)
    assert np.allclose(g.nodes["0"].r, 1.0)
    torch.manual_seed(0)
    x = torch.rand(8, 2, 3) * 3
    node = sj.LIFNode(tau=2.0, decay_input=True, v_reset=0.0, step_mode="m")
    ref = node(x)
    sim = simulate_nir(g, x, dt=dt)["outputs"]["output"]
    assert ref.sum() > 0
    assert torch.equal(sim.float(), ref)


def test_snntorch_leaky_membrane_trace_check8() -> None:
    snn = pytest.importorskip("snntorch")
    torch.manual_seed(0)
    x = torch.rand(10, 2, 3) * 1.5
    leaky = snn.Leaky(beta=0.9, threshold=1.0, reset_mechanism="zero", reset_delay=False)
    mem = leaky.init_leaky()
    mems, spks = [], []
    for t in range(10):
        s, mem = leaky(x[t], mem)
        mems.append(mem.clone())
        spks.append(s)
    g = nir.NIRGraph.from_list(
        nir.LIF(tau=np.full(3, 1e-4 / (1 - 0.9)), r=np.full(3, 1 / (1 - 0.9)), v_leak=np.zeros(3),
                v_threshold=np.ones(3), v_reset=np.zeros(3))
    )  # fmt: skip
    from spike_hw.reference import FloatReference

    ref = FloatReference(g, dt=1e-4, dtype=torch.float32)
    out = ref.run(x, record_states=True)
    assert torch.equal(out["outputs"]["output"], torch.stack(spks))
    assert torch.allclose(out["states"]["lif"]["v"], torch.stack(mems), atol=1e-6)
