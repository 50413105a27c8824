import pytest
import torch
from torch import nn

from spike_convert import (
    LIAF,
    PipeLIF,
    SharpenedReLU,
    SResNet,
    es_imagenet_frames,
    es_ucf101_events,
    finetune_bptt,
    pretrain_sharpened,
    rectangular_spike,
    sharpened_relu_bounds,
    transfer_weights,
)
from spike_core import SpikeMonitor, count_parameters, simulate


def test_strict_transfer_and_resnet18_count_check_19() -> None:
    with torch.device("meta"):
        ann = SResNet(neuron="sharpened")
        snn = SResNet(neuron="lif")
        liaf = SResNet(neuron="liaf")
        r34 = SResNet(blocks=(3, 4, 6, 3))
    # torchvision ResNet-18 has 11,689,512; the first stage's stride-2 block adds a
    # 1x1 conv + BN shortcut (64*64 + 2*64 = 4,224): 11,693,736 = 11.69 M.
    assert count_parameters(snn) == 11_693_736
    assert count_parameters(ann) == count_parameters(snn)
    assert count_parameters(liaf) == 11_693_736 + 17  # one learnable decay per LIAF layer
    assert round(count_parameters(r34) / 1e6, 2) == 21.80
    assert list(ann.state_dict()) == list(snn.state_dict())
    small_ann = SResNet(blocks=(1, 1, 1, 1), num_classes=5, width=4, neuron="sharpened")
    small_snn = SResNet(blocks=(1, 1, 1, 1), num_classes=5, width=4, neuron="lif")
    report = transfer_weights(small_ann, small_snn, strict=True)
    assert report.skipped == []
    for (k, a), b in zip(
        small_ann.state_dict().items(), small_snn.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), k


def test_sharpened_schedule_check_20() -> None:
    assert sharpened_relu_bounds(1) == pytest.approx((0.005, 0.995))
    assert sharpened_relu_bounds(50) == pytest.approx((0.25, 0.75))
    assert sharpened_relu_bounds(98) == pytest.approx((0.49, 0.51))
    assert sharpened_relu_bounds(100) == pytest.approx((0.49, 0.50))
    act = SharpenedReLU(epoch=50)
    assert act(torch.tensor([0.5])).item() == pytest.approx(0.5)
    x = torch.tensor([0.1, 0.3, 0.6, 0.99, 1.2], requires_grad=True)
    act(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]  # rectangular surrogate, not the ramp slope
    act.eval()
    assert act(torch.tensor([0.49, 0.5, 0.51])).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="epoch"):
        sharpened_relu_bounds(0)


def test_lif_trace_check_21() -> None:
    x = torch.tensor([0.3, 0.3, 0.3, 0.6, 0.1], dtype=torch.float64).view(5, 1)
    spikes, states = simulate(PipeLIF().double(), x)
    assert states.u.flatten().tolist() == pytest.approx([0.3, 0.375, 0.39375, 0.6984375, 0.1])
    assert spikes.flatten().tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


def test_rectangular_surrogate_check_22() -> None:
    u = torch.tensor([0.0, 0.01, 0.5, 0.99, 1.0], requires_grad=True)
    rectangular_spike(u).sum().backward()
    assert u.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_liaf_check_23() -> None:
    liaf = LIAF()
    assert float(liaf.decay.detach()) == pytest.approx(0.62246, abs=1e-5)
    out, state = liaf.step(torch.tensor([-1.0]), liaf.init_state(torch.zeros(1)))
    assert out.item() == pytest.approx(-0.2)
    assert state.o.item() == 0.0
    out, _ = liaf.step(torch.tensor([0.8]), liaf.init_state(torch.zeros(1)))
    assert out.item() == pytest.approx(0.8)
    y = liaf(torch.ones(3, 2, 4))
    y.sum().backward()
    assert liaf.decay_param.grad is not None


