"""Ours -> NIR -> ours gives identical spikes for every supported neuron and layer."""

import inspect

import numpy as np
import pytest
import torch
from torch import nn

nir = pytest.importorskip("nir")

from spike_core import IF, LI, LIF, PLIF, CubaLIF, SeqToBatch  # noqa: E402
from spike_hw import (  # noqa: E402
    Integrator,
    Recurrent,
    Scale,
    SumPool2d,
    from_nir,
    read_nir,
    simulate_nir,
    to_nir,
    write_nir,
)

DTS = [1e-4, 1e-3, 0.5]


def _neurons() -> dict[str, nn.Module]:
    return {
        "lif": LIF(tau_mem=3.0, v_threshold=0.8, v_reset=-0.1, v_leak=0.05, backend="torch"),
        "lif_beta": LIF(beta=0.85, backend="torch"),
        "plif": PLIF(init_tau=2.5, backend="torch"),
        "if": IF(v_threshold=1.2, r=0.7, backend="torch"),
        "cuba": CubaLIF(tau_syn=2.0, tau_mem=4.0, r=1.5, backend="torch"),
        "li": LI(tau_mem=2.0, backend="torch"),
        "integrator": Integrator(r=0.5),
    }


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("kind", list(_neurons()))
def test_neuron_round_trip(kind: str, dt: float, tmp_path) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(SeqToBatch(nn.Linear(5, 4)), _neurons()[kind])
    x = torch.rand(8, 3, 5) * 3
    with torch.no_grad():
        ref = model(x)
    g = to_nir(model, input_shape=(5,), dt=dt)
    back = from_nir(read_nir(write_nir(g, tmp_path / "m.nir")), dt=dt)
    with torch.no_grad():
        out = back(x)
    assert type(back[1]).__name__ == type(model[1]).__name__.replace("PLIF", "LIF")
    if kind in ("li", "integrator"):
        assert torch.allclose(out, ref, atol=1e-5)
    else:
        assert ref.sum() > 0
        assert torch.equal(out, ref)
    sim = simulate_nir(g, x, dt=dt)["outputs"]["output"]  # the float64 reference agrees too
    if kind in ("li", "integrator"):
        assert torch.allclose(sim.float(), ref, atol=1e-5)
    else:
        assert torch.equal(sim.float(), ref)


@pytest.mark.parametrize("dt", DTS)
def test_conv_pool_flatten_scale_round_trip(dt: float) -> None:
    torch.manual_seed(1)
    model = nn.Sequential(
        SeqToBatch(nn.Conv2d(2, 4, 3, stride=1, padding=1)),
        LIF(tau_mem=2.0, backend="torch"),
        SeqToBatch(nn.AvgPool2d(2)),
        SeqToBatch(nn.Conv2d(4, 4, 3, padding=1, bias=False)),
        IF(backend="torch"),
        SeqToBatch(SumPool2d(kernel_size=2)),
        SeqToBatch(Scale(scale=torch.full((4, 2, 2), 0.5))),
        SeqToBatch(nn.Flatten()),
        SeqToBatch(nn.Linear(16, 3, bias=False)),
        LIF(tau_mem=2.0, backend="torch"),
    )
    with torch.no_grad():
        for i in (0, 3, 8):
            model[i].module.weight.abs_().mul_({0: 1.0, 3: 0.6, 8: 0.8}[i])
    x = (torch.rand(6, 2, 2, 8, 8) > 0.5).float() * 2
    g = to_nir(model, input_shape=(2, 8, 8), dt=dt)
    kinds = [type(g.nodes[k]).__name__ for k in ["0", "2", "3", "5", "6", "7", "8"]]
    assert kinds == ["Conv2d", "AvgPool2d", "Conv2d", "SumPool2d", "Scale", "Flatten", "Linear"]
    back = from_nir(g, dt=dt)
    with torch.no_grad():
        ref, out = model(x), back(x)
    assert ref.sum() > 0
    assert torch.equal(out, ref)


def test_grouped_conv_round_trip_despite_nir_type_inference_bug() -> None:
    torch.manual_seed(4)
    model = nn.Sequential(SeqToBatch(nn.Conv2d(4, 4, 3, padding=1, groups=2)), IF(backend="torch"))
    x = torch.rand(4, 2, 4, 5, 5) * 2
    conv = model[0].module
    # nir 1.0.x ignores groups when inferring a Conv2d's input channels (peer bug)
    node = nir.Conv2d(
        input_shape=(5, 5),
        weight=conv.weight.detach().numpy(),
        stride=1,
        padding=1,
        dilation=1,
        groups=2,
        bias=np.zeros(4),
    )
    assert node.input_type["input"].tolist()[0] == 2  # should be 4
    g = to_nir(model, input_shape=(4, 5, 5))
    with torch.no_grad():
        assert torch.equal(from_nir(g)(x), model(x))


def test_conv1d_round_trip() -> None:
    torch.manual_seed(2)
    model = nn.Sequential(
        SeqToBatch(nn.Conv1d(2, 3, 3, stride=2)), LIF(tau_mem=2.0, backend="torch")
    )
    x = torch.rand(5, 2, 2, 9) * 3
    g = to_nir(model, input_shape=(2, 9))
    assert type(g.nodes["0"]).__name__ == "Conv1d"
    with torch.no_grad():
        assert torch.equal(from_nir(g)(x), model(x))


