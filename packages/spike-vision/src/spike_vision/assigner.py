"""Task-aligned assigner (TOOD / YOLOv8).

For anchor ``a`` inside ground-truth box ``g``: alignment ``t = s^alpha * u^beta`` with ``s``
the predicted score of ``g``'s class and ``u = max(CIoU(pred_a, g), 0)``. Each GT keeps its
``topk`` best-aligned candidates; an anchor claimed by several GTs keeps the one with the
highest ``u``; soft targets are ``t / max_a t * max_a u`` per GT.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from spike_vision.boxes import bbox_ciou

__all__ = ["AssignResult", "TaskAlignedAssigner"]


class AssignResult(NamedTuple):
    """Targets per anchor.

    Attributes:
        labels: ``[B, A]`` class index of the assigned GT (0 where background).
        boxes: ``[B, A, 4]`` xyxy of the assigned GT.
        scores: ``[B, A, nc]`` soft class targets (0 for background).
        fg_mask: ``[B, A]`` bool, positive anchors.
        gt_index: ``[B, A]`` index of the assigned GT.
    """

    labels: torch.Tensor
    boxes: torch.Tensor
    scores: torch.Tensor
    fg_mask: torch.Tensor
    gt_index: torch.Tensor


class TaskAlignedAssigner(nn.Module):
    """YOLOv8's task-aligned assigner (``topk = 10, alpha = 0.5, beta = 6``).

    Args:
        num_classes: ``nc``.
        topk: positives kept per GT.
        alpha: score exponent.
        beta: IoU exponent.
        eps: numerical guard.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        topk: int = 10,
        alpha: float = 0.5,
        beta: float = 6.0,
        eps: float = 1e-9,
    ) -> None:
        super().__init__()
        self.nc = num_classes
        self.topk = topk
        self.alpha = alpha
        self.beta = beta
        self.eps = eps

    @torch.no_grad()
    def forward(
        self,
        pd_scores: torch.Tensor,
        pd_boxes: torch.Tensor,
        anchors: torch.Tensor,
        gt_labels: torch.Tensor,
        gt_boxes: torch.Tensor,
        gt_mask: torch.Tensor,
    ) -> AssignResult:
        """Assign targets.

        Args:
            pd_scores: ``[B, A, nc]`` predicted probabilities (sigmoid).
            pd_boxes: ``[B, A, 4]`` predicted xyxy boxes (pixels).
            anchors: ``[A, 2]`` anchor centres (pixels).
            gt_labels: ``[B, M]`` integer class labels.
            gt_boxes: ``[B, M, 4]`` xyxy (pixels).
            gt_mask: ``[B, M]`` bool, real (non-padding) boxes.

        Returns:
            An :class:`AssignResult`.
        """
        b, a, _ = pd_scores.shape
        m = gt_boxes.shape[1]
        dev = pd_scores.device
        if m == 0:
            return AssignResult(
                torch.zeros(b, a, dtype=torch.long, device=dev),
                torch.zeros(b, a, 4, dtype=pd_boxes.dtype, device=dev),
                torch.zeros_like(pd_scores),
                torch.zeros(b, a, dtype=torch.bool, device=dev),
                torch.zeros(b, a, dtype=torch.long, device=dev),
            )
        gt_labels = gt_labels.long()
        mask_gt = gt_mask.bool()[..., None]  # [B, M, 1]
        # 1. candidates: anchor centre strictly inside the GT
        lt = anchors[None, None] - gt_boxes[:, :, None, :2]
        rb = gt_boxes[:, :, None, 2:] - anchors[None, None]
        in_gts = torch.cat([lt, rb], -1).amin(-1) > self.eps  # [B, M, A]
        cand = in_gts & mask_gt
        # 2. alignment metric
        batch_idx = torch.arange(b, device=dev)[:, None].expand(b, m)
        scores = pd_scores[batch_idx, :, gt_labels.clamp(0, self.nc - 1)]  # [B, M, A]
        overlaps = bbox_ciou(gt_boxes[:, :, None, :], pd_boxes[:, None, :, :]).clamp(min=0)
        overlaps = overlaps * cand
        align = scores.pow(self.alpha) * overlaps.pow(self.beta) * cand
        # 3. top-k per GT
        k = min(self.topk, a)
        top_idx = align.topk(k, dim=-1).indices  # [B, M, k]
        top_mask = torch.zeros_like(align, dtype=torch.bool).scatter_(-1, top_idx, True)
        mask_pos = top_mask & cand
        # 4. an anchor claimed by several GTs keeps the GT with the highest overlap
        multi = mask_pos.sum(1, keepdim=True) > 1  # [B, 1, A]
        if multi.any():
            best = overlaps.argmax(1, keepdim=True)  # [B, 1, A]
            only_best = torch.zeros_like(mask_pos).scatter_(1, best, True)
            mask_pos = torch.where(multi, only_best & mask_pos.any(1, keepdim=True), mask_pos)
        fg = mask_pos.any(1)  # [B, A]
        gt_idx = mask_pos.float().argmax(1)  # [B, A]
        labels = gt_labels.gather(1, gt_idx)  # [B, A]
        boxes = gt_boxes.gather(1, gt_idx[..., None].expand(b, a, 4))
        one_hot = nn.functional.one_hot(labels.clamp(0, self.nc - 1), self.nc).to(pd_scores)
        target = one_hot * fg[..., None]
        # 5. normalized soft targets
        align = align * mask_pos
        pos_align = align.amax(-1, keepdim=True)  # [B, M, 1]
        pos_ovl = (overlaps * mask_pos).amax(-1, keepdim=True)
        norm = (align * pos_ovl / (pos_align + self.eps)).amax(1)  # [B, A]
        return AssignResult(labels * fg, boxes, target * norm[..., None], fg, gt_idx)
