"""Detection metrics with ultralytics semantics: 101-point AP, mAP@0.5 and mAP@0.5:0.95.

Matching at IoU threshold ``tau``: (prediction, GT) pairs of the same class with
``IoU >= tau`` sorted by IoU, made one-to-one; matched predictions are true positives. Per class
the precision envelope of the confidence-ranked PR curve is integrated with the trapezoid rule
at ``r = 0, 0.01, ..., 1`` after appending ``(r, p) = (0, 1)`` and ``(1, 0)``, so a perfect
detector scores 0.995.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from spike_vision.boxes import box_iou

__all__ = [
    "DetectionMetrics",
    "ap_per_class",
    "compute_ap",
    "f1_score",
    "match_predictions",
]

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def f1_score(precision: float, recall: float) -> float:
    """``2 P R / (P + R)`` (0 when both are 0)."""
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def compute_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """101-point interpolated average precision of one PR curve.

    Args:
        recall: ``[n]`` cumulative recall of the confidence-ranked predictions.
        precision: ``[n]`` cumulative precision.

    Returns:
        AP in ``[0, 0.995]`` (1.0 is unreachable by construction).
    """
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    y = np.interp(x, mrec, mpre)
    return float(((y[1:] + y[:-1]) / 2 * np.diff(x)).sum())


def match_predictions(
    pred_classes: np.ndarray,
    gt_classes: np.ndarray,
    iou: np.ndarray,
    thresholds: np.ndarray = IOU_THRESHOLDS,
) -> np.ndarray:
    """True-positive flags of predictions at each IoU threshold.

    Args:
        pred_classes: ``[P]``.
        gt_classes: ``[G]``.
        iou: ``[G, P]`` IoU matrix.
        thresholds: ``[K]`` IoU thresholds.

    Returns:
        ``[P, K]`` bool.
    """
    correct = np.zeros((len(pred_classes), len(thresholds)), dtype=bool)
    iou = iou * (gt_classes[:, None] == pred_classes[None, :])
    for k, thr in enumerate(thresholds):
        matches = np.argwhere(iou >= thr)  # (gt, pred) pairs
        if len(matches):
            if len(matches) > 1:
                matches = matches[iou[matches[:, 0], matches[:, 1]].argsort(kind="stable")[::-1]]
                matches = matches[np.unique(matches[:, 1], return_index=True)[1]]
                matches = matches[np.unique(matches[:, 0], return_index=True)[1]]
            correct[matches[:, 1], k] = True
    return correct


def _smooth(y: np.ndarray, f: float = 0.05) -> np.ndarray:
    nf = round(len(y) * f * 2) // 2 + 1
    p = np.ones(nf // 2)
    yp = np.concatenate((p * y[0], y, p * y[-1]), 0)
    return np.convolve(yp, np.ones(nf) / nf, mode="valid")


def ap_per_class(
    tp: np.ndarray, conf: np.ndarray, pred_cls: np.ndarray, target_cls: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-class AP at every threshold and P/R/F1 at the best mean-F1 confidence.

    Args:
        tp: ``[P, K]`` true-positive flags.
        conf: ``[P]`` confidences.
        pred_cls: ``[P]`` predicted classes.
        target_cls: ``[G]`` classes of every GT box.

    Returns:
        ``{"classes", "ap" [C, K], "precision" [C], "recall" [C], "f1" [C]}`` over the classes
        present in the ground truth.
    """
    order = np.argsort(-conf, kind="stable")
    tp, conf, pred_cls = tp[order], conf[order], pred_cls[order]
    classes, n_gt = np.unique(target_cls, return_counts=True)
    k = tp.shape[1]
    ap = np.zeros((len(classes), k))
    x = np.linspace(0, 1, 1000)
    p_curve = np.zeros((len(classes), 1000))
    r_curve = np.zeros((len(classes), 1000))
    for ci, c in enumerate(classes):
        sel = pred_cls == c
        if not sel.any():
            continue
        tpc = tp[sel].cumsum(0)
        fpc = (1 - tp[sel]).cumsum(0)
        recall = tpc / (n_gt[ci] + 1e-16)
        precision = tpc / (tpc + fpc)
        r_curve[ci] = np.interp(-x, -conf[sel], recall[:, 0], left=0)
        p_curve[ci] = np.interp(-x, -conf[sel], precision[:, 0], left=1)
        for j in range(k):
            ap[ci, j] = compute_ap(recall[:, j], precision[:, j])
    f1 = 2 * p_curve * r_curve / (p_curve + r_curve + 1e-16)
    best = int(_smooth(f1.mean(0), 0.1).argmax()) if len(classes) else 0
    return {
        "classes": classes,
        "ap": ap,
        "precision": p_curve[:, best],
        "recall": r_curve[:, best],
        "f1": f1[:, best],
    }


