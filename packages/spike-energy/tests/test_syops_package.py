"""mode="syops" against the syops package itself (test-only extra `spike-energy[test]`)."""

import pytest
import torch
from torch import nn

from spike_energy import Counter

syops = pytest.importorskip("syops")
sj_neuron = pytest.importorskip("spikingjelly.clock_driven.neuron")


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        sj_neuron.LIFNode(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 10),
        nn.ReLU(),
    ).eval()


def test_syops_mode_matches_the_package() -> None:
    g = torch.Generator().manual_seed(1)
    batches = [(torch.rand(2, 1, 4, 4, generator=g) * 3, torch.zeros(2)) for _ in range(2)]
    ref_model = _model()
    counts, params = syops.get_model_complexity_info(
        ref_model,
        (1, 4, 4),
        dataloader=batches,
        as_strings=False,
        print_per_layer_stat=False,
        verbose=False,
    )
    model = _model()
    with Counter(model, mode="syops") as c, torch.no_grad():
        for x, _ in batches:
            model(x)
            for m in model.modules():  # SpikingJelly nodes keep state between calls
                if hasattr(m, "reset"):
                    m.reset()
    r = c.report()
    assert r.samples == 4
    total = sum(rec.dense for rec in r.layers)  # syops totals include neuron updates
    assert total == pytest.approx(counts[0], rel=1e-9)
    assert r.acs == pytest.approx(counts[1], rel=1e-9)
    assert r.macs == pytest.approx(counts[2], rel=1e-9)
    assert r.params == params
