"""Detection: parameter counts, head shapes, DFL decode, assigner, losses, NMS, metrics."""

import math

import numpy as np
import pytest
import torch

from spike_core import count_parameters, meta_parameter_count
from spike_core.testing import check_model
from spike_vision import (
    BiFPN,
    Detect,
    DetectionLoss,
    DetectionMetrics,
    FastFusion,
    SpikingDetector,
    SpikingDetectorConfig,
    TaskAlignedAssigner,
    YOLOv8,
    YOLOv8Config,
    bbox_ciou,
    compute_ap,
    dfl_loss,
    f1_score,
    make_anchors,
    nms,
    non_max_suppression,
    pad_targets,
    xyxy_to_ltrb,
)


def _count(**cfg: object) -> int:
    with torch.device("meta"):
        return count_parameters(YOLOv8(YOLOv8Config(**cfg)))


@pytest.mark.parametrize(
    ("cfg", "count"),
    [
        ({"scale": "n"}, 3_157_200),
        ({"scale": "s"}, 11_166_560),
        ({"scale": "m"}, 25_902_640),
        ({"scale": "l"}, 43_691_520),
        ({"scale": "x"}, 68_229_648),
        ({"scale": "s", "num_classes": 1}, 11_135_987),
        ({"neck": "pan-p2"}, 10_884_336),
        ({"neck": "pan-p2", "num_classes": 1}, 10_637_236),
        ({"neck": "bifpn-p2"}, 11_488_254),
        ({"neck": "bifpn-p2", "num_classes": 1}, 11_241_154),
    ],
)
def test_yolo_parameter_counts(cfg: dict, count: int) -> None:
    assert _count(**cfg) == count


def test_bifpn_p2_parts_and_spiking_adapter() -> None:
    with torch.device("meta"):
        m = YOLOv8(YOLOv8Config(neck="bifpn-p2"))
        d = SpikingDetector(SpikingDetectorConfig())
    assert count_parameters(m.backbone) == 5_079_712
    assert count_parameters(m.neck) == 4_741_646
    assert count_parameters(m.head) == 1_666_896
    assert count_parameters(d.p5) == 1_659_904
    assert meta_parameter_count("yolov8s-p2") == 10_884_336


def test_head_anchor_counts_at_640() -> None:
    # training output (B, 64 + nc, A): 34000 anchors for P2-P5, 8400 for P3-P5 at 640
    sizes = [(160, 160), (80, 80), (40, 40), (20, 20)]
    assert len(make_anchors(sizes, [4, 8, 16, 32])[0]) == 34000
    assert len(make_anchors(sizes[1:], [8, 16, 32])[0]) == 8400
    head = Detect(num_classes=3, channels=(8, 8), strides=(8, 16)).eval()
    dec, raw = head([torch.rand(2, 8, 8, 8), torch.rand(2, 8, 4, 4)])
    assert dec.shape == (2, 4 + 3, 80)
    assert raw[0].shape == (2, 64 + 3, 8, 8)


def test_dfl_decode_of_zero_logits() -> None:
    head = Detect(num_classes=2, channels=(4,), strides=(8,)).eval()
    raw = [torch.zeros(1, 64 + 2, 1, 1)]
    dec = head.decode(raw)
    xywh = dec[0, :4, 0]
    xyxy = torch.cat([xywh[:2] - xywh[2:] / 2, xywh[:2] + xywh[2:] / 2])
    assert torch.allclose(xyxy, torch.tensor([-56.0, -56.0, 64.0, 64.0]))
    assert torch.allclose(head.dfl(torch.zeros(1, 64, 1)), torch.full((1, 4, 1), 7.5))


def test_ciou_identical_boxes_and_dfl_clamp() -> None:
    b = torch.tensor([[1.0, 2.0, 5.0, 9.0]])
    assert torch.allclose(bbox_ciou(b, b), torch.ones(1), atol=1e-6)
    far = torch.tensor([[20.0, 20.0, 22.0, 30.0]])
    assert bbox_ciou(b, far) < 0
    anchors = torch.tensor([[0.5, 0.5]])
    t = xyxy_to_ltrb(anchors, torch.tensor([[[-40.0, -40.0, 40.0, 40.0]]]), 16 - 1 - 0.01)
    assert t.max() <= 14.99 + 1e-6


def _assign_case() -> tuple:
    torch.manual_seed(0)
    anchors, stride = make_anchors([(8, 8)], [4])
    anchors = anchors * stride
    a = len(anchors)
    gt_boxes = torch.tensor([[[2.0, 2.0, 20.0, 20.0], [10.0, 10.0, 30.0, 28.0], [0, 0, 0, 0]]])
    gt_labels = torch.tensor([[0, 1, 0]])
    gt_mask = torch.tensor([[True, True, False]])
    scores = torch.rand(1, a, 2)
    pd = torch.cat([anchors - 6, anchors + 6], -1)[None]
    return scores, pd, anchors, gt_labels, gt_boxes, gt_mask


