import pytest
import torch
from torch import nn

from spike_core import LIF, SeqToBatch
from spike_quant import (
    IELIF,
    MultiSpike,
    QConv1d,
    QConv2d,
    QConv3d,
    QLinear,
    quantize,
    quantized_layers,
)


def _net() -> nn.Module:
    return nn.Sequential(
        SeqToBatch(nn.Conv2d(2, 4, 3, padding=1)),
        LIF(tau_mem=2.0, backend="torch"),
        SeqToBatch(nn.BatchNorm2d(4)),
        SeqToBatch(nn.Flatten()),
        nn.Linear(64, 3),
    )


def test_swaps_layers_and_keeps_rest() -> None:
    torch.manual_seed(0)
    net = _net()
    w = net[0].module.weight.detach().clone()
    quantize(net, bits=4)
    assert isinstance(net[0].module, QConv2d)
    assert isinstance(net[4], QLinear)
    assert isinstance(net[1], LIF)
    assert isinstance(net[2].module, nn.BatchNorm2d)
    assert torch.equal(net[0].module.weight, w)
    step = net[0].module.weight_quant.step
    assert torch.allclose(step, (2 * w.abs().mean() / 7**0.5).expand(4))
    out = net(torch.randn(2, 1, 2, 4, 4))
    assert out.shape == (2, 1, 3)
    assert len(quantized_layers(net)) == 2


def test_neuron_replacement_and_all_conv_kinds() -> None:
    net = nn.Sequential(
        nn.Conv1d(2, 3, 3),
        nn.Conv3d(2, 2, 1),
        LIF(backend="torch"),
        nn.Sequential(LIF(backend="torch")),
    )
    quantize(net, bits=8, neurons="ie_lif")
    assert isinstance(net[0], QConv1d)
    assert isinstance(net[1], QConv3d)
    assert net[0].w_bits == 8
    assert isinstance(net[2], IELIF)
    assert isinstance(net[3][0], IELIF)
    net2 = quantize(nn.Sequential(LIF(backend="torch")), neurons="multispike")
    assert isinstance(net2[0], MultiSpike)


def test_bare_layer_and_skip_and_idempotent() -> None:
    q = quantize(nn.Linear(3, 2), bits=3)
    assert isinstance(q, QLinear)
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
    quantize(net, skip=("1",))
    assert isinstance(net[0], QLinear)
    assert type(net[1]) is nn.Linear
    first = net[0]
    quantize(net)
    assert net[0] is first


@pytest.mark.parametrize("bits", [0, 1, 17])
def test_bad_bits(bits: int) -> None:
    with pytest.raises(ValueError, match="bits"):
        quantize(nn.Linear(2, 2), bits=bits)


def test_unsupported_layers_raise_naming_them() -> None:
    net = nn.Sequential(nn.Linear(2, 2), nn.ConvTranspose2d(2, 2, 3))
    with pytest.raises(TypeError, match=r"'1'.*ConvTranspose2d"):
        quantize(net)
    assert type(net[0]) is nn.Linear  # nothing swapped before the error
    mha = nn.Sequential(nn.MultiheadAttention(4, 2))
    with pytest.raises(TypeError, match="MultiheadAttention"):
        quantize(mha)
    quantize(mha, skip=("0",))  # skipping the layer skips its children too
    with pytest.raises(ValueError, match="neurons"):
        quantize(nn.Linear(2, 2), neurons="relu")
    with pytest.raises(TypeError, match="padding_mode"):
        quantize(nn.Conv2d(2, 2, 3, padding_mode="circular"))


def test_gradients_flow_to_weights_and_steps() -> None:
    net = quantize(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    net(torch.randn(5, 4)).sum().backward()
    for _, layer in quantized_layers(net):
        assert layer.weight.grad is not None
        assert layer.weight_quant.step.grad is not None
        assert torch.isfinite(layer.weight_quant.step.grad).all()
