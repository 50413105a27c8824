import sys
from pathlib import Path

import pytest
import torch

from spike_core import expand_to_binary
from spike_quant import (
    QSDSA,
    LayerScale,
    QSDTransformerBlock,
    model_size_fp32_equiv,
    quantized_layers,
    spike_driven_attention,
)

sys.path.insert(0, str(Path(__file__).parent))
from _qsd_topology import build_qsd

WIDTHS = {
    "15M": ([64, 128, 256, 360], 15_245_862, 15_112_208, 15_015_072, 1.88),
    "384": ([96, 192, 384, 480], 31_527_302, 31_333_864, 31_193_520, 3.90),
    "512": ([128, 256, 512, 640], 55_607_830, 55_350_248, 55_163_456, 6.90),
}


def _split(model: torch.nn.Module) -> tuple[int, int, int, int]:
    layers = quantized_layers(model)
    steps = sum(m.weight_quant.step.numel() for _, m in layers)
    dead = sum(2 * m.act_quant.step.numel() for _, m in layers if m.act_quant is not None)
    ls = sum(m.gamma.numel() for m in model.modules() if isinstance(m, LayerScale))
    return steps, dead, ls, len(layers)


@pytest.mark.parametrize("key", list(WIDTHS))
def test_parameter_counts_check5_and_size_check6(key: str) -> None:
    widths, total, float_total, kernels, size = WIDTHS[key]
    with torch.device("meta"):
        model = build_qsd(widths)
    assert sum(p.numel() for p in model.parameters()) == total
    steps, dead, ls, n_layers = _split(model)
    assert n_layers == 138
    assert total - steps - dead - ls == float_total
    assert sum(m.weight.numel() for _, m in quantized_layers(model)) == kernels
    assert model_size_fp32_equiv(model) == pytest.approx(size, abs=0.01)


def test_size_ratio_to_float_55m_check6() -> None:
    with torch.device("meta"):
        q = build_qsd(WIDTHS["512"][0])
    float_55m = WIDTHS["512"][2] / 1e6  # Meta-SpikeFormer 55M, every parameter at 32 bits
    ratio = float_55m / model_size_fp32_equiv(q)
    assert ratio == pytest.approx(8.0, abs=0.05)


def test_layer_scale_near_identity_check7() -> None:
    torch.manual_seed(0)
    block = QSDTransformerBlock(dim=16, num_heads=2).eval()
    gammas = [m.gamma for m in block.modules() if isinstance(m, LayerScale)]
    assert len(gammas) == 2
    assert all(torch.all(g == torch.tensor(1e-6)) for g in gammas)
    block = block.double()
    x = torch.randn(1, 2, 16, 4, 4, dtype=torch.float64)
    attn_out = block.attn(x)
    y = block(x)
    mlp_in = x + block.gamma1(attn_out)
    bound = 1e-6 * (attn_out.abs() + block.mlp(mlp_in).abs()) + 1e-12
    assert torch.all((y - x).abs() <= bound * 1.0001 + 1e-15)


def test_qsdsa_formula_check8() -> None:
    torch.manual_seed(0)
    attn = QSDSA(dim=16, num_heads=2).eval()
    assert attn.scale == 0.25
    attn.record_qkv = True
    captured = {}
    attn.attn_lif.register_forward_hook(lambda m, i, o: captured.update(inp=i[0], out=o))
    x = torch.randn(1, 2, 16, 4, 4) * 2
    attn(x)
    q, k, v = attn.last_qkv
    prod = q @ (k.transpose(-1, -2) @ v)
    assert torch.allclose(prod, (q @ k.transpose(-1, -2)) @ v, atol=1e-5)
    ref = torch.floor(prod.clamp(0, 4) + 0.5) / 2  # round_half_up(clip(QK^TV, 0, 4)) / 2
    T, B, h, _, d = ref.shape
    ref = ref.transpose(-1, -2).reshape(T, B, h * d, 4, 4)
    assert torch.equal(captured["out"], ref)
    assert set(captured["out"].unique().tolist()) <= {0.0, 0.5, 1.0, 1.5, 2.0}


def test_spike_driven_attention_equals_integer_product() -> None:
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randint(0, 5, (2, 6, 3), generator=g).double() for _ in range(3))
    assert torch.equal(spike_driven_attention(q, k, v, 4), q @ (k.transpose(-1, -2) @ v))


def test_stateless_backbone_check9() -> None:
    torch.manual_seed(0)
    model = build_qsd([16, 16, 16, 16], depth=4, classes=5).eval()
    x1 = torch.randn(1, 2, 3, 32, 32)
    with torch.no_grad():
        y1 = model(x1)
        y3 = model(x1.expand(3, -1, -1, -1, -1).contiguous())
    assert y3.shape == (3, 2, 5)
    for t in range(3):
        assert torch.equal(y3[t], y1[0])


def test_qsdsa_bad_dims() -> None:
    with pytest.raises(ValueError, match="divisible"):
        QSDSA(dim=10, num_heads=3)
    with pytest.raises(ValueError, match="x must have"):
        QSDSA(dim=8, num_heads=2)(torch.randn(2, 8, 4, 4))


def test_binary_expansion_of_attention_counts() -> None:
    counts = torch.arange(5.0)
    b = expand_to_binary(counts, 4)
    assert b.sum(0).tolist() == counts.tolist()
