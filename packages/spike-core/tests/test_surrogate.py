from __future__ import annotations

import math

import pytest
import torch

from spike_core import get_surrogate, list_surrogates, spike_fn


@pytest.mark.parametrize("name", list_surrogates())
def test_forward_is_exact_heaviside(name: str) -> None:
    x = torch.tensor([-1.0, -1e-7, 0.0, 1e-7, 2.0])
    assert get_surrogate(name)(x).tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", list_surrogates())
def test_backward_uses_derivative_and_integrates_to_one(name: str) -> None:
    sg = get_surrogate(name)
    x = torch.linspace(-3, 3, 101, requires_grad=True)
    sg(x).sum().backward()
    torch.testing.assert_close(x.grad, sg.derivative(x.detach()))
    grid = torch.linspace(-400, 400, 800_001, dtype=torch.float64)
    area = torch.trapezoid(sg.derivative(grid), grid).item()
    # Every surrogate is the derivative of a smooth step from 0 to 1 (fast-sigmoid: 2/alpha).
    expected = 2 / sg.param if name == "fast-sigmoid" else 1.0
    assert area == pytest.approx(expected, rel=5e-3)


def test_known_values() -> None:
    assert get_surrogate("atan", alpha=2.0).derivative(torch.tensor(0.0)).item() == pytest.approx(
        1.0
    )
    assert get_surrogate("sigmoid", alpha=4.0).derivative(
        torch.tensor(0.0)
    ).item() == pytest.approx(1.0)
    assert get_surrogate("erf", alpha=2.0).derivative(torch.tensor(0.0)).item() == pytest.approx(
        2 / math.sqrt(math.pi)
    )
    assert get_surrogate("rectangular", width=0.5).derivative(
        torch.tensor([0.2, 0.3])
    ).tolist() == [2.0, 0.0]
    assert get_surrogate("superspike").name == "fast-sigmoid"


def test_spike_fn_and_instance_passthrough() -> None:
    sg = get_surrogate("triangle", width=2.0)
    assert get_surrogate(sg) is sg
    assert spike_fn(torch.tensor([0.5]), sg).item() == 1.0
    with pytest.raises(ValueError, match="width must be positive"):
        get_surrogate("triangle", width=0.0)
