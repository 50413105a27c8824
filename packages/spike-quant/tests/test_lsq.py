import math

import pytest
import torch

from spike_quant import LSQQuantizer, QConv2d, QLinear, lsq_range


def test_ranges() -> None:
    assert lsq_range(4, True) == (8, 7)
    assert lsq_range(4, False) == (0, 15)
    assert lsq_range(16, True) == (2**15, 2**15 - 1)


@pytest.mark.parametrize("bits", [0, 17, -3, 2.5, True])
def test_bad_bits(bits: object) -> None:
    with pytest.raises(ValueError, match="bits"):
        LSQQuantizer(bits=bits)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bits"):
        QLinear(in_features=2, out_features=2, w_bits=bits)  # type: ignore[arg-type]


def test_signed_one_bit_rejected() -> None:
    with pytest.raises(ValueError, match="signed"):
        lsq_range(1, True)
    assert lsq_range(1, False) == (0, 1)


def test_nonpositive_step_raises() -> None:
    layer = QLinear(in_features=3, out_features=2).eval()  # eval: no first-step re-init
    with torch.no_grad():
        layer.weight_quant.step[0] = 0.0
    with pytest.raises(ValueError, match="step sizes must be positive"):
        layer(torch.randn(1, 3))
    with torch.no_grad():
        layer.weight_quant.step[0] = -1.0
    with pytest.raises(ValueError, match="step sizes"):
        layer.integer_weight()


def test_per_channel_codes_and_init_check4() -> None:
    torch.manual_seed(0)
    conv = QConv2d(in_channels=3, out_channels=5, kernel_size=3)
    conv.train()
    x = torch.randn(2, 3, 6, 6)
    conv(x)
    w = conv.weight.detach()
    expected = 2 * w.abs().mean() / math.sqrt(7)
    assert torch.allclose(conv.weight_quant.step.detach(), expected.expand(5))
    wq = conv.quantized_weight().detach()
    for o in range(5):
        a = conv.weight_quant.step[o].detach()
        vals = wq[o].unique()
        assert len(vals) <= 16
        codes = vals / a
        assert torch.allclose(codes, codes.round(), atol=1e-5)
        assert codes.min() >= -8 - 1e-5
        assert codes.max() <= 7 + 1e-5


def test_init_once_then_persist() -> None:
    layer = QLinear(in_features=4, out_features=3)
    layer.train()
    layer(torch.randn(2, 4))
    with torch.no_grad():
        layer.weight_quant.step.fill_(0.5)
    layer(torch.randn(2, 4))
    assert torch.all(layer.weight_quant.step == 0.5)


def test_step_gradient_is_scaled_lsq_gradient_check4() -> None:
    torch.manual_seed(1)
    w = torch.randn(4, 6, dtype=torch.float64) * 0.3
    q = LSQQuantizer(bits=4, per_channel=True, num_channels=4, init_from=w).double()
    q.init_state.fill_(1)
    with torch.no_grad():
        q.step.copy_(torch.tensor([0.05, 0.08, 0.11, 0.02], dtype=torch.float64))
    out = q(w)
    out.sum().backward()
    s = q.step.detach().view(4, 1)
    v = w / s
    analytic = torch.where(
        v <= -8,
        torch.full_like(v, -8.0),
        torch.where(v >= 7, torch.full_like(v, 7.0), v.round() - v),
    )
    g = 1 / math.sqrt(w.numel() * 7)
    assert torch.allclose(q.step.grad, analytic.sum(1) * g, atol=1e-12)


def test_weight_gradient_zero_outside_range() -> None:
    w = torch.tensor([[-10.0, -0.2, 0.1, 10.0]], requires_grad=True)
    q = LSQQuantizer(bits=4, per_channel=False, init_from=w.detach())
    with torch.no_grad():
        q.step.fill_(0.1)
    q.eval()
    q(w).sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0, 1.0, 0.0]]


def test_unsigned_and_per_tensor() -> None:
    x = torch.rand(3, 8)
    q = LSQQuantizer(bits=3, signed=False, per_channel=False, init_from=x)
    codes = q.integer_codes(x)
    assert codes.min() >= 0
    assert codes.max() <= 7
    assert q.step.numel() == 1


def test_device_dtype_and_meta() -> None:
    layer = QLinear(in_features=4, out_features=2).double()
    assert layer(torch.randn(3, 4, dtype=torch.float64)).dtype == torch.float64
    with torch.device("meta"):
        m = QLinear(in_features=4, out_features=2)
    assert m.weight.device.type == "meta"
