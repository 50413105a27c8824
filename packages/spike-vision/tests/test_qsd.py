"""QSD-Transformer built from spike-quant: counts, layer counts, statelessness, contract."""

import pytest
import torch

from spike_core import create_model, meta_parameter_count
from spike_core.testing import check_model
from spike_quant import IELIF, LayerScale, QuantizedLayer, quantized_layers

TINY = {"embed_dims": (8, 16, 16, 16), "num_heads": 2, "img_size": 32, "num_classes": 3}


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("qsd-transformer-8m", 8_432_142),
        ("qsd-transformer-15m", 15_245_862),
        ("qsd-transformer-31m", 31_527_302),
        ("qsd-transformer-55m", 55_607_830),
        ("qsd-transformer-12-512", 75_022_870),
    ],
)
def test_qsd_counts(name: str, count: int) -> None:
    assert meta_parameter_count(name) == count


@pytest.mark.parametrize(
    ("name", "steps", "dead", "scales", "meta"),
    [
        ("qsd-transformer-15m", 43_712, 85_430, 4_512, 15_112_208),
        ("qsd-transformer-31m", 62_968, 123_942, 6_528, 31_333_864),
        ("qsd-transformer-55m", 83_624, 165_254, 8_704, 55_350_248),
    ],
)
def test_qsd_minus_quant_params_is_meta_spikeformer(
    name: str, steps: int, dead: int, scales: int, meta: int
) -> None:
    with torch.device("meta"):
        model = create_model(name)
    layers = quantized_layers(model)
    assert len(layers) == 138
    total = model.num_parameters()
    n_scales = sum(m.gamma.numel() for m in model.modules() if isinstance(m, LayerScale))
    assert n_scales == scales
    assert meta_parameter_count(name, act_params=False) == total - dead
    lsq = sum(
        p.numel() for _, layer in layers for n, p in layer.named_parameters() if "weight_quant" in n
    )
    assert lsq == steps
    assert total - steps - dead - scales == meta


def test_qsd_contract_and_neurons() -> None:
    torch.manual_seed(0)
    model = create_model("qsd-transformer-15m", **TINY)
    check_model(model, expected_shape=(2, 2, 3))
    assert isinstance(model.head, QuantizedLayer)
    assert any(isinstance(m, IELIF) for m in model.modules())
    from spike_core import LIF

    assert not any(isinstance(m, LIF) for m in model.modules())


def test_qsd_eval_output_is_independent_of_t() -> None:
    torch.manual_seed(0)
    model = create_model("qsd-transformer-15m", **TINY).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        one = model(x.unsqueeze(0))
        four = model(x.expand(4, *x.shape))
    assert torch.equal(four, one.expand(4, *one.shape[1:]))


def test_qsd_reset_classifier_stays_quantized() -> None:
    model = create_model("qsd-transformer-15m", **TINY)
    model.reset_classifier(5)
    assert isinstance(model.head, QuantizedLayer)
    assert model(torch.rand(1, 1, 3, 32, 32)).shape == (1, 1, 5)
