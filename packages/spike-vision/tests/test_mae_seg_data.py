"""Spikformer V2 masked pre-training, segmentation, embedded data and training smoke tests."""

import pytest
import torch

from spike_core import create_model
from spike_core.testing import check_model
from spike_vision import (
    DIGIT_GLYPHS,
    Spikformer,
    SpikformerConfig,
    SpikformerMAE,
    SpikingDetector,
    SpikingDetectorConfig,
    SpikingSegmenter,
    SpikingSegmenterConfig,
    evaluate_detector,
    make_detection_dataset,
    make_digit_classification,
    patchify,
    random_token_mask,
    render_digit,
    sincos_pos_embed_2d,
    train_detector,
)


def _encoder() -> Spikformer:
    cfg = SpikformerConfig(
        depth=1, embed_dim=16, num_heads=2, stem_convs=(2, 2, 2, 2), backend="torch"
    )
    return Spikformer(cfg)


@pytest.mark.slow
def test_mae_masks_loss_and_handoff() -> None:
    torch.manual_seed(0)
    mae = SpikformerMAE(_encoder(), decoder_dim=16, decoder_depth=1, decoder_heads=2)
    images = torch.rand(2, 3, 64, 64)
    loss, pred, mask = mae(images)
    assert pred.shape == (2, 16, 16 * 16 * 3)
    assert mask.sum(1).tolist() == [8, 8]
    assert torch.isfinite(loss)
    loss.backward()
    assert mae.encoder.patch_embed.convs[0].module[0].weight.grad.abs().sum() > 0
    # the loss only looks at masked patches: changing a visible patch's prediction target
    # region of a masked-out... check by recomputing with an all-visible-but-one mask
    one = torch.zeros(2, 16, dtype=torch.bool)
    one[:, 3] = True
    loss1, pred1, _ = mae(images, one)
    tgt = patchify(images, 16)
    tgt = (tgt - tgt.mean(-1, keepdim=True)) / (tgt.var(-1, keepdim=True) + 1e-6).sqrt()
    manual = (pred1[:, 3] - tgt[:, 3]).square().mean()
    assert torch.allclose(loss1, manual, atol=1e-6)
    # hand-off: the encoder's weights load into the registered V2 model of the same config
    model = create_model("spikformer-v2-8-384", depth=1, embed_dim=16, num_heads=2, backend="torch")
    model.load_state_dict(mae.encoder.state_dict())
    model.reset_classifier(4)
    assert model(torch.rand(1, 1, 3, 32, 32)).shape == (1, 1, 4)


def test_masked_pixels_do_not_reach_masked_stem_outputs() -> None:
    torch.manual_seed(0)
    enc = _encoder()
    keep = torch.ones(1, 1, 2, 2)
    keep[0, 0, 0, 0] = 0
    x = torch.rand(1, 1, 3, 32, 32) * 5
    feats = []
    enc.patch_embed.lifs[0].register_forward_pre_hook(lambda _m, a: feats.append(a[0]))
    enc.tokens(x, keep)
    assert (feats[0][..., :16, :16] == 0).all()
    assert (feats[0][..., 16:, 16:] != 0).any()


def test_mask_and_pos_embed_helpers() -> None:
    m = random_token_mask(3, 10, 0.5, generator=torch.Generator().manual_seed(0))
    assert m.sum(1).tolist() == [5, 5, 5]
    pe = sincos_pos_embed_2d(2, 3, 8)
    assert pe.shape == (6, 8)
    assert torch.allclose(pe[0], torch.tensor([0.0, 0, 1, 1, 0, 0, 1, 1]))
    with pytest.raises(ValueError, match="mask ratio"):
        random_token_mask(1, 4, 1.0)
    with pytest.raises(ValueError, match="patch size"):
        SpikformerMAE(_encoder(), decoder_dim=8, decoder_depth=1, decoder_heads=2)(
            torch.rand(1, 3, 40, 40)
        )


