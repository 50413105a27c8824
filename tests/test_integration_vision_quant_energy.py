"""spike-vision model -> spike-quant ``quantize`` -> spike-core ``check_model`` -> spike-energy."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from spike_core.testing import check_model
from spike_energy import EnergyReport, estimate_energy
from spike_quant import QuantizedLayer, quantize, quantized_layers
from spike_vision import MetaSpikeFormer, MetaSpikeFormerConfig, Spikformer, SpikformerConfig


def _spikformer() -> nn.Module:
    cfg = SpikformerConfig(depth=1, embed_dim=16, num_heads=2, num_classes=3, backend="torch")
    return Spikformer(cfg)


def _meta_spikeformer() -> nn.Module:
    cfg = MetaSpikeFormerConfig(
        embed_dims=(8, 16, 16, 24), depths=(1, 1), num_heads=2, num_classes=3, backend="torch"
    )
    return MetaSpikeFormer(cfg)


_BUILDERS = {"spikformer": _spikformer, "meta-spikeformer": _meta_spikeformer}


def _synaptic_modules(model: nn.Module) -> list[str]:
    kinds = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    return [n for n, m in model.named_modules() if isinstance(m, kinds)]


@pytest.mark.parametrize("arch", sorted(_BUILDERS))
def test_integration_quantized_vision_model_passes_check_model_and_counts(arch: str) -> None:
    torch.manual_seed(0)
    model = _BUILDERS[arch]()
    synaptic = _synaptic_modules(model)
    x = torch.rand(2, 1, 3, 16, 16)  # [T, B, C, H, W] real-valued image input

    qmodel = quantize(model, bits=4)
    # every Linear/Conv was swapped in place, none left in float
    swapped = {n for n, m in qmodel.named_modules() if isinstance(m, QuantizedLayer)}
    assert swapped == set(synaptic)
    assert len(quantized_layers(qmodel)) == len(synaptic)
    for _, m in quantized_layers(qmodel):
        # the fake-quantized kernel is exactly integer codes times the per-channel step
        w_q = m.quantized_weight().detach()
        step = m.weight_scale().view(-1, *([1] * (w_q.dim() - 1)))
        codes = m.integer_weight()
        assert codes.abs().max() <= 8
        assert torch.allclose(w_q, codes.to(w_q) * step, rtol=0, atol=1e-6)

    if arch == "spikformer":  # (MetaSpikeFormer's backward is too slow for this suite)
        out = check_model(qmodel, x, expected_shape=(2, 1, 3))
        assert torch.isfinite(out).all()

    _calibrate_batchnorm(qmodel, torch.rand(2, 2, 3, 16, 16))
    report = _estimate(qmodel, x)
    syn = [r for r in report.layers if r.category == "synaptic"]
    first = syn[0]
    assert first.first
    assert first.kind == "real"
    assert first.macs == pytest.approx(first.fl)  # real encoding layer counted once (FL_1)
    assert report.acs > 0
    spike_fed = [r for r in syn if r.kind in ("binary", "integer")]
    assert spike_fed, "no synaptic layer saw spikes"
    for r in spike_fed:
        assert r.macs == 0
        if r.params:  # weight layers: ACs = dense ops times the input rate (yao convention)
            assert r.acs == pytest.approx(r.dense * r.in_rate, rel=1e-6)
    # every quantized layer that ran is counted under its own name, with its weights
    counted = {r.name: r for r in syn}
    for name, m in quantized_layers(qmodel):
        if name in counted:
            assert counted[name].params == sum(p.numel() for p in m.parameters())
    assert len(set(counted) & swapped) >= len(swapped) // 2
    assert report.energy < report.energy_ann


def _calibrate_batchnorm(model: nn.Module, x: torch.Tensor) -> None:
    """Set BatchNorm running statistics to those of ``x`` (so a fresh model spikes), then eval."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()


def _estimate(model: nn.Module, x: torch.Tensor) -> EnergyReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return estimate_energy(model, x)


@pytest.mark.parametrize("arch", sorted(_BUILDERS))
def test_integration_quantized_vision_model_has_no_uncounted_rows(arch: str) -> None:
    torch.manual_seed(0)
    qmodel = quantize(_BUILDERS[arch](), bits=4).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an "uncounted" layer would warn
        report = estimate_energy(qmodel, torch.rand(1, 1, 3, 16, 16))
    uncounted = [f"{r.name} ({r.type})" for r in report.layers if r.category == "uncounted"]
    assert not uncounted
    assert not report.notes
