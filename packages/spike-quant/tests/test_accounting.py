import pytest
import torch
from torch import nn

from spike_quant import (
    E_AC_PJ,
    E_MAC_PJ,
    QLinear,
    mixed_bit_energy,
    model_bytes,
    model_size_fp32_equiv,
    quantize,
    quantized_layer_summary,
)


def test_size_helpers() -> None:
    net = quantize(nn.Sequential(nn.Linear(10, 8), nn.Linear(8, 4, bias=False)), bits=4)
    # kernels: (80 + 32) * 4 / 32 = 14 fp32-equivalent parameters
    assert model_size_fp32_equiv(net) * 1e6 == pytest.approx(14.0)
    # all: + bias 8 + steps 8 + 4 at 32 bits
    assert model_size_fp32_equiv(net, scope="all") * 1e6 == pytest.approx(14.0 + 20)
    # bytes: ceil(80*4/8)=40 + 16 = 56 packed, + 20 float params * 4 + init_state buffers 2
    assert model_bytes(net) == 56 + 80 + 2
    with pytest.raises(ValueError, match="scope"):
        model_size_fp32_equiv(net, scope="some")


def test_layer_summary_and_energy() -> None:
    net = nn.Sequential(QLinear(in_features=4, out_features=3), nn.ReLU(), nn.Linear(3, 2))
    x = torch.tensor([[[1.0, 0.0, 0.0, 2.0]]])  # [T=1, B=1, 4]
    rows = quantized_layer_summary(net, x)
    assert [r["name"] for r in rows] == ["0", "2"]
    assert rows[0]["flops"] == 12
    assert rows[0]["weight_bits"] == 4
    assert rows[1]["weight_bits"] == 32
    assert rows[0]["input_rate"] == pytest.approx(0.5)
    layers = [
        {"name": "enc", "flops": 100},
        {"name": "l1", "flops": 200, "firing_rate": 0.25, "levels": 4, "weight_bits": 4},
    ]
    e = mixed_bit_energy(layers, time_steps=2)
    assert e["mac_pj"] == pytest.approx(E_MAC_PJ * 100 * 2)
    assert e["ac_pj"] == pytest.approx(E_AC_PJ * 0.25 * 2 * 4 * 200)
    assert e["total_pj"] == pytest.approx(e["mac_pj"] + e["ac_pj"])
    lin = mixed_bit_energy(layers, time_steps=2, bit_scaling="linear")
    assert lin["ac_pj"] == pytest.approx(e["ac_pj"] * 4 / 32)
    assert isinstance(e["layers"][1]["energy_pj"], float)
    with pytest.raises(ValueError, match="time_steps"):
        mixed_bit_energy(layers, time_steps=0)
    with pytest.raises(ValueError, match="bit_scaling"):
        mixed_bit_energy(layers, time_steps=1, bit_scaling="quad")
    with pytest.raises(ValueError, match="invalid"):
        mixed_bit_energy([{"flops": -1}], time_steps=1)