@dataclass
class DetectionMetrics:
    """Accumulates per-image detections and computes mAP@0.5, mAP@0.5:0.95, P, R, F1.

    Examples:
        >>> m = DetectionMetrics()
        >>> box = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
        >>> m.update(box, torch.tensor([0.9]), torch.tensor([0]), box, torch.tensor([0]))
        >>> round(m.compute()["map50"], 4)
        0.995
    """

    thresholds: np.ndarray = field(default_factory=IOU_THRESHOLDS.copy)
    _tp: list[np.ndarray] = field(default_factory=list)
    _conf: list[np.ndarray] = field(default_factory=list)
    _pcls: list[np.ndarray] = field(default_factory=list)
    _tcls: list[np.ndarray] = field(default_factory=list)

    def update(
        self,
        pred_boxes: torch.Tensor,
        pred_scores: torch.Tensor,
        pred_labels: torch.Tensor,
        gt_boxes: torch.Tensor,
        gt_labels: torch.Tensor,
    ) -> None:
        """Add one image.

        Args:
            pred_boxes: ``[P, 4]`` xyxy.
            pred_scores: ``[P]``.
            pred_labels: ``[P]``.
            gt_boxes: ``[G, 4]`` xyxy.
            gt_labels: ``[G]``.

        Raises:
            ValueError: for inconsistent shapes.
        """
        if pred_boxes.shape[-1:] != (4,) or gt_boxes.shape[-1:] != (4,):
            raise ValueError("pred_boxes and gt_boxes must be [N, 4] xyxy")
        if not (len(pred_boxes) == len(pred_scores) == len(pred_labels)):
            raise ValueError("pred_boxes, pred_scores and pred_labels must have equal length")
        if len(gt_boxes) != len(gt_labels):
            raise ValueError("gt_boxes and gt_labels must have equal length")
        pc = pred_labels.detach().cpu().numpy().astype(int)
        gc = gt_labels.detach().cpu().numpy().astype(int)
        iou = box_iou(gt_boxes.detach().cpu().double(), pred_boxes.detach().cpu().double())
        self._tp.append(match_predictions(pc, gc, iou.numpy(), self.thresholds))
        self._conf.append(pred_scores.detach().cpu().double().numpy())
        self._pcls.append(pc)
        self._tcls.append(gc)

    def compute(self) -> dict[str, float]:
        """``{"map50", "map", "precision", "recall", "f1"}`` (means over GT classes)."""
        if not self._tcls or not np.concatenate(self._tcls).size:
            return {"map50": 0.0, "map": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}
        r = ap_per_class(
            np.concatenate(self._tp),
            np.concatenate(self._conf),
            np.concatenate(self._pcls),
            np.concatenate(self._tcls),
        )
        p, rc = float(r["precision"].mean()), float(r["recall"].mean())
        return {
            "map50": float(r["ap"][:, 0].mean()),
            "map": float(r["ap"].mean()),
            "precision": p,
            "recall": rc,
            "f1": f1_score(p, rc),
        }
