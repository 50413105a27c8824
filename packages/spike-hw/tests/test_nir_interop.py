"""Interop with snnTorch in the same run (SpikingJelly numerically).

Norse is tested in test_nir_norse.py / test_nir_norse_export.py. Sinabs and SpikingJelly: see
docs/packages/spike-hw.md (SpikingJelly 0.0.0.0.14, the PyPI release, has no ``nir_exchange``
module, so it is compared through its neuron equations in test_nir_spec.py check 7).
"""

import numpy as np
import pytest
import torch
from torch import nn

nir = pytest.importorskip("nir")
snn = pytest.importorskip("snntorch")
pytest.importorskip("nirtorch")

import snntorch.utils  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402
from snntorch.import_nir import import_from_nir  # noqa: E402

from spike_core import LIF, CubaLIF, SeqToBatch  # noqa: E402
from spike_hw import from_nir, simulate_nir, to_nir  # noqa: E402


def _run_snntorch(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    snntorch.utils.reset(net)
    out = []
    for t in range(x.shape[0]):
        s = net(x[t])
        out.append(s[0] if isinstance(s, tuple) else s)
    return torch.stack(out)


def _leaky(n: int, beta: float, output: bool = False) -> nn.Module:
    return snn.Leaky(
        beta=torch.full((n,), beta), threshold=torch.ones(n), init_hidden=True, output=output,
        reset_mechanism="zero", reset_delay=False,
    )  # fmt: skip


def test_snntorch_export_imported_by_us() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(4, 6), _leaky(6, 0.9), nn.Linear(6, 3), _leaky(3, 0.8, output=True)
    )
    with torch.no_grad():
        net[2].weight.abs_()
    g = export_to_nir(net, torch.randn(1, 4), ignore_dims=[0])
    x = torch.rand(10, 2, 4) * 4
    with torch.no_grad():
        ref = _run_snntorch(net, x)
        ours = from_nir(g, dt=1e-4)(x)
    assert ref.sum() > 0
    assert torch.equal(ours, ref)
    assert torch.equal(simulate_nir(g, x)["outputs"]["output"].float(), ref)


def test_our_export_imported_by_snntorch() -> None:
    torch.manual_seed(1)
    mine = nn.Sequential(
        SeqToBatch(nn.Linear(4, 6)), LIF(beta=0.9, backend="torch"),
        SeqToBatch(nn.Linear(6, 3)), LIF(beta=0.8, backend="torch"),
    )  # fmt: skip
    with torch.no_grad():
        mine[2].module.weight.abs_()
    g = to_nir(mine, input_shape=(4,), dt=1e-4)
    theirs = import_from_nir(g)
    x = torch.rand(10, 2, 4) * 4
    state, out = None, []
    with torch.no_grad():
        for t in range(10):
            o, state = theirs(x[t], state)
            out.append(o)
        ref = mine(x)
    assert ref.sum() > 0
    assert torch.equal(torch.stack(out), ref)


def test_snntorch_cuba_synaptic_mapping() -> None:
    torch.manual_seed(2)
    syn = snn.Synaptic(
        alpha=torch.full((3,), 0.8), beta=torch.full((3,), 0.9), threshold=torch.ones(3),
        init_hidden=True, reset_mechanism="zero", reset_delay=False, output=True,
    )  # fmt: skip
    net = nn.Sequential(nn.Linear(2, 3), syn)
    g = export_to_nir(net, torch.randn(1, 2), ignore_dims=[0])
    assert type(g.nodes["1"]).__name__ == "CubaLIF"
    assert np.allclose(g.nodes["1"].tau_syn, 5e-4)
    assert np.allclose(g.nodes["1"].w_in, 5.0)
    x = torch.rand(10, 2, 2) * 3
    with torch.no_grad():
        ref = _run_snntorch(net, x)
        ours = from_nir(g)(x)
    assert isinstance(from_nir(g)[1], CubaLIF)
    assert ref.sum() > 0
    assert torch.equal(ours, ref)


def test_snntorch_rleaky_subgraph_imported_by_us() -> None:
    torch.manual_seed(3)
    rl = snn.RLeaky(
        beta=torch.full((4,), 0.9), threshold=torch.ones(4), linear_features=4, init_hidden=True,
        reset_mechanism="zero", reset_delay=False, output=True, all_to_all=True,
    )  # fmt: skip
    net = nn.Sequential(nn.Linear(3, 4), rl)
    with torch.no_grad():
        net[0].weight.abs_()
        rl.recurrent.weight.abs_()
    g = export_to_nir(net, torch.randn(1, 3), ignore_dims=[0])
    # snnTorch 1.0 with nirtorch 2.x writes the recurrence flattened into the parent graph
    # ("1.lif" <-> "1.w_rec"); ours imports it as a graph module (cycle with one-step delay)
    assert {"1.lif", "1.w_rec"} <= set(g.nodes)
    x = torch.rand(10, 2, 3) * 4
    with torch.no_grad():
        ref = _run_snntorch(net, x)
        ours = from_nir(g)(x)
    assert ref.sum() > 0
    assert torch.equal(ours, ref)


def test_snntorch_soft_reset_is_exported_as_hard_peer_bug() -> None:
    """snnTorch's default Leaky resets by subtraction but exports NIR LIF with v_reset = 0.

    Our importer follows the NIR file (hard reset), so the spikes differ from the snnTorch
    model: the peer silently approximates; we document it rather than bend our importer.
    """
    torch.manual_seed(4)
    leaky = snn.Leaky(
        beta=torch.full((3,), 0.95),
        threshold=torch.ones(3),
        init_hidden=True,
        output=True,
        reset_delay=False,
    )
    assert leaky.reset_mechanism == "subtract"
    net = nn.Sequential(nn.Linear(2, 3), leaky)
    g = export_to_nir(net, torch.randn(1, 2), ignore_dims=[0])
    assert np.all(g.nodes["1"].v_reset == 0)
    x = torch.rand(20, 1, 2) * 4
    with torch.no_grad():
        assert not torch.equal(from_nir(g)(x), _run_snntorch(net, x))
