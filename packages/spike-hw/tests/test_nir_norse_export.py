"""Norse-exported NIR graphs (``norse.torch.to_nir``, Norse 1.1) imported by us.

Norse 1.1's exporter has three unit errors, pinned here precisely (``*_peer_bug``): it writes
``tau = dt / tau_mem_inv`` (the time constant multiplied by ``dt``) instead of
``1 / tau_mem_inv``; it writes ``CubaLIF.w_in = 1`` although its current-based ``LIFCell`` adds
the input to the current unscaled (NIR Euler: ``w_in = tau_syn / dt``); and it writes
``IF.r = 1`` although ``IAFCell`` integrates ``v <- v + I`` (NIR: ``r = 1 / dt``). With those
three values corrected in the graph, our importer reproduces Norse's own spikes exactly, over
several ``dt`` values: the dynamics agree, only the exported numbers are wrong.

Workaround used below for the time constants: call ``to_nir(..., dt=1.0)``, which makes Norse
write ``1 / tau_mem_inv`` (seconds); import with the simulation's real ``dt``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("nir")
pytest.importorskip("nirtorch")
nt = pytest.importorskip("norse.torch")

from spike_core import LIF  # noqa: E402
from spike_hw import from_nir, read_nir, write_nir  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))  # the tests' shared helpers
from _stepping import step_over_time  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:nirtorch.*deprecated:DeprecationWarning")

DTS = (1e-3, 5e-4, 1e-4)


def _ours(graph: object, dt: float, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return from_nir(graph, dt=dt)(x)


def _linear(n_in: int, n_out: int) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    with torch.no_grad():
        lin.weight.abs_().mul_(2.0)
    return lin


@pytest.mark.parametrize("dt", DTS)
def test_norse_lif_box_export_tau_times_dt_peer_bug(dt: float) -> None:
    """``LIFBoxCell(tau_mem_inv)`` is written as ``LIF(tau = dt / tau_mem_inv)``.

    For ``tau_mem = 4 dt`` the file says ``tau = 4 dt^2``, shorter than one step: a faithful
    importer must reject it (ours raises naming ``tau_mem``). Exported with ``dt=1.0`` (so
    ``tau = 1 / tau_mem_inv``, in seconds), our import gives Norse's spikes exactly.
    """
    torch.manual_seed(20)
    tau = 4 * dt
    net = nt.SequentialState(
        _linear(4, 3), nt.LIFBoxCell(nt.LIFBoxParameters(tau_mem_inv=torch.tensor(1 / tau)), dt=dt)
    )
    x = torch.rand(8, 2, 4) * 4
    ref = step_over_time(net, x)
    assert ref.sum() >= 5
    buggy = nt.to_nir(net, torch.zeros(1, 4), dt=dt)
    assert np.isclose(float(buggy.nodes["1"].tau), dt * tau, rtol=1e-5)
    with pytest.raises(ValueError, match="tau_mem"):
        from_nir(buggy, dt=dt)
    fixed = nt.to_nir(net, torch.zeros(1, 4), dt=1.0)
    assert np.isclose(float(fixed.nodes["1"].tau), tau, rtol=1e-5)
    assert torch.equal(_ours(fixed, dt, x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_norse_cuba_lif_export_w_in_peer_bug(dt: float) -> None:
    """Norse's current-based ``LIFCell`` is NIR ``CubaLIF`` with ``w_in = tau_syn / dt``.

    ``LIFCell`` adds each input to the synaptic current unscaled (``i <- i + x``), while NIR's
    Euler step adds ``(dt / tau_syn) w_in x``. Norse writes ``w_in = 1``: imported as written,
    the input is ``tau_syn / dt`` (here 2) times too weak and the spikes differ; with ``w_in``
    corrected they equal Norse's.
    """
    torch.manual_seed(21)
    tau_syn, tau_mem = 2 * dt, 4 * dt
    p = nt.LIFParameters(
        tau_syn_inv=torch.tensor(1 / tau_syn), tau_mem_inv=torch.tensor(1 / tau_mem)
    )
    net = nt.SequentialState(_linear(4, 3), nt.LIFCell(p, dt=dt))
    x = torch.rand(8, 2, 4) * 4
    ref = step_over_time(net, x)
    assert ref.sum() >= 5
    graph = nt.to_nir(net, torch.zeros(1, 4), dt=1.0)  # tau workaround (see module docstring)
    node = graph.nodes["1"]
    assert type(node).__name__ == "CubaLIF"
    assert float(node.w_in) == 1.0
    as_written = _ours(graph, dt, x)
    assert as_written.sum() < ref.sum()
    node.w_in = np.asarray(node.tau_syn) / dt
    assert torch.equal(_ours(graph, dt, x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_norse_iaf_export_r_peer_bug(dt: float) -> None:
    """``IAFCell`` integrates ``v <- v + I`` but is written as ``IF(r = 1)``.

    NIR's ``dv/dt = r I`` then means ``v <- v + dt I`` (our import fires far less); the gain
    Norse simulates is ``r = 1 / dt``, with which our import equals Norse's spikes.
    """
    torch.manual_seed(22)
    net = nt.SequentialState(
        _linear(4, 3), nt.IAFCell(nt.IAFParameters(v_th=torch.tensor(1.5)), dt=dt)
    )
    x = torch.rand(8, 2, 4) * 3
    ref = step_over_time(net, x)
    assert ref.sum() >= 5
    graph = nt.to_nir(net, torch.zeros(1, 4), dt=dt)
    assert float(graph.nodes["1"].r) == 1.0
    assert _ours(graph, dt, x).sum() < ref.sum()
    graph.nodes["1"].r = np.asarray(1.0 / dt)
    assert torch.equal(_ours(graph, dt, x), ref)


@pytest.mark.parametrize("dt", DTS[:2])
def test_norse_li_box_export_imported_by_us(dt: float) -> None:
    """``LIBoxCell`` -> ``LI`` (same ``tau`` error as LIF, worked around): same membrane trace."""
    torch.manual_seed(23)
    tau = 4 * dt
    cell = nt.LIBoxCell(nt.LIBoxParameters(tau_mem_inv=torch.tensor(1 / tau)), dt=dt)
    net = nt.SequentialState(nn.Linear(4, 3), cell)
    x = torch.rand(6, 2, 4)
    ref = step_over_time(net, x)
    graph = nt.to_nir(net, torch.zeros(1, 4), dt=1.0)
    assert type(graph.nodes["1"]).__name__ == "LI"
    torch.testing.assert_close(_ours(graph, dt, x), ref, rtol=1e-5, atol=1e-6)


def test_norse_graph_file_round_trip_and_batch_dim_peer_bug(tmp_path: Path) -> None:
    """A Norse graph survives our HDF5 write/read and still gives Norse's spikes.

    Norse traces without ``ignore_dims``, so its ``Input``/``Output`` types keep the sample
    batch axis (``[1, 4]``, where NIR types have none): ``nir``'s type check rejects the file,
    which therefore reads only with ``type_check=False``. Its scalar (0-d) neuron parameters
    also need :func:`~spike_hw.write_nir` to write without gzip (``h5py`` refuses filters on
    scalars).
    """
    torch.manual_seed(24)
    dt = 1e-3
    cell = nt.LIFBoxCell(nt.LIFBoxParameters(tau_mem_inv=torch.tensor(1 / (4 * dt))), dt=dt)
    net = nt.SequentialState(_linear(4, 3), cell)
    graph = nt.to_nir(net, torch.zeros(1, 4), dt=1.0)
    assert list(graph.nodes["input"].input_type["input"]) == [1, 4]
    path = write_nir(graph, tmp_path / "norse.nir")
    with pytest.raises(ValueError, match="corrupt or invalid NIR file"):
        read_nir(path)
    back = read_nir(path, type_check=False)
    x = torch.rand(8, 2, 4) * 4
    ref = step_over_time(net, x)
    assert ref.sum() >= 5
    imported = from_nir(back, dt=dt)
    assert isinstance(imported[1], LIF)
    with torch.no_grad():
        assert torch.equal(imported(x), ref)


@pytest.mark.parametrize("dt", DTS)
def test_norse_conv_network_export_imported_by_us(dt: float) -> None:
    """Norse ``Conv2d -> LIFBoxCell -> Conv2d (stride 2) -> LIFBoxCell``: same spikes."""
    torch.manual_seed(25)
    convs = [nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, stride=2)]
    with torch.no_grad():
        for conv in convs:
            conv.weight.abs_().mul_(2.0)
    p = nt.LIFBoxParameters(tau_mem_inv=torch.tensor(0.5 / dt), v_th=torch.tensor(0.5))
    net = nt.SequentialState(
        convs[0], nt.LIFBoxCell(p, dt=dt), convs[1], nt.LIFBoxCell(p, dt=dt)
    )  # fmt: skip
    x = torch.rand(6, 2, 1, 6, 6) * 4
    ref = step_over_time(net, x)
    assert ref.sum() >= 5
    graph = nt.to_nir(net, torch.zeros(1, 1, 6, 6), dt=1.0)  # tau workaround
    assert [type(graph.nodes[k]).__name__ for k in ("0", "1", "2", "3")] == [
        "Conv2d", "LIF", "Conv2d", "LIF",
    ]  # fmt: skip
    assert torch.equal(_ours(graph, dt, x), ref)