@pytest.mark.slow
def test_segmenter_contract_and_registry() -> None:
    torch.manual_seed(0)
    cfg = SpikingSegmenterConfig(
        embed_dims=(8, 16, 16, 16), depths=(1, 1), num_heads=2, neck_channels=8,
        head_channels=8, num_classes=3, img_size=32, backend="torch",
    )  # fmt: skip
    check_model(SpikingSegmenter(cfg), expected_shape=(2, 3, 32, 32))
    seg = create_model("meta-spikeformer-15m-semfpn", embed_dims=(8, 16, 16, 16), depths=(1, 1), num_heads=2, neck_channels=8, head_channels=8, num_classes=2)  # fmt: skip
    assert seg(torch.rand(1, 2, 3, 32, 32)).shape == (2, 2, 32, 32)
    head = seg.decode_head
    assert [len(h) for h in head.scale_heads] == [1, 1, 2, 3]
    with pytest.raises(ValueError, match="num_classes"):
        create_model("meta-spikeformer-15m-semfpn", num_classes=0)


def test_digit_glyphs_and_dataset() -> None:
    assert len(DIGIT_GLYPHS) == 10
    assert all(len(g) == 7 and all(len(r) == 5 for r in g) for g in DIGIT_GLYPHS)
    assert len(set(DIGIT_GLYPHS)) == 10
    assert render_digit(1, 2).shape == (14, 10)
    a = make_detection_dataset(6, image_size=48, num_classes=4, seed=3)
    b = make_detection_dataset(6, image_size=48, num_classes=4, seed=3)
    assert torch.equal(a.images, b.images)
    assert a.images.shape == (6, 3, 48, 48)
    for boxes, labels in zip(a.boxes, a.labels, strict=True):
        assert 1 <= len(labels) <= 3
        assert ((boxes >= 0) & (boxes <= 48)).all()
        assert (labels < 4).all()
        assert (boxes[:, 2] > boxes[:, 0]).all()
    x, y = make_digit_classification(4, image_size=32)
    assert x.shape == (4, 3, 32, 32)
    assert y.shape == (4,)
    with pytest.raises(ValueError, match="num_classes"):
        make_detection_dataset(2, num_classes=11)
    with pytest.raises(ValueError, match="digit"):
        render_digit(10)


@pytest.mark.slow
def test_train_and_evaluate_detector_smoke() -> None:
    torch.manual_seed(0)
    data = make_detection_dataset(4, image_size=32, num_classes=2, scales=(1,), seed=0)
    det = SpikingDetector(
        SpikingDetectorConfig(
            embed_dims=(8, 16, 16, 16), depths=(1, 1), num_heads=2, p5_channels=16,
            neck_widths=(8, 8, 8, 8), num_classes=2, img_size=32, backend="torch",
        )
    )  # fmt: skip
    before = [p.detach().clone() for p in det.parameters()]
    losses = train_detector(det, data, steps=2, batch_size=2)
    assert len(losses) == 2
    assert all(torch.isfinite(torch.tensor(losses)))
    assert any(not torch.equal(a, p) for a, p in zip(before, det.parameters(), strict=True))
    metrics = evaluate_detector(det, data)
    assert set(metrics) == {"map50", "map", "precision", "recall", "f1"}
    assert 0.0 <= metrics["map50"] <= 0.995


def test_spike_fpn_detection_variant_has_extra_level() -> None:
    from spike_vision import SpikingFPN

    neck = SpikingFPN(in_channels=(4, 8, 8, 8), out_channels=8, num_outs=5, backend="torch")
    feats = [torch.rand(1, 2, c, s, s) for c, s in zip((4, 8, 8, 8), (16, 8, 4, 4), strict=True)]
    outs = neck(feats)
    assert [tuple(o.shape[-3:]) for o in outs] == [
        (8, 16, 16), (8, 8, 8), (8, 4, 4), (8, 4, 4), (8, 2, 2),
    ]  # fmt: skip
    assert torch.equal(outs[4], outs[3][..., ::2, ::2])
    with pytest.raises(ValueError, match="num_outs"):
        SpikingFPN(in_channels=(4, 8), out_channels=8, num_outs=1)


def test_train_classifier_on_embedded_digits() -> None:
    from spike_vision import top1_accuracy, train_classifier

    torch.manual_seed(0)
    x, y = make_digit_classification(32, image_size=32, seed=0)
    model = create_model(
        "spikformer-4-384-cifar10", depth=1, embed_dim=16, num_heads=2, backend="torch"
    )
    losses = train_classifier(model, x, y, time_steps=1, steps=3, batch_size=8)
    assert len(losses) == 3
    assert all(torch.isfinite(torch.tensor(losses)))
    acc = top1_accuracy(model, x, y, time_steps=1)
    assert 0.0 <= acc <= 1.0
    with pytest.raises(ValueError, match="labels"):
        top1_accuracy(model, x, y[:3])
