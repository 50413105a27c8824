import dataclasses

import pytest
import torch

from spike_3d import (
    E3DSNN,
    E3DSNNConfig,
    E3DSNNDetBackbone,
    E3DSNNDetConfig,
    E3DSNNSeg,
    E3DSNNSegConfig,
    SparseConv3d,
    SparseInverseConv3d,
    SubMConv3d,
    voxelize,
)
from spike_3d.models import MODELS
from spike_core import create_model, list_models, meta_parameter_count, model_entry
from spike_core.testing import check_model

SPEC_COUNTS = {
    "e3dsnn-t": 1_874_216,
    "e3dsnn-s": 3_271_144,
    "e3dsnn-17m": 17_330_600,
    "e3dsnn-46m": 46_574_248,
    "e3dsnn-seg": 20_049_683,
    "e3dsnn-det-backbone": 1_722_368,
}


@pytest.mark.parametrize(("name", "count"), sorted(SPEC_COUNTS.items()))
def test_parameter_counts_match_the_spec_on_meta(name, count):
    builder, cfg, registered, _ = MODELS[name]
    assert registered == count
    with torch.device("meta"):
        model = builder(cfg)
    assert sum(p.numel() for p in model.parameters()) == count
    assert all(p.is_meta for p in model.parameters())


@pytest.mark.slow  # the first registry call imports every installed package's models
def test_registry_serves_every_model_with_its_count():
    assert set(list_models("e3dsnn")) == set(SPEC_COUNTS)
    for name, count in SPEC_COUNTS.items():
        assert model_entry(name).num_params == count
    assert meta_parameter_count("e3dsnn-t") == SPEC_COUNTS["e3dsnn-t"]
    assert create_model("e3dsnn-t", num_classes=3).head.out_channels == 3
    with pytest.raises(ValueError, match="unknown override"):
        create_model("e3dsnn-t", widths=3)


def test_tiny_stage_counts_match_spec_breakdown():
    with torch.device("meta"):
        m = E3DSNN()
    assert sum(p.numel() for p in m.stem.parameters()) == 16_512
    assert [sum(p.numel() for p in s.parameters()) for s in m.stages] == [
        22_912,
        87_296,
        348_672,
        1_393_664,
    ]
    assert sum(p.numel() for p in m.head.parameters()) == 5_160


TINY = {
    "e3dsnn-t": {"num_classes": 5},
    "e3dsnn-s": {"embed_channels": 4, "channels": (4, 4, 8, 8), "num_classes": 3},
    "e3dsnn-17m": {"embed_channels": 4, "channels": (4, 4, 4, 4), "num_classes": 3},
    "e3dsnn-46m": {"embed_channels": 4, "channels": (4, 4, 4, 4), "num_classes": 3},
    "e3dsnn-seg": {
        "embed_channels": 4,
        "channels": (4, 4, 4, 8),
        "depths": (1, 1, 1, 1),
        "dec_channels": (4, 4, 4, 4),
    },
    "e3dsnn-det-backbone": {"channels": (4, 4, 8, 8), "depths": (1, 1, 1), "out_channels": 8},
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_registered_model_passes_the_contract(name):
    torch.manual_seed(0)
    builder, cfg, _, _ = MODELS[name]
    model = builder(dataclasses.replace(cfg, **TINY[name]))
    x = model.example_input(batch_size=2)
    out = check_model(model, x)
    if isinstance(model, E3DSNN):
        assert out.shape == (1, 2, TINY[name]["num_classes"])
    elif isinstance(model, E3DSNNSeg):
        assert out.shape == (1, x.num_sites, 19)
    else:
        assert out.shape[:3] == (1, 2, 8)  # conv_out z extent is 1 on the example grid


def _two_clouds(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(500, 6, generator=g), torch.randn(800, 6, generator=g)]


def test_classifier_logits_shape_and_point_permutation_invariance():
    torch.manual_seed(0)
    model = E3DSNN(config=E3DSNNConfig(embed_channels=8, channels=(8, 8, 16, 16))).eval()
    clouds = _two_clouds()
    x = voxelize(clouds, grid_size=0.2, mode="mean")
    perm = [c[torch.randperm(c.shape[0])] for c in clouds]
    xp = voxelize(perm, grid_size=0.2, mode="mean")
    with torch.no_grad():
        a, b = model(x), model(xp)
    assert a.shape == (1, 2, 40)
    assert torch.allclose(a, b, atol=1e-5)


def test_pointwise_head_plus_mean_equals_gap_plus_linear():
    torch.manual_seed(1)
    model = E3DSNN(config=E3DSNNConfig(embed_channels=8, channels=(8, 8, 16, 16))).eval()
    torch.nn.init.normal_(model.head.bias)
    x = voxelize(_two_clouds(1), grid_size=0.2)
    with torch.no_grad():
        logits = model(x)
        pooled = model.pooled_features(x)
        alt = torch.nn.functional.linear(pooled, model.head.weight[0].T, model.head.bias)
    assert torch.allclose(logits, alt, atol=1e-5)


def test_every_conv_but_the_first_and_the_head_reads_integer_spikes():
    torch.manual_seed(2)
    model = E3DSNN(config=E3DSNNConfig(embed_channels=8, channels=(8, 8, 16, 16)))
    seen = {}

    def hook(name):
        def fn(mod, args):
            seen[name] = args[0].features.detach()

        return fn

    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, SubMConv3d | SparseConv3d)]
    for n, m in convs:
        m.register_forward_pre_hook(hook(n))
    model(voxelize(_two_clouds(2), grid_size=0.2))
    assert len(seen) == len(convs) == 3 + 4 * 4 + 1
    for n, f in seen.items():
        is_int = bool((f == f.round()).all() and (f >= 0).all() and (f <= 4).all())
        assert is_int == (n not in ("stem.0", "head")), n


