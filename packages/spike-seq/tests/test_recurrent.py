"""Spiking recurrent layers: dynamics against hand loops, state threading, gradients, errors."""

from __future__ import annotations

import pytest
import torch

from spike_seq import (
    RecurrentALIF,
    RecurrentALIFCell,
    RecurrentLIF,
    RecurrentLIFCell,
    SpikingGRU,
    SpikingGRUCell,
)


def test_recurrent_lif_matches_hand_loop() -> None:
    torch.manual_seed(0)
    layer = RecurrentLIF(input_size=3, hidden_size=4, tau_mem=2.0, backend="torch")
    x = torch.randn(6, 2, 3) * 3
    out = layer(x)
    W, b, U = layer.input.weight, layer.input.bias, layer.recurrent.weight
    v = torch.zeros(2, 4)
    s = torch.zeros(2, 4)
    ref = []
    for t in range(6):
        h = v + 0.5 * (x[t] @ W.T + b + s @ U.T - v)
        s = (h >= 1.0).float()
        v = h * (1 - s)
        ref.append(s)
    torch.testing.assert_close(out, torch.stack(ref).detach())
    assert out.sum() > 0


@pytest.mark.parametrize(
    ("multi", "cell"),
    [
        (RecurrentLIF, RecurrentLIFCell),
        (RecurrentALIF, RecurrentALIFCell),
        (SpikingGRU, SpikingGRUCell),
    ],
)
def test_multistep_equals_cell_and_chunks(multi, cell) -> None:
    torch.manual_seed(1)
    layer = multi(input_size=3, hidden_size=5)
    one = cell(input_size=3, hidden_size=5)
    one.load_state_dict(layer.state_dict())
    x = torch.randn(7, 2, 3) * 2
    full, st_full = layer(x, return_state=True)
    a, st = layer(x[:3], return_state=True)
    b = layer(x[3:], st)
    assert torch.equal(torch.cat([a, b]), full)
    st, outs = None, []
    for t in range(7):
        s, st = one(x[t], st)
        outs.append(s)
    assert torch.equal(torch.stack(outs), full)
    for f, g in zip(st, st_full, strict=True):
        torch.testing.assert_close(f, g)
    assert set(full.unique().tolist()) <= {0.0, 1.0}
    full.sum().backward()
    assert layer.input.weight.grad is not None
    assert torch.isfinite(layer.input.weight.grad).all()
    assert layer.input.weight.grad.abs().sum() > 0


def test_alif_adaptation_raises_threshold() -> None:
    torch.manual_seed(0)
    layer = RecurrentALIF(
        input_size=1, hidden_size=1, tau_mem=2.0, beta_adapt=2.0, tau_adapt=50.0, bias=False
    )
    with torch.no_grad():
        layer.input.weight.fill_(3.0)
        layer.recurrent.weight.zero_()
    plain = RecurrentLIF(input_size=1, hidden_size=1, tau_mem=2.0, bias=False)
    plain.load_state_dict(
        {"input.weight": layer.input.weight, "recurrent.weight": layer.recurrent.weight}
    )
    x = torch.ones(8, 1, 1)
    assert layer(x).sum() < plain(x).sum()


def test_gru_gate_equations() -> None:
    torch.manual_seed(2)
    cell = SpikingGRUCell(input_size=2, hidden_size=3)
    x = torch.randn(4, 2)
    st = cell.init_state(x)
    st = st._replace(v=torch.rand(4, 3), s=(torch.rand(4, 3) > 0.5).float())
    s, new = cell(x, st)
    xin = cell.input(x)
    H = 3
    uz, ur, ui = cell.recurrent.weight.split(H)
    z = torch.sigmoid(xin[:, :H] + st.s @ uz.T)
    r = torch.sigmoid(xin[:, H : 2 * H] + st.s @ ur.T)
    h = z * st.v + (1 - z) * (xin[:, 2 * H :] + (r * st.s) @ ui.T)
    torch.testing.assert_close(s, (h >= 1.0).float())
    torch.testing.assert_close(new.v, h - s)


def test_errors() -> None:
    layer = RecurrentLIF(input_size=3, hidden_size=4)
    with pytest.raises(ValueError, match=r"\[T, B, C\]"):
        layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="C=3"):
        layer(torch.zeros(2, 1, 5))
    with pytest.raises(TypeError, match="floating"):
        layer(torch.zeros(2, 1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="NaN"):
        layer(torch.full((2, 1, 3), float("nan")))
    with pytest.raises(ValueError, match=r"state\.v"):
        layer(torch.zeros(2, 1, 3), layer.init_state(torch.zeros(2, 3)))
    with pytest.raises(ValueError, match="hidden_size"):
        SpikingGRU(input_size=3, hidden_size=0)
