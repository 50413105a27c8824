"""Neuron dynamics: single-step vs multi-step, streaming, closed-form checks, integer expansion."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from spike_core import (
    ALIF,
    IF,
    LI,
    LIF,
    PLIF,
    ALIFCell,
    CubaLIF,
    CubaLIFCell,
    IFCell,
    IntLIF,
    IntLIFCell,
    LICell,
    LIFCell,
    PLIFCell,
    expand_to_binary,
    int_spike,
    list_surrogates,
    simulate,
)

PAIRS = [
    (LIFCell, LIF, {"tau_mem": 3.0}),
    (LIFCell, LIF, {"tau_mem": 3.0, "reset": "soft", "decay_input": False}),
    (LIFCell, LIF, {"tau_mem": 2.0, "reset": "none", "v_leak": 0.2}),
    (LIFCell, LIF, {"beta": 0.8, "detach_reset": True, "surrogate": "erf"}),
    (IFCell, IF, {"reset": "soft", "surrogate": "triangle"}),
    (PLIFCell, PLIF, {"init_tau": 2.5, "surrogate": "sigmoid"}),
    (CubaLIFCell, CubaLIF, {"tau_syn": 3.0, "tau_mem": 4.0, "surrogate": "fast-sigmoid"}),
    (ALIFCell, ALIF, {"tau_mem": 4.0, "tau_adapt": 10.0, "beta_adapt": 0.5, "reset": "soft"}),
    (IntLIFCell, IntLIF, {"levels": 4, "beta": 0.25}),
    (LICell, LI, {"tau_mem": 3.0}),
]


def _run_cell(cell: nn.Module, x_seq: torch.Tensor) -> torch.Tensor:
    state = None
    out = []
    for x in x_seq:
        s, state = cell(x, state)
        out.append(s)
    return torch.stack(out)


@pytest.mark.parametrize(("cell_cls", "layer_cls", "kwargs"), PAIRS)
@pytest.mark.parametrize("T", [1, 6])
def test_cell_loop_equals_multistep(cell_cls, layer_cls, kwargs, T: int) -> None:
    x = (torch.randn(T, 3, 5) * 2 + 0.5).requires_grad_(True)
    cell, layer = cell_cls(**kwargs), layer_cls(**kwargs, backend="torch")
    layer.load_state_dict(cell.state_dict())
    a = _run_cell(cell, x)
    torch.manual_seed(0)
    ga = torch.autograd.grad((a * torch.randn_like(a)).sum(), [x, *cell.parameters()])
    torch.manual_seed(0)
    b = layer(x)
    torch.manual_seed(0)
    gb = torch.autograd.grad((b * torch.randn_like(b)).sum(), [x, *layer.parameters()])
    torch.testing.assert_close(b, a, atol=1e-6, rtol=0)
    for u, v in zip(ga, gb, strict=True):
        torch.testing.assert_close(v, u, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(("cell_cls", "layer_cls", "kwargs"), PAIRS)
def test_streaming_halves_equal_whole(cell_cls, layer_cls, kwargs) -> None:
    del cell_cls
    layer = layer_cls(**kwargs, backend="torch")
    x = torch.randn(8, 2, 4) * 2 + 0.5
    whole, final = layer(x, return_state=True)
    first, mid = layer(x[:3], return_state=True)
    second, final2 = layer(x[3:], mid, return_state=True)
    torch.testing.assert_close(torch.cat([first, second]), whole)
    for u, v in zip(final, final2, strict=True):
        torch.testing.assert_close(v, u)


def test_multistep_is_pure_across_calls() -> None:
    lif = LIF(tau_mem=2.0)
    x = torch.rand(5, 2, 3) * 3
    torch.testing.assert_close(lif(x), lif(x))


def test_lif_closed_form_subthreshold() -> None:
    # With reset "none", v_t = sum_k (1-k)^(t-k) k x (decay_input) for a constant input.
    tau, x0 = 4.0, 0.5
    lif = LIF(tau_mem=tau, reset="none", v_threshold=100.0)
    _, states = simulate(lif, torch.full((6, 1, 1), x0))
    k = 1 / tau
    expected = torch.tensor([x0 * (1 - (1 - k) ** (t + 1)) for t in range(6)])
    torch.testing.assert_close(states.v.flatten(), expected)


def test_soft_reset_keeps_excess_and_hard_reset_discards_it() -> None:
    x = torch.tensor([[[1.7]]])
    _, soft = simulate(IF(reset="soft"), x)
    _, hard = simulate(IF(reset="hard", v_reset=-0.1), x)
    assert soft.v.item() == pytest.approx(0.7)
    assert hard.v.item() == pytest.approx(-0.1)


def test_cuba_current_filters_input() -> None:
    cuba = CubaLIF(tau_syn=2.0, tau_mem=2.0, v_threshold=100.0)
    x = torch.zeros(4, 1, 1)
    x[0] = 1.0
    _, st = simulate(cuba, x)
    torch.testing.assert_close(st.i.flatten(), torch.tensor([1.0, 0.5, 0.25, 0.125]))
    # v' = v + 0.5 (i' - v)
    torch.testing.assert_close(st.v.flatten(), torch.tensor([0.5, 0.5, 0.375, 0.25]))


def test_alif_threshold_adapts_and_lowers_rate() -> None:
    x = torch.full((40, 1, 1), 1.6)
    lif_rate = LIF(tau_mem=2.0, reset="soft")(x).mean()
    alif_rate = ALIF(tau_mem=2.0, reset="soft", tau_adapt=20.0, beta_adapt=0.5)(x).mean()
    assert 0 < alif_rate < lif_rate


def test_int_spike_rounding_and_ste() -> None:
    u = torch.tensor([0.49, 0.5, 1.5, 2.5, 3.6, 7.0, -2.0], requires_grad=True)
    k = int_spike(u, 4)
    assert k.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 4.0, 0.0]
    assert int_spike(u.detach(), 4, "half_even").tolist() == [0.0, 0.0, 2.0, 2.0, 4.0, 4.0, 0.0]
    k.sum().backward()
    assert u.grad.tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("beta", [0.0, 0.25])
def test_int_lif_binary_expansion_gives_same_linear_output(beta: float) -> None:
    D = 4
    neuron = IntLIF(levels=D, beta=beta)
    linear = nn.Linear(6, 3)
    x = torch.randn(5, 2, 6) * 3
    counts = neuron(x)
    assert counts.max() <= D
    assert counts.min() >= 0
    dense = linear(counts)
    binary = expand_to_binary(counts, D)  # [D, T, B, 6]
    assert set(binary.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(binary.sum(0), counts)
    accumulated = (binary @ linear.weight.T).sum(0) + linear.bias
    torch.testing.assert_close(accumulated, dense, atol=1e-5, rtol=0)


def test_int_lif_normalised_output_and_state() -> None:
    ie = IntLIF(levels=4, input_scale=4.0, norm=4.0)
    out = ie(torch.tensor([[0.1], [0.3], [2.0]]))
    assert out.flatten().tolist() == [0.0, 0.25, 1.0]
    leaky = IntLIF(levels=4, beta=0.5)
    _, st = simulate(leaky, torch.tensor([[1.4], [0.0]]))
    assert st.h.flatten().tolist() == pytest.approx([0.2, 0.1])


def test_expand_to_binary_rejects_non_integers() -> None:
    with pytest.raises(ValueError, match="spikes must hold integers"):
        expand_to_binary(torch.tensor([0.5]), 4)
    with pytest.raises(ValueError, match="levels"):
        expand_to_binary(torch.tensor([1.0]), 0)


@pytest.mark.parametrize("surrogate", list_surrogates())
def test_every_surrogate_runs_in_lif(surrogate: str) -> None:
    x = (torch.rand(4, 2, 3) * 3).requires_grad_(True)
    LIF(surrogate=surrogate)(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_dtype_and_device_follow_input() -> None:
    x = torch.rand(3, 2, 4, dtype=torch.float64) * 3
    for layer in (LIF(), IF(), PLIF(), CubaLIF(), ALIF(), IntLIF(), LI()):
        y = layer.double() if isinstance(layer, PLIF) else layer
        assert y(x).dtype == torch.float64
