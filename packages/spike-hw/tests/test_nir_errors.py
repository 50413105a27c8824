"""Unsupported layers, malformed graphs and a fuzz run over corrupted NIR files."""

import random

import numpy as np
import pytest
import torch
from torch import nn

nir = pytest.importorskip("nir")

from spike_core import ALIF, IF, LIF, IntLIF  # noqa: E402
from spike_hw import (  # noqa: E402
    UnsupportedNodeError,
    from_nir,
    read_nir,
    schedule_graph,
    simulate_nir,
    to_nir,
    write_nir,
)


@pytest.mark.parametrize(
    ("layer", "reason"),
    [
        (LIF(reset="soft"), "soft reset"),
        (IF(reset="none"), "reset='none'"),
        (ALIF(), "adaptive-threshold"),
        (IntLIF(levels=4), "integer"),
        (nn.MultiheadAttention(4, 2), "attention"),
        (nn.BatchNorm1d(4), "BatchNorm"),
        (nn.GRU(4, 4), "GRU"),
    ],
)
def test_unsupported_layers_name_layer_and_reason(layer: nn.Module, reason: str) -> None:
    first = LIF() if isinstance(layer, nn.BatchNorm1d) else nn.Linear(4, 4)  # BN after Linear folds
    model = nn.Sequential(first, layer)
    with pytest.raises(UnsupportedNodeError, match=rf"'1'.*{reason}"):
        to_nir(model, input_shape=(4,))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="dt"):
        to_nir(nn.Sequential(nn.Linear(2, 2)), input_shape=(2,), dt=0.0)
    with pytest.raises(ValueError, match="input_shape"):
        to_nir(nn.Sequential(nn.Linear(2, 2)), input_shape=())
    g = to_nir(nn.Sequential(nn.Linear(2, 2)), input_shape=(2,))
    with pytest.raises(ValueError, match="dt"):
        from_nir(g, dt=-1.0)
    with pytest.raises(TypeError, match="NIRGraph"):
        schedule_graph({"nodes": {}})
    with pytest.raises(ValueError, match="time-major"):
        simulate_nir(g, torch.ones(2))
    with pytest.raises(FileNotFoundError):
        read_nir("/nonexistent/file.nir")


def _lif1() -> "nir.LIF":
    return nir.LIF(
        tau=np.array([1e-3]),
        r=np.array([10.0]),
        v_leak=np.zeros(1),
        v_threshold=np.ones(1),
        v_reset=np.zeros(1),
    )


def test_missing_node() -> None:
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1])),
            "output": nir.Output(output_type=np.array([1])),
        },
        edges=[("input", "ghost"), ("ghost", "output")],
        type_check=False,
    )
    with pytest.raises(ValueError, match="missing node 'ghost'"):
        schedule_graph(g)


def test_wrong_shapes() -> None:
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "a": nir.Affine(weight=np.ones((2, 4)), bias=np.zeros(2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "a"), ("a", "output")],
        type_check=False,
    )
    with pytest.raises(ValueError, match="node 'a'"):
        simulate_nir(g, torch.ones(2, 1, 3))


def test_cycle_without_state_and_with_state() -> None:
    nodes = {
        "input": nir.Input(input_type=np.array([1])),
        "a": nir.Linear(weight=np.array([[0.5]])),
        "b": nir.Linear(weight=np.array([[0.5]])),
        "output": nir.Output(output_type=np.array([1])),
    }
    edges = [("input", "a"), ("a", "b"), ("b", "a"), ("a", "output")]
    with pytest.raises(ValueError, match="cycle without state"):
        schedule_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    nodes["b"] = _lif1()
    sch = schedule_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    assert sch.order.index("a") < sch.order.index("b")
    assert ("b", True) in sch.preds["a"]


def test_no_input_or_output() -> None:
    g = nir.NIRGraph(nodes={"a": nir.Linear(weight=np.ones((1, 1)))}, edges=[], type_check=False)
    with pytest.raises(ValueError, match="no Input"):
        schedule_graph(g)


def test_unsupported_nir_node_on_import() -> None:
    g = nir.NIRGraph.from_list(nir.Delay(delay=np.array([1e-3])), type_check=False)
    g.nodes["input"] = nir.Input(input_type=np.array([1]))
    with pytest.raises(UnsupportedNodeError, match="Delay"):
        from_nir(g)


@pytest.mark.slow
def test_fuzz_corrupted_files_never_crash(tmp_path) -> None:
    model = nn.Sequential(nn.Linear(3, 4), LIF(tau_mem=2.0), nn.Linear(4, 2), IF())
    path = write_nir(to_nir(model, input_shape=(3,)), tmp_path / "ok.nir")
    data = path.read_bytes()
    rng = random.Random(0)
    outcomes = {"ok": 0, "error": 0}
    for i in range(60):
        buf = bytearray(data)
        mode = i % 3
        if mode == 0:  # flip random bytes
            for _ in range(rng.randint(1, 40)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif mode == 1:  # truncate
            buf = buf[: rng.randrange(len(buf))]
        else:  # overwrite a block
            start = rng.randrange(len(buf))
            buf[start : start + 64] = bytes(rng.randrange(256) for _ in range(64))
        bad = tmp_path / f"bad{i}.nir"
        bad.write_bytes(bytes(buf))
        try:
            g = read_nir(bad)
            from_nir(g)(torch.ones(2, 1, 3))
            outcomes["ok"] += 1
        except (ValueError, UnsupportedNodeError):
            outcomes["error"] += 1
    assert outcomes["error"] > 0
    assert sum(outcomes.values()) == 60
