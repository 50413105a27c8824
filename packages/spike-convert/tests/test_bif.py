import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spike_convert import BIF, BIFCell, BIFState, quantize, quantize_levels
from spike_core import SpikeMonitor


def _run(charges: list[float], extra: int = 6, dtype=torch.float64):
    bif = BIF(v_threshold=0.5, s_max=4).to(dtype)
    x = torch.tensor([*charges] + [0.0] * extra, dtype=dtype).view(-1, 1)
    out, state = bif(x, return_state=True)
    return (out / 0.5).flatten().tolist(), state


@pytest.mark.parametrize(
    ("charges", "spikes", "count", "v"),
    [
        ([0.75], [1, 1], 2, 0.0),  # check 4
        ([1.2, -0.9], [1, 0], 1, 0.05),  # check 5
        ([1.2, -1.2], [1, -1], 0, 0.25),  # check 6
        ([2.0, 0.0, -1.6], [1, 1, -1], 1, 0.15),  # check 7
        ([10.0], [1, 1, 1, 1], 4, 8.25),  # check 8
    ],
)
def test_bif_traces_checks_4_to_8(charges, spikes, count, v) -> None:
    got, state = _run(charges)
    assert got[: len(spikes)] == spikes
    assert all(s == 0 for s in got[len(spikes) :])
    assert state.counter.item() == count
    assert state.v.item() == pytest.approx(v, abs=1e-12)
    total = sum(s * 0.5 for s in got)
    assert total == quantize(torch.tensor(sum(charges), dtype=torch.float64), 0.5, 0, 4).item()


def test_ties_check_10() -> None:
    assert _run([0.25])[1].counter.item() == 1
    assert _run([-0.25])[1].counter.item() == 0
    bif = BIF(v_threshold=0.5, s_min=-4, s_max=4).double()
    _, st_ = bif(torch.tensor([[-0.25], [0.0], [0.0]], dtype=torch.float64), return_state=True)
    assert st_.counter.item() == 0  # floor(-0.5 + 0.5) = 0: negative uses strict < 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=6),
    st.integers(-4, 0),
    st.integers(1, 6),
)
def test_charge_conservation_and_fixed_point_checks_9(charges, s_min, s_max) -> None:
    theta = 0.375
    bif = BIF(v_threshold=theta, s_min=s_min, s_max=s_max).double()
    x = torch.tensor(charges, dtype=torch.float64).view(-1, 1)
    state = bif.init_state(x[0])
    seq = torch.cat([x, x.new_zeros(2 * (s_max - s_min) + 2, 1)])
    total = 0.0
    counts = []
    for i, xi in enumerate(seq):
        out, state = bif.step(xi, state)
        total += float(xi)
        # invariant: v + theta S = theta/2 + sum I
        assert float(state.v + theta * state.counter) == pytest.approx(theta / 2 + total, abs=1e-12)
        assert abs(float(out)) in (0.0, theta)  # at most one spike per step (check property 2)
        counts.append(float(state.counter))
        if i >= len(charges) and i > 0 and float(out) == 0.0:
            # once quiet after the input ended, it stays quiet
            _, nxt = bif.step(xi * 0, state)
            assert torch.equal(nxt.counter, state.counter)
    expected = quantize_levels(torch.tensor(sum(charges), dtype=torch.float64), theta, s_min, s_max)
    assert counts[-1] == pytest.approx(float(expected))
    s = counts[-1]
    v = float(state.v)
    if s_min < s < s_max:
        assert -1e-12 <= v < theta + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 20, allow_nan=False), st.floats(-5, 5, allow_nan=False))
def test_monotone_settling_single_sign_after_input(a, b) -> None:
    bif = BIF(v_threshold=0.5, s_max=8).double()
    x = torch.tensor([[a], [b]], dtype=torch.float64)
    out = bif(x, until_quiet=True)
    tail = out[2:].flatten()
    assert not ((tail > 0).any() and (tail < 0).any())
    assert out.shape[0] <= 2 + 8  # quiet within S_max - S_min further steps


def test_truncation_error_check_13() -> None:
    torch.manual_seed(0)
    theta, L = 0.25, 6
    bif = BIF(v_threshold=theta, s_max=L).double()
    x = torch.rand(1, 50, dtype=torch.float64) * 2.0
    s_star = quantize_levels(x[0], theta, 0, L)
    for T in range(1, L + 2):
        seq = torch.cat([x, x.new_zeros(T - 1, 50)])
        out, state = bif(seq, return_state=True)
        err = quantize(x[0], theta, 0, L) - out.sum(0)
        assert torch.allclose(err, theta * (s_star - state.counter))
        if T < L:
            assert torch.equal(state.counter, torch.minimum(s_star, torch.full_like(s_star, T)))
        else:
            assert torch.equal(err, torch.zeros_like(err))  # T >= L: exact for any input


def test_until_quiet_and_cap() -> None:
    bif = BIF(v_threshold=0.5, s_max=4)
    out = bif(torch.tensor([[10.0]]), until_quiet=True)
    assert out.shape[0] == 4
    assert bif.last_quiet
    out = bif(torch.tensor([[10.0]]), until_quiet=True, t_max=2)
    assert out.shape[0] == 2
    assert not bif.last_quiet
    with pytest.raises(ValueError, match="t_max"):
        bif(torch.zeros(3, 1), until_quiet=True, t_max=2)


def test_unit_spikes_and_cell() -> None:
    cell = BIFCell(v_threshold=0.5, s_max=4, weighted=False)
    s, state = cell(torch.tensor([0.75, -1.0]))
    assert s.tolist() == [1.0, 0.0]
    assert isinstance(state, BIFState)
    assert state.v.tolist() == [0.5, -0.75]


def test_spike_monitor_sees_bif() -> None:
    net = torch.nn.Sequential(BIF(v_threshold=0.5, s_max=4, weighted=False))
    with SpikeMonitor(net) as mon:
        net(torch.tensor([[0.75, 10.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]))
    assert mon.stats["0"].nonzero == 6


def test_bif_errors() -> None:
    with pytest.raises(ValueError, match="v_threshold"):
        BIF(v_threshold=0.0)
    with pytest.raises(ValueError, match="s_max"):
        BIF(s_max=0)
    with pytest.raises(ValueError, match="s_min"):
        BIF(s_min=1)
    with pytest.raises(ValueError, match="x_seq"):
        BIF()(torch.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        BIF()(torch.full((2, 1), float("nan")))