def test_assigner_properties() -> None:
    scores, pd, anchors, gl, gb, gm = _assign_case()
    res = TaskAlignedAssigner(num_classes=2, topk=10)(scores, pd, anchors, gl, gb, gm)
    fg = res.fg_mask[0]
    assert fg.any()
    for i in fg.nonzero().flatten():
        g = gb[0, res.gt_index[0, i]]
        x, y = anchors[i]
        assert g[0] < x < g[2]
        assert g[1] < y < g[3]
        assert res.labels[0, i] == gl[0, res.gt_index[0, i]]
    counts = torch.bincount(res.gt_index[0][fg], minlength=3)
    assert counts.max() <= 10
    assert counts[2] == 0  # padding box never assigned
    assert (res.scores[0][~fg] == 0).all()
    assert res.scores.max() <= 1.0


def test_assigner_and_loss_with_no_boxes() -> None:
    raw = [torch.randn(2, 64 + 3, 4, 4, requires_grad=True)]
    loss_fn = DetectionLoss(num_classes=3, strides=(8,))
    boxes, labels, mask = pad_targets([(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))] * 2)
    loss, items = loss_fn(raw, boxes, labels, mask)
    assert torch.isfinite(loss)
    assert items[0] == 0
    assert items[2] == 0
    loss.backward()
    assert torch.isfinite(raw[0].grad).all()


def test_loss_decreases_box_term_for_perfect_prediction() -> None:
    loss_fn = DetectionLoss(num_classes=1, strides=(8,))
    boxes, labels, mask = pad_targets([(torch.tensor([[8.0, 8.0, 24.0, 24.0]]), torch.tensor([0]))])
    raw = torch.zeros(1, 65, 4, 4)
    _loss_zero, items_zero = loss_fn([raw], boxes, labels, mask)
    # make every anchor predict the exact GT distances (sharp one-hot at integer bins)
    anchors, _ = make_anchors([(4, 4)], [8])
    ltrb = xyxy_to_ltrb(anchors, boxes[0, :1].expand(16, 4) / 8, 14.99)
    good = torch.full((1, 4, 16, 16), -50.0)
    for a in range(16):
        for s in range(4):
            v = float(ltrb[a, s])
            lo = math.floor(v)
            good[0, s, lo, a] = 50.0 + math.log(max(lo + 1 - v, 1e-9))
            if lo + 1 < 16:
                good[0, s, lo + 1, a] = 50.0 + math.log(max(v - lo, 1e-9))
    raw_good = torch.cat([good.reshape(1, 64, 4, 4), torch.full((1, 1, 4, 4), 5.0)], 1)
    _, items_good = loss_fn([raw_good], boxes, labels, mask)
    assert items_good[0] < 1e-4  # CIoU loss 0 for exact boxes
    assert items_good[0] < items_zero[0]


def test_dfl_loss_values() -> None:
    sharp = torch.full((1, 4, 16), -50.0)
    sharp[0, :, 3] = 50.0
    assert dfl_loss(sharp, torch.full((1, 4), 3.0)).item() == pytest.approx(0.0, abs=1e-6)
    p = torch.full((1, 4, 16), 1e-12)
    p[0, :, 3], p[0, :, 4] = 0.75, 0.25
    val = dfl_loss(p.log(), torch.full((1, 4), 3.25)).item()
    entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert val == pytest.approx(entropy, rel=1e-5)
    q = p.clone()
    q[0, :, 3], q[0, :, 4] = 0.6, 0.4
    assert dfl_loss(q.log(), torch.full((1, 4), 3.25)).item() > val


def test_loss_errors() -> None:
    loss_fn = DetectionLoss(num_classes=2, strides=(8,))
    raw = [torch.zeros(1, 66, 2, 2)]
    with pytest.raises(ValueError, match="gt_boxes"):
        loss_fn(raw, torch.zeros(1, 4), torch.zeros(1, 1), torch.ones(1, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match="gt_labels"):
        loss_fn(
            raw,
            torch.zeros(1, 1, 4),
            torch.full((1, 1), 5),
            torch.ones(1, 1, dtype=torch.bool),
        )


def test_nms() -> None:
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 10]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    assert nms(boxes, scores, 0.5).tolist() == [3, 2]
    dec = torch.zeros(1, 4 + 2, 3)
    dec[0, :4] = torch.tensor([[5.0, 5.5, 25.0], [5.0, 5.5, 25.0], [10, 9, 10], [10, 9, 10]])
    dec[0, 4] = torch.tensor([0.9, 0.0, 0.1])
    dec[0, 5] = torch.tensor([0.0, 0.8, 0.6])
    out = non_max_suppression(dec, conf_threshold=0.25)[0]
    # boxes 0 and 1 overlap but have different classes: both kept (class-aware)
    assert out.shape == (3, 6)
    assert out[:, 5].tolist() == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="decoded"):
        non_max_suppression(torch.zeros(2, 3))