def test_event_data_check_24() -> None:
    pos = torch.tensor([[0, 0, 1], [100, 50, 8]])
    neg = torch.tensor([[10, 20, 3]])
    frames = es_imagenet_frames(pos, neg, width=200, height=180)
    assert frames.shape == (2, 8, 224, 224)
    assert frames.dtype == torch.float32
    # offset (28, 38) then crop 16: x 100 -> 112, y 50 -> 72
    assert frames[0, 7, 72, 112] == 1.0
    assert frames[0, 0, 38 - 16, 28 - 16] == 1.0
    assert frames[1, 2, 20 + 38 - 16, 10 + 28 - 16] == 1.0
    assert frames.sum() == 3
    with pytest.raises(ValueError, match="time"):
        es_imagenet_frames(torch.tensor([[0, 0, 9]]), neg, width=10, height=10)
    gen = torch.Generator().manual_seed(0)
    video = torch.rand(40, 12, 16, generator=gen)
    ev = es_ucf101_events(video)
    assert ev.shape == (2, 30, 12, 16)
    assert ev.dtype == torch.uint8
    ratio = ev.double().mean(dim=(1, 2, 3))
    assert ratio.tolist() == pytest.approx([0.075, 0.075], abs=0.005)
    with pytest.raises(ValueError, match="frames"):
        es_ucf101_events(torch.zeros(1, 4, 4))


def test_pipe_d_stem_adaptation() -> None:
    torch.manual_seed(0)
    ann = SResNet(blocks=(1, 1, 1, 1), num_classes=10, width=4, neuron="sharpened")
    snn = SResNet(blocks=(1, 1, 1, 1), num_classes=3, width=4, in_channels=2, neuron="liaf")
    fresh_stem = snn.state_dict()["stem.0.module.weight"].clone()
    rep = transfer_weights(ann, snn, stem_adapt="mean")
    stem = snn.state_dict()["stem.0.module.weight"]
    expected = ann.state_dict()["stem.0.module.weight"].mean(1, keepdim=True).expand(-1, 2, -1, -1)
    assert torch.equal(stem, expected)
    assert rep.adapted == ["stem.0.module.weight"]
    assert "fc.module.weight" in rep.skipped
    assert "stages.0.0.conv1.module.weight" in rep.copied
    snn2 = SResNet(blocks=(1, 1, 1, 1), num_classes=3, width=4, in_channels=2, neuron="lif")
    before = snn2.state_dict()["stem.0.module.weight"].clone()
    rep2 = transfer_weights(ann, snn2, stem_adapt="reinit")
    assert torch.equal(snn2.state_dict()["stem.0.module.weight"], before)
    assert "stem.0.module.weight" in rep2.skipped
    assert not torch.equal(fresh_stem, stem)
    with pytest.raises(ValueError, match="stem_adapt"):
        transfer_weights(ann, snn, stem_adapt="copy")
    with pytest.raises(RuntimeError):
        transfer_weights(ann, snn, strict=True)


@pytest.mark.slow
def test_pipe_s_recipe_runs_end_to_end() -> None:
    torch.manual_seed(0)
    x = torch.rand(1, 16, 3, 16, 16)
    y = torch.randint(0, 3, (16,))
    ann = SResNet(blocks=(1, 1, 1, 1), num_classes=3, width=4, neuron="sharpened")
    hist = pretrain_sharpened(ann, x, y, epochs=2, batch_size=8)
    assert len(hist) == 2
    acts = [m for m in ann.modules() if isinstance(m, SharpenedReLU)]
    assert acts[0].epoch == 100  # a short run still ends at the near-step
    snn = SResNet(blocks=(1, 1, 1, 1), num_classes=3, width=4, neuron="lif")
    transfer_weights(ann, snn, strict=True)
    x_seq = x.expand(4, -1, -1, -1, -1)
    hist = finetune_bptt(snn, x_seq, y, epochs=1, batch_size=8)
    assert len(hist) == 1
    with SpikeMonitor(snn) as mon:
        out = snn(x_seq[:, :2])
    assert out.shape == (4, 2, 3)
    assert len(mon.stats) == sum(isinstance(m, PipeLIF) for m in snn.modules())
    with pytest.raises(ValueError, match="x_seq"):
        snn(torch.zeros(2, 3, 16, 16))
    with pytest.raises(ValueError, match="neuron"):
        SResNet(neuron="relu")
    assert isinstance(nn.Module(), nn.Module)
