"""YOLOv8 detection loss: BCE classification + CIoU box + distribution focal loss (DFL).

With the task-aligned targets ``ts`` (soft scores), ``S = max(sum ts, 1)`` and the positive
weight ``w_a = sum_c ts[a, c]``::

    L_cls = sum BCEWithLogits(logits, ts) / S
    L_box = sum_pos (1 - CIoU(pred_a, gt_a)) w_a / S           # boxes in stride units
    L_dfl = sum_pos mean_sides[CE(p, y_l)(y_r - y) + CE(p, y_r)(y - y_l)] w_a / S
    L     = (7.5 L_box + 0.5 L_cls + 1.5 L_dfl) * batch_size
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from spike_core._validation import check_tensor
from spike_vision.assigner import TaskAlignedAssigner
from spike_vision.boxes import bbox_ciou, dist_to_xyxy, make_anchors, xyxy_to_ltrb

__all__ = ["DetectionLoss", "dfl_loss", "pad_targets"]


def dfl_loss(pred_dist: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Distribution focal loss between bin logits and continuous targets.

    Args:
        pred_dist: ``[N, 4, reg_max]`` logits.
        target: ``[N, 4]`` distances in ``[0, reg_max - 1)``.

    Returns:
        ``[N, 1]`` loss averaged over the four sides.
    """
    tl = target.long()
    tr = tl + 1
    wl = tr - target
    wr = 1 - wl
    n, s, r = pred_dist.shape
    flat = pred_dist.reshape(-1, r)
    left = F.cross_entropy(flat, tl.view(-1), reduction="none").view(n, s)
    right = F.cross_entropy(flat, tr.view(-1), reduction="none").view(n, s)
    return (left * wl + right * wr).mean(-1, keepdim=True)


def pad_targets(
    targets: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad per-image ``(boxes [n_i, 4] xyxy, labels [n_i])`` to a batch.

    Args:
        targets: one ``(boxes, labels)`` pair per image.

    Returns:
        ``(boxes [B, M, 4], labels [B, M], mask [B, M])`` with ``M = max n_i``.
    """
    b = len(targets)
    m = max((len(t[1]) for t in targets), default=0)
    ref = targets[0][0] if targets else torch.zeros(0, 4)
    boxes = ref.new_zeros(b, m, 4)
    labels = torch.zeros(b, m, dtype=torch.long, device=ref.device)
    mask = torch.zeros(b, m, dtype=torch.bool, device=ref.device)
    for i, (bx, lb) in enumerate(targets):
        n = len(lb)
        boxes[i, :n] = bx
        labels[i, :n] = lb
        mask[i, :n] = True
    return boxes, labels, mask


class DetectionLoss(nn.Module):
    """YOLOv8 ``v8DetectionLoss`` for a :class:`~spike_vision.yolo_blocks.Detect` head.

    Args:
        num_classes: ``nc``.
        strides: head strides.
        reg_max: DFL bins.
        box_gain: weight of the CIoU loss (7.5).
        cls_gain: weight of the BCE loss (0.5).
        dfl_gain: weight of the DFL (1.5).
        topk: assigner positives per GT.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        strides: tuple[int, ...],
        reg_max: int = 16,
        box_gain: float = 7.5,
        cls_gain: float = 0.5,
        dfl_gain: float = 1.5,
        topk: int = 10,
    ) -> None:
        super().__init__()
        self.nc = num_classes
        self.strides = list(strides)
        self.reg_max = reg_max
        self.gains = (box_gain, cls_gain, dfl_gain)
        self.assigner = TaskAlignedAssigner(num_classes=num_classes, topk=topk)
        self.register_buffer("proj", torch.arange(reg_max, dtype=torch.float32), persistent=False)

    def forward(
        self,
        raw: list[torch.Tensor],
        gt_boxes: torch.Tensor,
        gt_labels: torch.Tensor,
        gt_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Compute the loss.

        Args:
            raw: per-level head maps ``[B, 4 * reg_max + nc, H_i, W_i]``.
            gt_boxes: ``[B, M, 4]`` xyxy in pixels.
            gt_labels: ``[B, M]`` class indices.
            gt_mask: ``[B, M]`` bool, real boxes.

        Returns:
            ``(loss, items)``: the scalar total (times batch size) and the detached
            ``[box, cls, dfl]`` components.

        Raises:
            ValueError: for mismatched target shapes or out-of-range labels.
        """
        check_tensor(gt_boxes, "gt_boxes")
        if gt_boxes.dim() != 3 or gt_boxes.shape[-1] != 4:
            raise ValueError(f"gt_boxes must be [B, M, 4], got shape {tuple(gt_boxes.shape)}")
        if gt_labels.shape != gt_boxes.shape[:2] or gt_mask.shape != gt_boxes.shape[:2]:
            raise ValueError("gt_labels and gt_mask must be [B, M] like gt_boxes")
        if gt_mask.any() and (gt_labels[gt_mask].min() < 0 or gt_labels[gt_mask].max() >= self.nc):
            raise ValueError(f"gt_labels must be in [0, {self.nc}) where gt_mask is set")
        b = raw[0].shape[0]
        cat = torch.cat([x.flatten(2) for x in raw], 2)
        pred_distri, pred_scores = cat.split((4 * self.reg_max, self.nc), 1)
        pred_distri = pred_distri.transpose(1, 2)  # [B, A, 4 * reg_max]
        pred_scores = pred_scores.transpose(1, 2)  # [B, A, nc]
        sizes = [(int(x.shape[2]), int(x.shape[3])) for x in raw]
        anchors, stride = make_anchors(sizes, self.strides, device=cat.device, dtype=cat.dtype)
        probs = pred_distri.view(b, -1, 4, self.reg_max).softmax(-1)
        pred_boxes = dist_to_xyxy(probs @ self.proj.to(cat), anchors)  # grid units
        res = self.assigner(
            pred_scores.detach().sigmoid(),
            (pred_boxes.detach() * stride).to(gt_boxes.dtype),
            anchors * stride,
            gt_labels,
            gt_boxes,
            gt_mask,
        )
        tss = res.scores.sum().clamp(min=1)
        loss_cls = (
            F.binary_cross_entropy_with_logits(
                pred_scores, res.scores.to(pred_scores), reduction="none"
            ).sum()
            / tss
        )
        loss_box = cat.new_zeros(())
        loss_dfl = cat.new_zeros(())
        fg = res.fg_mask
        if fg.any():
            target_boxes = res.boxes / stride
            weight = res.scores.sum(-1)[fg].unsqueeze(-1)
            ciou = bbox_ciou(pred_boxes[fg], target_boxes[fg])
            loss_box = ((1.0 - ciou)[:, None] * weight).sum() / tss
            ltrb = xyxy_to_ltrb(anchors, target_boxes, self.reg_max - 1 - 0.01)
            pd = pred_distri[fg].view(-1, 4, self.reg_max)
            loss_dfl = (dfl_loss(pd, ltrb[fg]) * weight).sum() / tss
        g_box, g_cls, g_dfl = self.gains
        items = torch.stack([loss_box * g_box, loss_cls * g_cls, loss_dfl * g_dfl])
        return items.sum() * b, items.detach()
