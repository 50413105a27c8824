"""Non-maximum suppression for decoded YOLO-style outputs (pure PyTorch)."""

from __future__ import annotations

import torch

from spike_vision.boxes import box_iou, xywh_to_xyxy

__all__ = ["batched_nms", "nms", "non_max_suppression"]


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS: keep the best box, drop boxes overlapping it by more than ``iou_threshold``.

    Args:
        boxes: ``[N, 4]`` xyxy.
        scores: ``[N]``.
        iou_threshold: suppression threshold (IoU strictly greater is suppressed).

    Returns:
        Indices of kept boxes, ``[K]`` long, in decreasing score order.
    """
    order = scores.argsort(descending=True)
    iou = box_iou(boxes[order], boxes[order])
    n = len(order)
    suppressed = torch.zeros(n, dtype=torch.bool, device=boxes.device)
    keep = []
    for i in range(n):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """Class-aware NMS (boxes of different classes never suppress each other).

    Args:
        boxes: ``[N, 4]`` xyxy.
        scores: ``[N]``.
        classes: ``[N]`` integer classes.
        iou_threshold: suppression threshold.

    Returns:
        Kept indices ``[K]``.
    """
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    offset = classes.to(boxes) * (boxes.max() - boxes.min() + 1)
    return nms(boxes + offset[:, None], scores, iou_threshold)


def non_max_suppression(
    decoded: torch.Tensor,
    *,
    conf_threshold: float = 0.25,
    iou_threshold: float = 0.7,
    max_det: int = 300,
    max_nms: int = 30000,
) -> list[torch.Tensor]:
    """YOLOv8-style post-processing of a :class:`~spike_vision.yolo_blocks.Detect` output.

    Each anchor keeps its best class (single label per box).

    Args:
        decoded: ``[B, 4 + nc, A]`` (xywh pixels, class probabilities).
        conf_threshold: minimum class probability (0.001 for validation, 0.25 for prediction).
        iou_threshold: class-aware NMS threshold (0.7).
        max_det: maximum detections per image.
        max_nms: highest-scoring candidates passed to NMS.

    Returns:
        Per image a ``[K, 6]`` tensor ``(x1, y1, x2, y2, score, class)``.

    Raises:
        ValueError: for a tensor that is not ``[B, 4 + nc, A]``.
    """
    if decoded.dim() != 3 or decoded.shape[1] < 5:
        raise ValueError(f"decoded must be [B, 4 + nc, A], got shape {tuple(decoded.shape)}")
    out = []
    for pred in decoded.transpose(1, 2):  # [A, 4 + nc]
        boxes = xywh_to_xyxy(pred[:, :4])
        score, cls = pred[:, 4:].max(1)
        keep = score > conf_threshold
        boxes, score, cls = boxes[keep], score[keep], cls[keep]
        if len(score) > max_nms:
            top = score.topk(max_nms).indices
            boxes, score, cls = boxes[top], score[top], cls[top]
        idx = batched_nms(boxes, score, cls, iou_threshold)[:max_det]
        out.append(torch.cat([boxes[idx], score[idx, None], cls[idx, None].to(boxes)], 1))
    return out
