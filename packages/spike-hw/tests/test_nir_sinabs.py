"""Interop with Sinabs (SynSense; ``sinabs.nir``) in the same run.

Sinabs is pinned to 1.2.x in the ``test`` extra: 2.x and 3.x require ``samna`` (whose PyPI
release is a stub that pip-installs the real package from SynSense's GitLab index when imported)
and 3.x also pins ``nir<=1.0.4``, which would downgrade the workspace's ``nir``/``nirtorch``.
The ``sinabs.nir`` converter of 1.2.10 is the one of 3.1.3 up to formatting.

Sinabs counts time in steps (no ``dt``) and integrates leaky neurons exactly
(``v <- e^{-1/tau} v + ...``). Its neurons default to multi-spikes (``floor(v / threshold)``
per step) with reset by subtraction and fire at ``v >= threshold``; its importer and exporter
keep those defaults whatever the NIR graph says (``*_peer_bug`` tests pin this). Sinabs layers
run on ``[B * T, ...]`` (batch-major, time folded into the batch): converted at the boundary.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("nir")
pytest.importorskip("nirtorch")
sinabs = pytest.importorskip("sinabs")

import sinabs.layers as sl  # noqa: E402
from sinabs.activation import MembraneReset, SingleSpike  # noqa: E402
from sinabs.nir import from_nir as sinabs_from_nir  # noqa: E402
from sinabs.nir import to_nir as sinabs_to_nir  # noqa: E402

from spike_core import IF, LIF, SeqToBatch  # noqa: E402
from spike_hw import from_nir, to_nir  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:nirtorch.*deprecated:DeprecationWarning")

B = 2


def _run_sinabs(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run a Sinabs network (``[B * T, ...]`` layout) on time-major ``x`` ``[T, B, ...]``."""
    t, b = x.shape[:2]
    sinabs.reset_states(net)
    with torch.no_grad():
        out = net(x.transpose(0, 1).reshape(b * t, *x.shape[2:]))
    out = out[0] if isinstance(out, tuple) else out
    return out.reshape(b, t, *out.shape[1:]).transpose(0, 1).float()


def _ours(graph: object, dt: float, x: torch.Tensor, scheme: str = "euler") -> torch.Tensor:
    with torch.no_grad():
        return from_nir(graph, dt=dt, scheme=scheme)(x)


def _positive_linear(n_in: int, n_out: int) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    with torch.no_grad():
        lin.weight.abs_()
        lin.bias.abs_()
    return lin


def test_sinabs_iaf_export_imported_by_us() -> None:
    """Binary, hard-reset ``IAF`` -> NIR ``IF(r = 1)``: with ``dt = 1`` (a step) same spikes."""
    torch.manual_seed(30)
    iaf = sl.IAFSqueeze(batch_size=B, spike_fn=SingleSpike, reset_fn=MembraneReset())
    net = nn.Sequential(_positive_linear(4, 3), iaf)
    x = torch.rand(8, B, 4)
    ref = _run_sinabs(net, x)
    assert ref.sum() >= 5
    graph = sinabs_to_nir(net, torch.zeros(B, 4))
    assert type(graph.nodes["1"]).__name__ == "IF"
    assert torch.equal(_ours(graph, 1.0, x), ref)


@pytest.mark.parametrize("tau_steps", [2.0, 5.0])
def test_sinabs_lif_export_is_exact_integration(tau_steps: float) -> None:
    """Sinabs' ``LIF`` (``norm_input=True``) is NIR ``LIF`` integrated exactly, tau in steps.

    ``v <- a v + (1 - a) I`` with ``a = e^{-1/tau}`` is the exact one-step solution of
    ``tau dv/dt = -v + I`` with the input held: imported with ``dt = 1`` and
    ``scheme="exact"`` we give Sinabs' spikes; forward Euler (``a = 1 - 1/tau``) does not.
    """
    torch.manual_seed(31)
    lif = sl.LIFSqueeze(
        tau_mem=tau_steps, batch_size=B, spike_fn=SingleSpike, reset_fn=MembraneReset()
    )
    net = nn.Sequential(_positive_linear(4, 3), lif)
    x = torch.rand(8, B, 4) * 6
    ref = _run_sinabs(net, x)
    assert ref.sum() >= 5
    graph = sinabs_to_nir(net, torch.zeros(B, 4))
    assert np.allclose(np.asarray(graph.nodes["1"].tau), tau_steps)
    assert torch.equal(_ours(graph, 1.0, x, scheme="exact"), ref)
    assert not torch.equal(_ours(graph, 1.0, x), ref)


