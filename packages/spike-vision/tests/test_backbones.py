"""Backbone shapes, spike semantics, contract tests and errors on tiny configs."""

import dataclasses

import pytest
import torch
from torch import nn

from spike_core import create_model, list_models
from spike_core.testing import check_model
from spike_vision import (
    MetaSpikeFormer,
    MetaSpikeFormerConfig,
    MSPatchSplitting,
    Spikformer,
    SpikformerConfig,
    SpikingPatchSplitting,
)

TINY = {
    "spikformer": {"depth": 1, "embed_dim": 16, "num_heads": 2, "backend": "torch"},
    "spikformer-v2": {"depth": 1, "embed_dim": 16, "num_heads": 2, "backend": "torch"},
    "spike-driven-transformer": {"depth": 1, "embed_dim": 16, "num_heads": 2, "backend": "torch"},
    "meta-spikeformer": {
        "embed_dims": (8, 16, 16, 24),
        "depths": (1, 1),
        "num_heads": 2,
        "backend": "torch",
    },
}
SIZES = {
    "spikformer-2-256-cifar10dvs": 32,
    "sdt-2-256-gesture": 32,
    "sdt-2-256-cifar10dvs": 16,
}


def _tiny_models() -> list[tuple[str, str]]:
    from spike_core import model_entry

    out = []
    for name in list_models():
        fam = model_entry(name).family
        if fam in TINY:
            out.append((name, fam))
    return out


@pytest.mark.parametrize(("name", "family"), _tiny_models())
def test_every_backbone_passes_check_model(name: str, family: str) -> None:
    torch.manual_seed(0)
    size = SIZES.get(name, 16 if "cifar" in name else 32)
    model = create_model(name, num_classes=3, img_size=size, **TINY[family])
    check_model(model, expected_shape=(2, 2, 3))


def test_sps_shapes_imagenet_and_cifar() -> None:
    sps = SpikingPatchSplitting(in_channels=3, embed_dim=16, backend="torch")
    out = sps(torch.rand(2, 1, 3, 224, 224))
    assert out.shape == (2, 1, 16, 14, 14)
    assert set(out.unique().tolist()) <= {0.0, 1.0, 2.0}
    cifar = SpikingPatchSplitting(in_channels=3, embed_dim=16, pooling="0011", backend="torch")
    assert cifar(torch.rand(2, 1, 3, 32, 32)).flatten(3).shape == (2, 1, 16, 64)
    ms = MSPatchSplitting(in_channels=2, embed_dim=16, pooling="0111", backend="torch")
    assert ms(torch.rand(2, 1, 2, 128, 128)).shape == (2, 1, 16, 16, 16)


def test_spikformer_v2_stem_has_supplementary_convs() -> None:
    sps = SpikingPatchSplitting(
        in_channels=3, embed_dim=16, stem_convs=(2, 2, 2, 2), backend="torch"
    )
    assert len(sps.convs) == 8
    assert sps(torch.rand(1, 1, 3, 64, 64)).shape == (1, 1, 16, 4, 4)


def test_spikformer_block_inputs_are_nonnegative_integers() -> None:
    torch.manual_seed(0)
    model = Spikformer(
        SpikformerConfig(depth=2, embed_dim=16, num_heads=2, num_classes=3, backend="torch")
    )
    seen: list[torch.Tensor] = []
    for blk in model.blocks:
        blk.register_forward_pre_hook(lambda _m, a: seen.append(a[0]))
    model(torch.rand(2, 2, 3, 32, 32) * 4)
    for x in seen:
        assert (x >= 0).all()
        assert torch.equal(x, x.round())
    assert seen[1].max() > 1  # spike-add residual gives integers, not only binary


def test_meta_spikeformer_conv_inputs_are_binary_except_encoding_and_fused_chains() -> None:
    torch.manual_seed(0)
    cfg = MetaSpikeFormerConfig(
        embed_dims=(8, 16, 16, 24), depths=(1, 1), num_heads=2, backend="torch"
    )
    model = MetaSpikeFormer(cfg)
    nonbinary: set[str] = set()
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d | nn.Linear):

            def hook(_m: nn.Module, a: tuple, name: str = name) -> None:
                if not torch.isin(a[0], torch.tensor([0.0, 1.0])).all():
                    nonbinary.add(name)

            mod.register_forward_pre_hook(hook)
    model(torch.randn(2, 2, 3, 32, 32))
    for name in nonbinary:
        first_conv = name.startswith("downsample1_1")
        inside_fusable = name.endswith((".dw", ".pw", "dw_pw2.module.1"))
        assert first_conv or inside_fusable, name
    assert any(n.startswith("downsample1_1") for n in nonbinary)


@pytest.mark.slow
def test_meta_spikeformer_stage_shapes_at_224() -> None:
    cfg = MetaSpikeFormerConfig(
        embed_dims=(8, 16, 16, 24), depths=(1, 1), num_heads=2, backend="torch"
    )
    model = MetaSpikeFormer(cfg)
    shapes = [tuple(s.shape) for s in model.forward_stages(torch.rand(1, 1, 3, 224, 224))]
    assert shapes == [
        (1, 1, 4, 112, 112),
        (1, 1, 8, 56, 56),
        (1, 1, 16, 28, 28),
        (1, 1, 16, 14, 14),
        (1, 1, 24, 14, 14),
    ]