def test_segmentation_restores_input_sites_and_uses_inverse_convs():
    torch.manual_seed(3)
    cfg = E3DSNNSegConfig(
        embed_channels=4, channels=(4, 4, 8, 8), depths=(1, 1, 1, 1), dec_channels=(8, 8, 8, 8)
    )
    model = E3DSNNSeg(config=cfg)
    x = voxelize([torch.randn(300, 4) * 2], grid_size=0.25)
    out = model(x)
    assert out.shape == (1, x.num_sites, 19)
    assert sum(isinstance(m, SparseInverseConv3d) for m in model.modules()) == 4


def test_detection_backbone_multiscale_strides_and_bev():
    torch.manual_seed(4)
    model = E3DSNNDetBackbone(
        config=E3DSNNDetConfig(channels=(4, 4, 8, 8), depths=(1, 1, 1), out_channels=8)
    )
    x = model.example_input(batch_size=1)
    feats = model.forward_multiscale(x)
    assert [feats[f"x_conv{i}"].tensor_stride for i in range(1, 5)] == [
        (1, 1, 1),
        (2, 2, 2),
        (4, 4, 4),
        (8, 8, 8),
    ]
    assert feats["encoded"].spatial_shape == (1, 2, 2)
    assert model(x).shape == (1, 1, 8, 2, 2)
    with pytest.raises(ValueError, match="no classifier"):
        model.reset_classifier(3)


def test_reset_classifier_and_bad_inputs():
    model = E3DSNN(config=E3DSNNConfig(embed_channels=4, channels=(4, 4, 4, 4)))
    model.reset_classifier(7)
    assert model(model.example_input()).shape == (1, 2, 7)
    with pytest.raises(TypeError, match="SparseVoxelTensor"):
        model(torch.randn(1, 2, 6))
    x = voxelize([torch.randn(20, 3)], grid_size=0.5)
    with pytest.raises(ValueError, match="6 channels"):
        model(x)
    with pytest.raises(ValueError, match="equal length"):
        E3DSNN(config=E3DSNNConfig(depths=(1, 1)))


def test_time_steps_and_stateful_neuron():
    torch.manual_seed(5)
    cfg = E3DSNNConfig(embed_channels=4, channels=(4, 4, 4, 4), beta=0.25, num_classes=3)
    model = E3DSNN(config=cfg).eval()
    x = model.example_input(batch_size=2, time_steps=3)
    out = model(x)
    assert out.shape == (3, 2, 3)
    stateless = E3DSNN(
        config=E3DSNNConfig(embed_channels=4, channels=(4, 4, 4, 4), num_classes=3)
    ).eval()
    stateless.load_state_dict(model.state_dict())
    same = stateless(x)
    assert torch.allclose(same[0], same[1])  # no state: identical steps
    assert torch.allclose(out[0], same[0])  # first step has no residual yet
