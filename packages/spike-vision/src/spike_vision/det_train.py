"""Train and evaluate detectors on a :class:`~spike_vision.data.DetectionDataset` (CPU-sized)."""

from __future__ import annotations

import torch
from torch import nn

from spike_vision.data import DetectionDataset
from spike_vision.det_loss import DetectionLoss, pad_targets
from spike_vision.metrics import DetectionMetrics
from spike_vision.nms import non_max_suppression
from spike_vision.yolo_blocks import Detect

__all__ = ["evaluate_detector", "train_detector"]


def _head(model: nn.Module) -> Detect:
    head = getattr(model, "head", None)
    if not isinstance(head, Detect):
        raise TypeError("model must expose a Detect head as `model.head`")
    return head


def train_detector(
    model: nn.Module,
    data: DetectionDataset,
    *,
    steps: int = 100,
    batch_size: int = 8,
    lr: float = 2e-3,
    weight_decay: float = 5e-4,
    seed: int = 0,
) -> list[float]:
    """Train with AdamW, a short linear warm-up and the YOLOv8 loss.

    Args:
        model: a detector whose ``head`` is a :class:`~spike_vision.yolo_blocks.Detect`;
            it receives batch-major images ``[B, 3, S, S]`` (spiking detectors direct-encode
            them over their ``time_steps``).
        data: the training set.
        steps: optimizer steps.
        batch_size: images per step.
        lr: peak learning rate.
        weight_decay: AdamW weight decay.
        seed: seed of the batch sampler.

    Returns:
        The loss of every step.
    """
    head = _head(model)
    loss_fn = DetectionLoss(num_classes=head.nc, strides=head.strides, reg_max=head.reg_max)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / warm) * max(0.05, 1 - i / steps)
    )
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    model.train()
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(data), (batch_size,), generator=gen)
        x = data.images[idx].to(device)
        boxes, labels, mask = pad_targets(data.targets(idx))
        loss, _ = loss_fn(model(x), boxes.to(device), labels.to(device), mask.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def evaluate_detector(
    model: nn.Module,
    data: DetectionDataset,
    *,
    batch_size: int = 16,
    conf_threshold: float = 0.001,
    iou_threshold: float = 0.7,
) -> dict[str, float]:
    """mAP@0.5, mAP@0.5:0.95, P, R and F1 of ``model`` on ``data`` (validation NMS settings).

    Args:
        model: detector returning ``(decoded, raw)`` in eval mode.
        data: evaluation set.
        batch_size: images per forward.
        conf_threshold: NMS confidence threshold (0.001 as in YOLOv8 validation).
        iou_threshold: NMS IoU threshold.

    Returns:
        The :meth:`DetectionMetrics.compute` dictionary.
    """
    model.eval()
    device = next(model.parameters()).device
    metrics = DetectionMetrics()
    for start in range(0, len(data), batch_size):
        x = data.images[start : start + batch_size].to(device)
        decoded, _ = model(x)
        dets = non_max_suppression(
            decoded, conf_threshold=conf_threshold, iou_threshold=iou_threshold
        )
        for j, det in enumerate(dets):
            k = start + j
            metrics.update(det[:, :4], det[:, 4], det[:, 5].long(), data.boxes[k], data.labels[k])
    return metrics.compute()
