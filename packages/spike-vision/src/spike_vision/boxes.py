"""Box utilities: format conversion, IoU and CIoU, anchors and distance (ltrb) encoding.

Boxes are ``xyxy`` (corner) unless a name says ``xywh`` (centre, width, height).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "bbox_ciou",
    "box_iou",
    "dist_to_xyxy",
    "make_anchors",
    "xywh_to_xyxy",
    "xyxy_to_ltrb",
    "xyxy_to_xywh",
]


def xywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """``(cx, cy, w, h) -> (x1, y1, x2, y2)``; shapes ``[..., 4]``."""
    c, wh = boxes[..., :2], boxes[..., 2:]
    return torch.cat([c - wh / 2, c + wh / 2], -1)


def xyxy_to_xywh(boxes: torch.Tensor) -> torch.Tensor:
    """``(x1, y1, x2, y2) -> (cx, cy, w, h)``; shapes ``[..., 4]``."""
    a, b = boxes[..., :2], boxes[..., 2:]
    return torch.cat([(a + b) / 2, b - a], -1)


def box_iou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise IoU.

    Args:
        a: ``[N, 4]`` xyxy.
        b: ``[M, 4]`` xyxy.
        eps: added to the union.

    Returns:
        ``[N, M]``.
    """
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + eps)


def bbox_ciou(box1: torch.Tensor, box2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU of matching boxes (element-wise, YOLOv8 convention).

    ``CIoU = IoU - rho^2 / c^2 - alpha v`` with ``v = 4/pi^2 (atan(w2/h2) - atan(w1/h1))^2`` and
    ``alpha = v / (v - IoU + 1 + eps)`` computed without gradient; ``rho`` is the centre
    distance and ``c`` the diagonal of the enclosing box.

    Args:
        box1: ``[..., 4]`` xyxy.
        box2: ``[..., 4]`` xyxy (broadcastable with ``box1``).
        eps: numerical guard added to heights, union and ``c^2``.

    Returns:
        ``[...]`` CIoU in ``[-1.5, 1]``.
    """
    b1x1, b1y1, b1x2, b1y2 = box1.unbind(-1)
    b2x1, b2y1, b2x2, b2y2 = box2.unbind(-1)
    w1, h1 = b1x2 - b1x1, b1y2 - b1y1 + eps
    w2, h2 = b2x2 - b2x1, b2y2 - b2y1 + eps
    inter = (torch.minimum(b1x2, b2x2) - torch.maximum(b1x1, b2x1)).clamp(min=0) * (
        torch.minimum(b1y2, b2y2) - torch.maximum(b1y1, b2y1)
    ).clamp(min=0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.maximum(b1x2, b2x2) - torch.minimum(b1x1, b2x1)
    ch = torch.maximum(b1y2, b2y2) - torch.minimum(b1y1, b2y1)
    c2 = cw.square() + ch.square() + eps
    rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).square() + (b2y1 + b2y2 - b1y1 - b1y2).square()) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).square()
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def make_anchors(
    sizes: list[tuple[int, int]],
    strides: list[int],
    *,
    offset: float = 0.5,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Anchor points (cell centres in grid units) and per-anchor strides for every level.

    Args:
        sizes: ``(H_i, W_i)`` of each level.
        strides: stride of each level in pixels.
        offset: 0.5 puts anchors at cell centres.
        device: device of the outputs.
        dtype: dtype of the outputs.

    Returns:
        ``(points [A, 2], stride [A, 1])`` with ``A = sum H_i W_i``; points are ``(x, y)``.
    """
    points, stride_t = [], []
    for (h, w), s in zip(sizes, strides, strict=True):
        sy = torch.arange(h, device=device, dtype=dtype) + offset
        sx = torch.arange(w, device=device, dtype=dtype) + offset
        yy, xx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((xx, yy), -1).view(-1, 2))
        stride_t.append(torch.full((h * w, 1), float(s), device=device, dtype=dtype))
    return torch.cat(points), torch.cat(stride_t)


def dist_to_xyxy(distance: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Decode ``(l, t, r, b)`` distances around anchor points into xyxy boxes.

    Shapes:
        ``distance [..., A, 4]``, ``anchors [A, 2]`` -> ``[..., A, 4]``.
    """
    lt, rb = distance.chunk(2, -1)
    return torch.cat([anchors - lt, anchors + rb], -1)


def xyxy_to_ltrb(anchors: torch.Tensor, boxes: torch.Tensor, max_dist: float) -> torch.Tensor:
    """Encode xyxy boxes as ``(l, t, r, b)`` distances from anchors, clamped to ``[0, max_dist]``.

    Shapes:
        ``anchors [A, 2]`` (or broadcastable), ``boxes [..., A, 4]`` -> ``[..., A, 4]``.
    """
    x1y1, x2y2 = boxes.chunk(2, -1)
    return torch.cat([anchors - x1y1, x2y2 - anchors], -1).clamp(0, max_dist)