def test_sinabs_default_iaf_export_drops_soft_reset_and_multispikes_peer_bug() -> None:
    """Sinabs' default ``IAF`` (reset by subtraction, multi-spikes) is exported as a hard-reset IF.

    NIR has no subtractive reset, so the graph cannot hold this neuron; Sinabs writes it anyway
    (``v_reset = 0``). Our faithful import therefore fires less; with inputs below the threshold
    per step (no double spikes) Sinabs equals our soft-reset IF, and with larger inputs it emits
    spike counts above 1, which NIR spikes cannot carry.
    """
    torch.manual_seed(32)
    lin = _positive_linear(4, 3)
    net = nn.Sequential(lin, sl.IAFSqueeze(batch_size=B))
    with torch.no_grad():
        lin.weight.mul_(0.45)  # |w| <= 0.225: lin(x) < 1 for x in [0, 1)
        lin.bias.zero_()
    x = torch.rand(16, B, 4)  # lin(x) < 1 = threshold each step
    ref = _run_sinabs(net, x)
    graph = sinabs_to_nir(net, torch.zeros(B, 4))
    assert np.all(np.asarray(graph.nodes["1"].v_reset) == 0)
    with torch.no_grad():
        soft = nn.Sequential(SeqToBatch(lin), IF(reset="soft"))(x)
    assert torch.equal(ref, soft)
    assert not torch.equal(_ours(graph, 1.0, x), ref)
    assert _run_sinabs(net, x * 20).max() > 1


def test_sinabs_import_of_our_if_uses_soft_reset_peer_bug() -> None:
    """Sinabs imports NIR ``IF`` (reset to ``v_reset``) as its subtract-reset ``IAFSqueeze``.

    Our hard-reset IF layer fires less than Sinabs' import of it; Sinabs' spikes equal our
    soft-reset IF (inputs below the threshold per step, so no multi-spikes).
    """
    torch.manual_seed(33)
    dt = 1e-3
    lin = _positive_linear(4, 3)
    with torch.no_grad():
        lin.weight.mul_(0.45)  # |w| <= 0.225: lin(x) < 1 for x in [0, 1)
        lin.bias.zero_()
    mine = nn.Sequential(SeqToBatch(lin), IF())
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    theirs = sinabs_from_nir(graph, batch_size=B)
    x = torch.rand(16, B, 4)
    got = _run_sinabs(theirs, x)
    with torch.no_grad():
        ours = mine(x)
        soft = nn.Sequential(SeqToBatch(lin), IF(reset="soft"))(x)
    assert got.sum() > ours.sum()
    assert torch.equal(got, soft)


def test_sinabs_import_reads_tau_as_steps_peer_bug() -> None:
    """Sinabs reads NIR ``tau`` (seconds) as a number of steps and ignores ``dt`` and ``r``.

    Our LIF with ``tau = 4 ms`` at ``dt = 1 ms`` becomes ``LIFSqueeze(tau_mem=0.004)``, whose
    decay ``e^{-1/0.004}`` is 0: the imported neuron has no memory and emits
    ``floor(I / threshold)`` spikes every step (multi-spikes), unlike ours.
    """
    torch.manual_seed(34)
    dt = 1e-3
    lin = _positive_linear(4, 3)
    mine = nn.Sequential(SeqToBatch(lin), LIF(tau_mem=4 * dt, dt=dt))
    graph = to_nir(mine, input_shape=(4,), dt=dt)
    theirs = sinabs_from_nir(graph, batch_size=B)
    assert float(theirs.get_submodule("1").tau_mem[0]) == pytest.approx(4e-3)
    x = torch.rand(8, B, 4) * 2
    got = _run_sinabs(theirs, x)
    with torch.no_grad():
        ours = mine(x)
        memoryless = torch.floor(lin(x).clamp(min=0))
    assert torch.equal(got, memoryless)
    assert got.max() > 1
    assert not torch.equal(got, ours)
