import math

import pytest
import torch

from spike_convert import (
    QuantAct,
    level_count_from_levels,
    levels_from_level_count,
    quantize,
    quantize_levels,
)


def test_unsigned_quantizer_check_1() -> None:
    x = torch.tensor([-1.0, 0.24, 0.25, 0.74, 0.75, 1.9, 5.0])
    assert quantize(x, 0.5, 0, 4).tolist() == [0.0, 0.0, 0.5, 0.5, 1.0, 2.0, 2.0]


def test_signed_quantizer_check_2() -> None:
    x = torch.tensor([-1.3, -0.26, -0.25, 0.2, 0.6])
    assert quantize(x, 0.5, -2, 2).tolist() == [-1.0, -0.5, 0.0, 0.0, 0.5]


def test_round_half_up_not_half_even() -> None:
    # x/s + 1/2 = 2.5 -> floor 2 ... x/s = 1.5 is a tie: half-up gives 2 where round() gives 2,
    # x/s = 2.5 gives 3 where torch.round gives 2.
    x = torch.tensor([0.5, 1.5, 2.5, -0.5]) * 0.25
    assert quantize_levels(x, 0.25, -4, 4).tolist() == [1.0, 2.0, 3.0, 0.0]


def test_ste_gradient_check_3() -> None:
    x = torch.tensor([-1.0, -0.2, 0.0, 0.3, 1.9, 2.2, 5.0], requires_grad=True)
    quantize(x, 0.5, 0, 4).sum().backward()
    level = torch.floor(x.detach() / 0.5 + 0.5)
    inside = ((level >= 0) & (level <= 4)).to(x.dtype)
    assert torch.equal(x.grad, inside)
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]


def test_lsq_step_gradient() -> None:
    step = torch.tensor(0.5, requires_grad=True)
    x = torch.tensor([0.3, 0.7, 10.0])
    quantize(x, step, 0, 4).sum().backward()
    # inside: floor(x/s + 1/2) - x/s; outside (clamped at 4): S_max
    expected = (1 - 0.6) + (1 - 1.4) + 4.0
    assert step.grad.item() == pytest.approx(expected)


def test_quantact_lsq_init_and_grad_scale() -> None:
    torch.manual_seed(0)
    q = QuantAct(levels=4)
    x = torch.randn(32, 8)
    q.train()
    y = q(x)
    assert q.step.item() == pytest.approx(2 * x.abs().mean().item() / 2.0)
    assert bool(q.initialized)
    y.sum().backward()
    raw = torch.tensor(q.step.item(), requires_grad=True)
    quantize(x, raw, 0, 4).sum().backward()
    assert q.step.grad.item() == pytest.approx(raw.grad.item() / math.sqrt(4 * x.numel()))


def test_quantact_forward_is_exact_level_times_step() -> None:
    q = QuantAct(levels=7, step=0.3).double().eval()
    x = torch.randn(100, dtype=torch.float64)
    s = q.step.detach()
    lv = torch.clamp(torch.floor(x / s + 0.5), 0, 7)
    assert torch.equal(q(x), lv * s)


def test_level_count_helpers() -> None:
    assert levels_from_level_count(16) == (0, 15)
    assert levels_from_level_count(16, signed=True) == (-8, 7)
    assert level_count_from_levels(0, 8) == 9
    with pytest.raises(ValueError, match="level_count"):
        levels_from_level_count(1)


def test_quantizer_errors() -> None:
    with pytest.raises(ValueError, match="s_max"):
        quantize(torch.zeros(2), 0.5, 0, 0)
    with pytest.raises(ValueError, match="s_min"):
        quantize(torch.zeros(2), 0.5, 1, 4)
    with pytest.raises(ValueError, match="step"):
        quantize(torch.zeros(2), -0.5, 0, 4)
    with pytest.raises(TypeError, match="x"):
        quantize(torch.zeros(2, dtype=torch.long), 0.5, 0, 4)
    with pytest.raises(ValueError, match="NaN"):
        QuantAct(levels=4, step=0.5)(torch.tensor([float("nan")]))
