import pytest
import torch

from spike_3d import (
    E3DSNNDetBackbone,
    E3DSNNDetConfig,
    SpikeBEVBackbone,
    SpikeBEVConfig,
    generate_anchors,
)


def test_bev_backbone_shapes_and_spiking_inputs():
    torch.manual_seed(0)
    cfg = SpikeBEVConfig(
        in_channels=16, layer_nums=(1, 1), num_filters=(4, 8), num_upsample_filters=(4, 4)
    )
    bev = SpikeBEVBackbone(config=cfg)
    seen = []
    for m in bev.modules():
        if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d):
            m.register_forward_pre_hook(lambda mod, args: seen.append(args[0].detach()))
    det = E3DSNNDetBackbone(
        config=E3DSNNDetConfig(channels=(4, 4, 8, 8), depths=(1, 1, 1), out_channels=8)
    )
    x = det.example_input(batch_size=2)
    feats = det(x)  # [T, B, 8 * 1, 2, 2] on the example grid
    wide = torch.nn.functional.pad(feats, (0, 0, 0, 0, 0, 8))  # 16 channels
    out = bev(wide)
    assert out.shape == (1, 2, 8, 2, 2)
    assert len(seen) == 6
    assert all(bool((s == s.round()).all()) and s.min() >= 0 and s.max() <= 4 for s in seen)
    with pytest.raises(ValueError, match="16 channels"):
        bev(torch.randn(1, 1, 3, 4, 4))


def test_bev_parameter_count_of_default_config():
    with torch.device("meta"):
        bev = SpikeBEVBackbone()
    # 3x3 convs 256->64 and 5 x 64->64, 64->128 and 5 x 128->128, deconvs 64->128 (k1), 128->128 (k2), BN 2 per channel
    expected = (256 * 64 + 5 * 64 * 64 + 64 * 128 + 5 * 128 * 128) * 9 + 64 * 128 + 128 * 128 * 4
    expected += 2 * (6 * 64 + 6 * 128 + 128 + 128)
    assert sum(p.numel() for p in bev.parameters()) == expected == 1_219_328


def test_anchor_grid():
    a = generate_anchors((200, 176))
    assert a.shape == (200, 176, 2, 7)
    assert torch.allclose(a[0, 0, 0], torch.tensor([0.2, -39.8, -1.0, 3.9, 1.6, 1.56, 0.0]))
    assert torch.equal(a[..., 6].unique(), torch.tensor([0.0, 1.57]))
    assert float(a[..., 0].max()) < 70.4
    assert float(a[..., 1].min()) > -40
    with pytest.raises(ValueError, match="feature_size"):
        generate_anchors((0, 4))