@pytest.mark.parametrize("dt", DTS)
def test_recurrent_subgraph_round_trip(dt: float) -> None:
    torch.manual_seed(3)
    rec = nn.Linear(4, 4, bias=False)
    with torch.no_grad():
        rec.weight.abs_().mul_(2)
    model = nn.Sequential(
        SeqToBatch(nn.Linear(3, 4)),
        Recurrent(neuron=LIF(tau_mem=2.0, backend="torch"), recurrent=rec),
    )
    x = torch.rand(8, 2, 3) * 6
    g = to_nir(model, input_shape=(3,), dt=dt)
    assert isinstance(g.nodes["1"], nir.NIRGraph)
    back = from_nir(g, dt=dt)
    assert isinstance(back[1], Recurrent)
    with torch.no_grad():
        ref = model(x)
    assert ref.sum() > 0
    assert torch.equal(back(x), ref)
    assert torch.equal(simulate_nir(g, x, dt=dt)["outputs"]["output"].float(), ref)


def test_general_graph_imports_as_graph_module() -> None:
    nodes = {
        "input": nir.Input(input_type=np.array([2])),
        "a": nir.Linear(weight=np.array([[1.0, 0.0], [0.0, 1.0]])),
        "b": nir.Linear(weight=np.array([[0.0, 1.0], [1.0, 0.0]])),
        "lif": nir.LIF(
            tau=np.array([1e-3, 2e-3]),
            r=np.ones(2) * 10,
            v_leak=np.zeros(2),
            v_threshold=np.ones(2),
            v_reset=np.zeros(2),
        ),
        "output": nir.Output(output_type=np.array([2])),
    }
    edges = [("input", "a"), ("input", "b"), ("a", "lif"), ("b", "lif"), ("lif", "output")]
    g = nir.NIRGraph(nodes=nodes, edges=edges)
    m = from_nir(g)
    assert type(m).__name__ == "NIRGraphModule"
    x = torch.rand(6, 1, 2)
    assert torch.equal(m(x), simulate_nir(g, x)["outputs"]["output"].float())


def test_registered_cnn_with_batchnorm_folded() -> None:
    import spike_core

    torch.manual_seed(5)
    model = spike_core.create_model("spiking-cnn").eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 2.0)
    g = to_nir(model, input_shape=(1, 8, 8))
    kinds = [type(v).__name__ for v in g.nodes.values()]
    assert "Flatten" in kinds
    assert kinds.count("Conv2d") == 2
    x = torch.rand(4, 2, 1, 8, 8) * 2
    with torch.no_grad():
        ref, out = model(x), from_nir(g)(x)
    assert torch.allclose(out, ref, atol=1e-4)


def test_scalar_parameter_graph_writes_and_reads(tmp_path) -> None:
    """0-d parameter arrays (as other exporters write them) survive write_nir/read_nir.

    nir 1.0.8 gzips every array by default and h5py refuses compression on scalar datasets, so
    a plain ``nir.write`` of this graph raises; ``write_nir`` writes it uncompressed.
    """
    lif = nir.LIF(
        tau=np.array(2e-3), r=np.array(1.0), v_leak=np.array(0.0), v_threshold=np.array(1.0)
    )
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "affine": nir.Affine(weight=np.eye(3) * 0.7, bias=np.zeros(3)),
            "lif": lif,
            "output": nir.Output(output_type=np.array([3])),
        },
        edges=[("input", "affine"), ("affine", "lif"), ("lif", "output")],
        type_check=False,  # 0-d neuron types do not match the affine's [3]
    )
    if "compression" in inspect.signature(nir.write).parameters:  # nir versions that gzip
        with pytest.raises(TypeError, match="Scalar datasets"):
            nir.write(str(tmp_path / "plain.nir"), graph)
    back = read_nir(write_nir(graph, tmp_path / "scalar.nir"), type_check=False)
    assert np.asarray(back.nodes["lif"].tau).shape == ()
    assert float(back.nodes["lif"].tau) == 2e-3
    x = torch.rand(6, 2, 3) * 4
    with torch.no_grad():
        ref = from_nir(graph, dt=1e-3)(x)
        assert ref.sum() > 0
        assert torch.equal(from_nir(back, dt=1e-3)(x), ref)


@pytest.mark.parametrize("dt", [1e-3, 1.0])
def test_exact_scheme_import_matches_reference(dt: float) -> None:
    """``from_nir(scheme="exact")`` steps like ``simulate_nir(scheme="exact")``."""
    torch.manual_seed(7)
    mine = nn.Sequential(
        SeqToBatch(nn.Linear(4, 5)), CubaLIF(tau_syn=2 * dt, tau_mem=3 * dt, dt=dt),
        SeqToBatch(nn.Linear(5, 4)), LIF(tau_mem=1.5 * dt, dt=dt, v_leak=0.1),
        SeqToBatch(nn.Linear(4, 2)), LI(tau_mem=2 * dt, dt=dt),
    )  # fmt: skip
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    x = torch.rand(8, 3, 4) * 4
    exact = from_nir(graph, dt=dt, scheme="exact")
    assert exact[3].decay == pytest.approx(1 - np.exp(-1 / 1.5))
    with torch.no_grad():
        ours = exact(x).double()
        euler = from_nir(graph, dt=dt)(x).double()
    ref = simulate_nir(graph, x, dt=dt, scheme="exact")["outputs"]["output"]
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(euler, ref, atol=1e-3)


def test_bad_scheme_is_rejected() -> None:
    graph = to_nir(nn.Sequential(nn.Linear(2, 2), LIF(tau_mem=2.0)), input_shape=(2,))
    with pytest.raises(ValueError, match="scheme"):
        from_nir(graph, scheme="rk4")
