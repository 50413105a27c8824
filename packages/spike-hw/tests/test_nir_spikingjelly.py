"""Interop with SpikingJelly's NIR exchange (``spikingjelly.activation_based.nir_exchange``).

The exchange module first ships in SpikingJelly 2.0.0 (PyPI, October 2026). The workspace
locks SpikingJelly 0.0.0.0.14 (the root ``test`` group; spike-core's and spike-energy's peer
tests use its 0.0.0.0.14 API, e.g. ``LIFNode(backend=...)``, which 2.0 removed), so this module
is skipped there; it runs wherever SpikingJelly >= 2.0 is installed (checked by hand with
2.0.0, see docs/packages/spike-hw.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("nir")
sj_nir = pytest.importorskip("spikingjelly.activation_based.nir_exchange")

from spikingjelly.activation_based import functional, layer, neuron  # noqa: E402

from spike_core import IF, LIF, CubaLIF, SeqToBatch  # noqa: E402
from spike_hw import from_nir, to_nir  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))  # the tests' shared helpers
from _stepping import step_over_time  # noqa: E402

DTS = (1e-3, 5e-4, 1e-4)


def _run_sj_net(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    functional.reset_net(net)
    with torch.no_grad():
        return torch.stack([net(x[t]) for t in range(x.shape[0])])


def _positive_(*layers: nn.Module) -> None:
    with torch.no_grad():
        for lay in layers:
            lay.weight.abs_().mul_(2.0)


@pytest.mark.parametrize("dt", DTS)
def test_our_lif_if_network_imported_by_spikingjelly(dt: float) -> None:
    torch.manual_seed(40)
    mine = nn.Sequential(
        SeqToBatch(nn.Linear(4, 6)), LIF(tau_mem=2.5 * dt, dt=dt),
        SeqToBatch(nn.Linear(6, 5)), LIF(tau_mem=4 * dt, dt=dt, decay_input=False),
        SeqToBatch(nn.Linear(5, 3)), IF(v_threshold=1.5),
    )  # fmt: skip
    _positive_(mine[0].module, mine[2].module, mine[4].module)
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    x = torch.rand(8, 2, 4) * 4
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 5
    assert torch.equal(step_over_time(sj_nir.import_from_nir(graph, dt=dt), x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_our_conv_network_imported_by_spikingjelly(dt: float) -> None:
    torch.manual_seed(41)
    mine = nn.Sequential(
        SeqToBatch(nn.Conv2d(1, 2, 3, padding=1)), LIF(tau_mem=2 * dt, dt=dt),
        SeqToBatch(nn.AvgPool2d(2)), SeqToBatch(nn.Flatten()),
        SeqToBatch(nn.Linear(18, 3)), LIF(tau_mem=2 * dt, dt=dt, v_threshold=0.3),
    )  # fmt: skip
    _positive_(mine[0].module, mine[4].module)
    graph = to_nir(mine, input_shape=(1, 6, 6), dt=dt)
    x = torch.rand(6, 2, 1, 6, 6) * 4
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 3
    assert torch.equal(step_over_time(sj_nir.import_from_nir(graph, dt=dt), x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_our_cuba_lif_imported_by_spikingjelly(dt: float) -> None:
    """SpikingJelly's ``CUBALIFNode`` is the snnTorch form: NIR ``r`` must be ``tau_mem / dt``.

    Our CubaLIF with that resistance imports and gives the same spikes; with ``r = 1`` (a valid
    NIR graph) SpikingJelly refuses it with a clear error rather than approximating.
    """
    torch.manual_seed(42)
    tau_syn, tau_mem = 2 * dt, 4 * dt
    mine = nn.Sequential(
        SeqToBatch(nn.Linear(4, 3)),
        CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, dt=dt, r=tau_mem / dt),
    )
    _positive_(mine[0].module)
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    x = torch.rand(8, 2, 4)
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 5
    assert torch.equal(step_over_time(sj_nir.import_from_nir(graph, dt=dt), x), ref)
    unit_r = to_nir(
        nn.Sequential(nn.Linear(4, 3), CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, dt=dt)),
        input_shape=(4,),
        dt=dt,
    )
    with pytest.raises(ValueError, match="tau_mem / dt"):
        sj_nir.import_from_nir(unit_r, dt=dt)


@pytest.mark.parametrize("dt", DTS)
def test_spikingjelly_export_imported_by_us(dt: float) -> None:
    torch.manual_seed(43)
    net = nn.Sequential(
        layer.Linear(4, 6), neuron.LIFNode(tau=2.5),
        layer.Linear(6, 5), neuron.LIFNode(tau=3.0, decay_input=False),
        layer.Linear(5, 3), neuron.IFNode(v_threshold=1.5),
    )  # fmt: skip
    _positive_(net[0], net[2], net[4])
    x = torch.rand(8, 2, 4) * 4
    ref = _run_sj_net(net, x)
    assert ref.sum() >= 5
    graph = sj_nir.export_to_nir(net, torch.zeros(2, 4), dt=dt)
    functional.reset_net(net)
    assert np.allclose(np.asarray(graph.nodes["_1"].tau), 2.5 * dt)
    with torch.no_grad():
        assert torch.equal(from_nir(graph, dt=dt)(x), ref)