def test_logits_invariant_to_batch_composition() -> None:
    torch.manual_seed(0)
    cfg = MetaSpikeFormerConfig(
        embed_dims=(8, 16, 16, 24), depths=(1, 1), num_heads=2, backend="torch"
    )
    model = MetaSpikeFormer(cfg).eval()
    x = torch.rand(2, 3, 3, 32, 32)
    with torch.no_grad():
        batch = model(x)
        alone = model(x[:, 1:2])
    assert torch.allclose(batch[:, 1:2], alone, atol=1e-5)


def test_four_d_input_is_direct_encoded() -> None:
    torch.manual_seed(0)
    model = Spikformer(
        SpikformerConfig(depth=1, embed_dim=16, num_heads=2, time_steps=3, backend="torch")
    ).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), model(x.expand(3, *x.shape)))


def test_kd_head_eval_averages_both_heads() -> None:
    torch.manual_seed(0)
    cfg = MetaSpikeFormerConfig(
        embed_dims=(8, 16, 16, 24),
        depths=(1, 1),
        num_heads=2,
        kd_head=True,
        num_classes=4,
        backend="torch",
    )
    model = MetaSpikeFormer(cfg).eval()
    x = torch.rand(1, 2, 3, 32, 32)
    with torch.no_grad():
        a, b = model.forward_heads(x)
        assert torch.allclose(model(x), (a + b) / 2)


def test_reset_classifier() -> None:
    model = create_model(
        "sdt-8-384", depth=1, embed_dim=16, num_heads=2, img_size=32, backend="torch"
    )
    model.reset_classifier(7)
    assert model(torch.rand(2, 1, 3, 32, 32)).shape == (2, 1, 7)
    with pytest.raises(ValueError, match="num_outputs"):
        model.reset_classifier(0)


def test_errors() -> None:
    model = create_model("spikformer-8-384", depth=1, embed_dim=16, num_heads=2)
    with pytest.raises(ValueError, match="patch size 16"):
        model(torch.rand(1, 1, 3, 40, 40))
    with pytest.raises(ValueError, match="3 channels"):
        model(torch.rand(1, 1, 2, 32, 32))
    with pytest.raises(ValueError, match=r"\[T, B, C, H, W\]"):
        model(torch.rand(3, 32, 32))
    with pytest.raises(TypeError, match="floating"):
        model(torch.zeros(1, 1, 3, 32, 32, dtype=torch.long))
    with pytest.raises(ValueError, match="NaN"):
        model(torch.full((1, 1, 3, 32, 32), float("nan")))
    with pytest.raises(ValueError, match="unknown model name"):
        create_model("meta-spikeformer-56m")
    for name in ("spikformer-8-384", "sdt-8-384", "meta-spikeformer-15m"):
        with pytest.raises(ValueError, match="num_classes"):
            create_model(name, num_classes=0)
    with pytest.raises(ValueError, match="num_heads"):
        create_model("spikformer-8-384", embed_dim=20, num_heads=3)
    with pytest.raises(ValueError, match="attention"):
        create_model("meta-spikeformer-15m", attention="softmax")


@pytest.mark.slow
def test_default_backend_matches_reference_loop() -> None:
    torch.manual_seed(0)
    cfg = SpikformerConfig(depth=1, embed_dim=16, num_heads=2, num_classes=3)
    auto = Spikformer(cfg)
    ref = Spikformer(dataclasses.replace(cfg, backend="torch"))
    ref.load_state_dict(auto.state_dict())
    x = torch.rand(2, 2, 3, 32, 32) * 3
    out_a, out_r = auto(x), ref(x)
    assert torch.allclose(out_a, out_r, atol=1e-5)
    out_a.sum().backward()
    out_r.sum().backward()
    ga = auto.patch_embed.convs[0].module[0].weight.grad
    gr = ref.patch_embed.convs[0].module[0].weight.grad
    assert torch.allclose(ga, gr, atol=1e-4)


def test_sdt_conv_inputs_are_binary_except_stem() -> None:
    torch.manual_seed(0)
    model = create_model(
        "sdt-8-384", depth=2, embed_dim=16, num_heads=2, num_classes=3, backend="torch"
    )
    nonbinary: set[str] = set()
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv1d | nn.Conv2d | nn.Linear):

            def hook(_m: nn.Module, a: tuple, name: str = name) -> None:
                if not torch.isin(a[0], torch.tensor([0.0, 1.0])).all():
                    nonbinary.add(name)

            mod.register_forward_pre_hook(hook)
    model(torch.randn(2, 2, 3, 32, 32) * 3)
    assert nonbinary == {"patch_embed.convs.0.module.0"}


def test_detector_and_segmenter_errors() -> None:
    for name in ("yolov8s", "meta-spikeformer-15m-bifpn-p2", "meta-spikeformer-15m-semfpn"):
        with pytest.raises(ValueError, match="num_classes"):
            create_model(name, num_classes=0)
    yolo = create_model("yolov8n", num_classes=2)
    with pytest.raises(ValueError, match="multiple of 32"):
        yolo(torch.rand(1, 3, 40, 40))
    with pytest.raises(ValueError, match="scale"):
        create_model("yolov8n", scale="q")
    with pytest.raises(ValueError, match="neck"):
        create_model("yolov8n", neck="fpn")
