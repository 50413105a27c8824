"""Our NIR export imported by Norse (``norse.torch.from_nir``, Norse 1.1) in the same run.

Norse's importer maps NIR ``LIF -> LIFBoxCell``, ``CubaLIF -> LIBoxCell`` (synapse) + ``LIFBoxCell``,
``IF -> IAFCell``, ``Affine``/``Linear``/``Conv2d``/``SumPool2d``/``Flatten`` to torch layers and
runs the graph with nirtorch's executor, one time step per call with explicit state. For the
nodes it maps faithfully, the output spikes equal ours exactly over several ``dt`` values. Where it
is wrong, the ``*_peer_bug`` tests pin the specific wrong behaviour (and show what Norse computes
instead) rather than bending our exporter.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("nir")
pytest.importorskip("nirtorch")
nt = pytest.importorskip("norse.torch")

from spike_core import IF, LI, LIF, CubaLIF, SeqToBatch  # noqa: E402
from spike_hw import Recurrent, SumPool2d, from_nir, to_nir  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))  # the tests' shared helpers
from _stepping import step_over_time  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:nirtorch.*deprecated:DeprecationWarning")

DTS = (1e-3, 5e-4, 1e-4)


def _norse(graph: object, dt: float) -> nn.Module:
    return nt.from_nir(graph, dt=dt, ignore_warnings=True)


def _positive_(*layers: nn.Module) -> None:
    with torch.no_grad():
        for layer in layers:
            layer.weight.abs_().mul_(2.0)


@pytest.mark.parametrize("dt", DTS)
def test_our_lif_network_imported_by_norse(dt: float) -> None:
    torch.manual_seed(10)
    mine = nn.Sequential(
        SeqToBatch(nn.Linear(4, 6)), LIF(tau_mem=2 * dt, dt=dt),
        SeqToBatch(nn.Linear(6, 3)), LIF(tau_mem=4 * dt, dt=dt),
    )  # fmt: skip
    _positive_(mine[0].module, mine[2].module)
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    theirs = _norse(graph, dt)
    assert isinstance(theirs.get_submodule("3"), nt.LIFBoxCell)
    x = torch.rand(8, 2, 4) * 6
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 5
    assert torch.equal(step_over_time(theirs, x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_our_cuba_lif_network_imported_by_norse(dt: float) -> None:
    torch.manual_seed(11)
    mine = nn.Sequential(
        SeqToBatch(nn.Linear(4, 5)), CubaLIF(tau_syn=2 * dt, tau_mem=4 * dt, dt=dt),
        SeqToBatch(nn.Linear(5, 3)), CubaLIF(tau_syn=4 * dt, tau_mem=2 * dt, dt=dt),
    )  # fmt: skip
    _positive_(mine[0].module, mine[2].module)
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    x = torch.rand(8, 2, 4) * 6
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 5
    assert torch.equal(step_over_time(_norse(graph, dt), x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_our_if_network_imported_by_norse(dt: float) -> None:
    """Unit gain per step (NIR ``r = 1/dt``): the one case Norse's IF importer gets right."""
    torch.manual_seed(12)
    mine = nn.Sequential(SeqToBatch(nn.Linear(4, 3)), IF(v_threshold=1.5))
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    assert np.allclose(graph.nodes["1"].r, 1 / dt)
    x = torch.rand(8, 2, 4) * 3
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 5
    assert torch.equal(step_over_time(_norse(graph, dt), x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_our_conv_network_imported_by_norse(dt: float) -> None:
    torch.manual_seed(13)
    mine = nn.Sequential(
        SeqToBatch(nn.Conv2d(1, 2, 3, padding=1)), LIF(tau_mem=2 * dt, dt=dt),
        SeqToBatch(SumPool2d(kernel_size=2)), LIF(tau_mem=2 * dt, dt=dt, v_threshold=0.6),
    )  # fmt: skip
    _positive_(mine[0].module)
    # integer pooled spike counts with k = 1/2 give dyadic membranes: a threshold of 0.6 is never
    # met with equality (spike-core fires at v >= threshold, NIR and Norse at v > threshold)
    graph = to_nir(mine, input_shape=(1, 6, 6), dt=dt)
    x = torch.rand(6, 2, 1, 6, 6) * 4
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 5
    assert torch.equal(step_over_time(_norse(graph, dt), x), ref)


@pytest.mark.parametrize("dt", DTS[:2])
def test_our_recurrent_layer_imported_by_norse(dt: float) -> None:
    """The ``{input, lif, w_rec, output}`` subgraph runs in nirtorch's nested executor."""
    torch.manual_seed(14)
    rec = Recurrent(neuron=LIF(tau_mem=4 * dt, dt=dt), recurrent=nn.Linear(3, 3))
    mine = nn.Sequential(SeqToBatch(nn.Linear(4, 3)), rec)
    _positive_(mine[0].module, rec.recurrent)
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    x = torch.rand(8, 2, 4) * 6
    with torch.no_grad():
        ref = mine(x)
        no_rec = nn.Sequential(mine[0], copy.deepcopy(rec.neuron))(x)
    assert not torch.equal(ref, no_rec)  # the recurrence matters here
    assert torch.equal(step_over_time(_norse(graph, dt), x), ref)


def test_norse_lif_import_ignores_r_peer_bug() -> None:
    """Norse maps NIR ``LIF`` to ``LIFBoxCell``, which has no resistance: ``r`` is dropped.

    Our snnTorch-form LIF (``decay_input=False``) exports ``r = 1 / k`` (here 4). Norse only logs
    a warning and computes the equation with ``r = 1``: its spikes equal our import of the same
    graph with ``r`` set to 1, not the graph it was given.
    """
    torch.manual_seed(15)
    dt = 1e-3
    mine = nn.Sequential(SeqToBatch(nn.Linear(4, 3)), LIF(tau_mem=4 * dt, dt=dt, decay_input=False))
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    assert np.allclose(graph.nodes["1"].r, 4.0)
    x = torch.rand(8, 2, 4) * 3
    theirs = step_over_time(_norse(graph, dt), x)
    with torch.no_grad():
        ours = mine(x)
        assert torch.equal(from_nir(graph, dt=dt)(x), ours)
        graph.nodes["1"].r = np.ones_like(graph.nodes["1"].r)
        r_dropped = from_nir(graph, dt=dt)(x)
    assert ours.sum() > theirs.sum()
    assert torch.equal(theirs, r_dropped)


def test_norse_if_import_ignores_r_and_dt_peer_bug() -> None:
    """Norse's ``IAFCell`` integrates ``v <- v + I``: NIR ``IF``'s ``r`` and ``dt`` are ignored.

    NIR says ``dv/dt = r I``, i.e. ``v <- v + dt r I``. A layer with gain 0.5 per step exports
    ``r = 0.5 / dt``; Norse integrates with gain 1 (as if ``r dt = 1``), so it fires like our
    layer with gain 1.
    """
    torch.manual_seed(16)
    dt = 5e-4
    lin = nn.Linear(4, 3)
    mine = nn.Sequential(SeqToBatch(lin), IF(r=0.5))
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    x = torch.rand(8, 2, 4) * 3
    theirs = step_over_time(_norse(graph, dt), x)
    with torch.no_grad():
        ours = mine(x)
        unit_gain = nn.Sequential(SeqToBatch(lin), IF(r=1.0))(x)
    assert not torch.equal(theirs, ours)
    assert torch.equal(theirs, unit_gain)


def test_norse_import_ignores_v_reset_peer_bug() -> None:
    """Norse builds ``LIFBoxParameters`` without NIR's ``v_reset`` (it stays 0).

    Our layer resets (and starts) at ``v_reset = -0.5``; Norse resets to 0 and starts at
    ``v_leak = 0``: its spikes equal our import of the graph with ``v_reset`` set to 0.
    """
    torch.manual_seed(17)
    dt = 1e-3
    mine = nn.Sequential(SeqToBatch(nn.Linear(4, 3)), LIF(tau_mem=2 * dt, dt=dt, v_reset=-0.5))
    _positive_(mine[0].module)
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    theirs_module = _norse(graph, dt)
    assert float(theirs_module.get_submodule("1").p.v_reset) == 0.0
    x = torch.rand(8, 2, 4) * 4
    theirs = step_over_time(theirs_module, x)
    with torch.no_grad():
        ours = mine(x)
        graph.nodes["1"].v_reset = np.zeros_like(graph.nodes["1"].v_reset)
        zero_reset = from_nir(graph, dt=dt)(x)
    assert not torch.equal(theirs, ours)
    assert torch.equal(theirs, zero_reset)


def test_norse_cuba_import_leaks_synaptic_current_to_v_leak_peer_bug() -> None:
    """Norse's CubaLIF synapse is a ``LIBoxCell`` given the membrane's ``v_leak``.

    NIR: ``tau_syn dI/dt = -I + w_in S`` (the current rests at 0). Norse starts the current at
    ``v_leak`` and relaxes it there, so with ``v_leak = 0.8``, ``r = 1`` the membrane settles at
    ``1.6 > v_threshold``: Norse fires with zero input, where NIR (and we) never fire.
    """
    dt = 1e-3
    mine = nn.Sequential(SeqToBatch(nn.Linear(2, 3)), CubaLIF(tau_syn=2 * dt, tau_mem=4 * dt, dt=dt, v_leak=0.8))  # fmt: skip
    with torch.no_grad():
        mine[0].module.weight.zero_()
        mine[0].module.bias.zero_()
    graph = to_nir(mine, input_shape=(2,), dt=dt)
    x = torch.zeros(30, 1, 2)
    theirs = step_over_time(_norse(graph, dt), x)
    with torch.no_grad():
        assert mine(x).sum() == 0
    assert theirs.sum() > 0


def test_norse_import_drops_li_node_peer_bug() -> None:
    """Norse's importer has no ``LI`` mapping: the node silently disappears from the graph.

    The imported graph returns the ``Affine`` output directly (no leaky integration) instead of
    the leaky integrator's membrane.
    """
    torch.manual_seed(18)
    dt = 1e-3
    mine = nn.Sequential(SeqToBatch(nn.Linear(4, 3)), LI(tau_mem=4 * dt, dt=dt))
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    theirs_module = _norse(graph, dt)
    assert "1" in graph.nodes
    assert "1" not in dict(theirs_module.named_children())
    x = torch.rand(6, 2, 4)
    theirs = step_over_time(theirs_module, x)
    with torch.no_grad():
        affine_only = mine[0](x)
        ours = mine(x)
    assert torch.allclose(theirs, affine_only)
    assert not torch.allclose(theirs, ours, atol=1e-3)


def test_norse_flatten_import_ignores_missing_batch_dim_peer_bug() -> None:
    """NIR ``Flatten`` dims count without the batch; Norse uses them as torch dims unchanged.

    ``Flatten(start_dim=0)`` becomes ``nn.Flatten(0, ...)``, which folds the batch into the
    features, so the next ``Linear`` fails. Shifting the dims by one (what NIR means) makes
    Norse's graph give our spikes exactly.
    """
    torch.manual_seed(19)
    dt = 1e-3
    mine = nn.Sequential(
        SeqToBatch(nn.Conv2d(1, 2, 3, padding=1)), LIF(tau_mem=2 * dt, dt=dt),
        SeqToBatch(nn.Flatten()), SeqToBatch(nn.Linear(50, 3)), LIF(tau_mem=2 * dt, dt=dt),
    )  # fmt: skip
    _positive_(mine[0].module, mine[3].module)
    graph = to_nir(mine, input_shape=(1, 5, 5), dt=dt)
    assert graph.nodes["2"].start_dim == 0
    theirs = _norse(graph, dt)
    assert theirs.get_submodule("2").start_dim == 0
    x = torch.rand(6, 2, 1, 5, 5) * 4
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        step_over_time(theirs, x)
    flatten = theirs.get_submodule("2")
    flatten.start_dim, flatten.end_dim = 1, 3  # NIR dims + 1
    with torch.no_grad():
        ref = mine(x)
    assert ref.sum() >= 3
    assert torch.equal(step_over_time(theirs, x), ref)