def test_map_hand_examples() -> None:
    box = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    m = DetectionMetrics()
    m.update(box, torch.tensor([0.9]), torch.tensor([0]), box, torch.tensor([0]))
    r = m.compute()
    assert r["map50"] == pytest.approx(0.995)
    assert r["map"] == pytest.approx(0.995)
    # a higher-ranked false positive, then the true positive
    m = DetectionMetrics()
    preds = torch.tensor([[50.0, 50.0, 60.0, 60.0], [0.0, 0.0, 10.0, 10.0]])
    m.update(preds, torch.tensor([0.9, 0.8]), torch.tensor([0, 0]), box, torch.tensor([0]))
    assert m.compute()["map50"] == pytest.approx(0.4975)
    # IoU 0.45 -> not a match at 0.5
    m = DetectionMetrics()
    shifted = torch.tensor([[0.0, 0.0, 10.0, 4.5]])
    m.update(shifted, torch.tensor([0.9]), torch.tensor([0]), box, torch.tensor([0]))
    assert m.compute()["map50"] == 0.0
    # wrong class never matches; missing class counts as AP 0 in the mean
    m = DetectionMetrics()
    m.update(box, torch.tensor([0.9]), torch.tensor([1]), box, torch.tensor([0]))
    assert m.compute()["map50"] == 0.0
    m = DetectionMetrics()
    two = torch.cat([box, box + 20])
    m.update(box, torch.tensor([0.9]), torch.tensor([0]), two, torch.tensor([0, 1]))
    assert m.compute()["map50"] == pytest.approx(0.995 / 2)


def test_map_ten_thresholds() -> None:
    # IoU 0.82: TP for thresholds 0.50..0.80 (7 of 10)
    box = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    m = DetectionMetrics()
    m.update(torch.tensor([[0.0, 0.0, 10.0, 8.2]]), torch.tensor([0.9]), torch.tensor([0]),
             box, torch.tensor([0]))  # fmt: skip
    assert m.compute()["map"] == pytest.approx(0.995 * 7 / 10)


def test_compute_ap_and_f1() -> None:
    assert compute_ap(np.array([1.0]), np.array([1.0])) == pytest.approx(0.995)
    assert f1_score(0.676, 0.615) == pytest.approx(0.6441, abs=5e-5)
    assert f1_score(0.592, 0.507) == pytest.approx(0.5462, abs=5e-5)


def test_fast_fusion() -> None:
    f = FastFusion(2)
    total = f.normalized_weights().sum().item()
    assert 0 < 1 - total < 1e-4
    a, b = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4)
    assert torch.allclose(f([a, b]), (a + b) / 2, atol=1e-4)
    f3 = FastFusion(3)
    with torch.no_grad():
        f3.weight.copy_(torch.tensor([-1.0, 2.0, 2.0]))
    assert f3.normalized_weights()[0] == 0


def test_bifpn_shapes() -> None:
    neck = BiFPN(in_channels=(4, 8, 8, 16), widths=(8, 8, 8, 8))
    feats = [torch.rand(1, c, 32 // 2**i, 32 // 2**i) for i, c in enumerate((4, 8, 8, 16))]
    outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 8, 32 - 0, 32), (1, 8, 16, 16), (1, 8, 8, 8),
                                              (1, 8, 4, 4)]  # fmt: skip


@pytest.mark.slow
def test_detectors_pass_check_model() -> None:
    torch.manual_seed(0)
    yolo = YOLOv8(YOLOv8Config(scale="n", neck="bifpn-p2", num_classes=2, img_size=64))
    check_model(yolo, yolo.example_input(batch_size=2))
    det = SpikingDetector(
        SpikingDetectorConfig(
            embed_dims=(8, 16, 16, 16), depths=(1, 1), num_heads=2, p5_channels=16,
            neck_widths=(8, 8, 8, 8), num_classes=2, img_size=32, backend="torch",
        )
    )  # fmt: skip
    out = check_model(det, det.example_input(batch_size=2, time_steps=2))
    assert [tuple(o.shape) for o in out] == [(2, 66, 8, 8), (2, 66, 4, 4), (2, 66, 2, 2),
                                             (2, 66, 1, 1)]  # fmt: skip
    with pytest.raises(ValueError, match="patch size 32"):
        det(torch.rand(1, 1, 3, 48, 48))
