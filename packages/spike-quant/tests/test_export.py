import copy

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from spike_core import LIF, IntLIF, SeqToBatch
from spike_quant import IELIF, MultiSpike, QLinear, export_integer, integer_forward, quantize


def _conv_net(seed: int, bn: bool = True) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = [SeqToBatch(nn.Conv2d(1, 4, 3, padding=1, stride=2))]
    if bn:
        layers.append(SeqToBatch(nn.BatchNorm2d(4)))
    layers += [
        IELIF(),
        SeqToBatch(nn.Conv2d(4, 3, 3, groups=1)),
        MultiSpike(),
        SeqToBatch(nn.Flatten()),
        nn.Linear(12, 5),
    ]
    net = quantize(nn.Sequential(*layers), bits=4)
    if bn:  # non-trivial running statistics
        bnm = net[1].module
        bnm.running_mean.uniform_(-0.2, 0.2)
        bnm.running_var.uniform_(0.5, 2.0)
        bnm.weight.data.uniform_(0.5, 1.5)
        bnm.bias.data.uniform_(-0.1, 0.3)
    return net.eval()


@pytest.mark.parametrize("bn", [False, True])
def test_exact_integer_forward_equals_fake_quant_float64_bit_for_bit(bn: bool) -> None:
    net = _conv_net(0, bn)
    x = torch.randint(0, 17, (2, 3, 1, 8, 8))
    exp = export_integer(net, input_scale=1 / 16)
    res = integer_forward(exp, x)
    with torch.no_grad():
        ref = net.double()(x.double() / 16)
    assert torch.equal(res["output"], ref)
    assert res["counts"][0].dtype == torch.int64
    assert len(res["accumulators"]) == 3


# float32 weight and step whose float32 quotient rounds to -4, the float64 one to -3
_W, _S = -0.45857951045036316, 0.13102272152900696


def test_integer_codes_are_those_of_the_float64_forward_at_a_rounding_boundary() -> None:
    # The docs example failed once in CI on such a weight: the export took codes from a float32
    # quotient, the float64 reference from a float64 one.
    w32, s32 = torch.tensor(_W), torch.tensor(_S)
    assert float(torch.round(w32 / s32)) == -4.0  # the premise: the two quotients disagree
    assert float(torch.round(w32.double() / s32.double())) == -3.0
    layer = QLinear(in_features=1, out_features=1, bias=False, w_bits=4).eval()
    with torch.no_grad():
        layer.weight.fill_(_W)
        layer.weight_quant.step.fill_(_S)
    assert int(layer.integer_weight()) == -3  # from the float32 layer
    net = nn.Sequential(layer)
    exp = export_integer(net, input_scale=1.0)  # exported from the float32 model
    assert int(exp["layers"][0]["weight"]) == -3
    ref = copy.deepcopy(net).double()
    x = torch.ones(1, 1, 1)
    with torch.no_grad():
        assert float(ref[0].quantized_weight()) == -3 * _S
        assert torch.equal(integer_forward(exp, x)["output"], ref(x.double()))


def test_export_is_plain_integers_plus_scales() -> None:
    exp = export_integer(_conv_net(1))
    kinds = [layer["kind"] for layer in exp["layers"]]
    assert kinds == [
        "conv2d",
        "batchnorm",
        "int_neuron",
        "conv2d",
        "int_neuron",
        "flatten",
        "linear",
    ]
    conv = exp["layers"][0]
    assert conv["weight"].dtype == torch.int32
    assert int(conv["weight"].min()) >= -8
    assert int(conv["weight"].max()) <= 7
    assert conv["scale"].dtype == torch.float64
    assert conv["stride"] == [2, 2]
    assert exp["layers"][2] == {
        "kind": "int_neuron",
        "name": "2",
        "levels": 4,
        "input_scale": 4.0,
        "norm": 4.0,
        "rounding": "half_up",
    }


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.integers(1, 3))
def test_fixed_point_agrees_with_exact(seed: int, t: int) -> None:
    net = _conv_net(seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 17, (t, 2, 1, 8, 8), generator=g)
    exp = export_integer(net, input_scale=1 / 16)
    a = integer_forward(exp, x)
    b = integer_forward(exp, x, arithmetic="fixed", frac_bits=32)
    for ca, cb in zip(a["counts"], b["counts"], strict=True):
        assert torch.equal(ca, cb)
    assert torch.allclose(a["output"], b["output"], atol=1e-6)


def test_export_errors() -> None:
    with pytest.raises(TypeError, match=r"'1'.*LIF"):
        export_integer(nn.Sequential(QLinear(in_features=2, out_features=2), LIF()))
    with pytest.raises(ValueError, match="beta"):
        export_integer(nn.Sequential(QLinear(in_features=2, out_features=2), IntLIF(beta=0.5)))
    with pytest.raises(ValueError, match="input_scale"):
        export_integer(nn.Sequential(), input_scale=0.0)
    exp = export_integer(nn.Sequential(QLinear(in_features=2, out_features=2)))
    with pytest.raises(ValueError, match="integer codes"):
        integer_forward(exp, torch.full((1, 1, 2), 0.5))
    with pytest.raises(ValueError, match="arithmetic"):
        integer_forward(exp, torch.ones(1, 1, 2), arithmetic="float")
    with pytest.raises(ValueError, match="export must be"):
        integer_forward({"layers": []}, torch.ones(1, 1, 2))
    with pytest.raises(ValueError, match="time-major"):
        integer_forward(exp, torch.ones(2))
