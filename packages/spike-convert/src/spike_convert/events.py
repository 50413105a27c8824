"""Event-data preparation of pipe-D: ES-ImageNet frames and the ES-UCF101 generator (mode 1).

ES-ImageNet: each sample is a list of positive and negative events ``(x, y, t)``, ``t in 1..8``.
They are scattered into a ``2 x 8 x 256 x 256`` canvas (channel 0 positive, 1 negative), centred
by the stored image width/height (offset ``((256 - w) // 2, (256 - h) // 2)``, our reading of
"centred"), then cropped to ``[16:240, 16:240]``: a float tensor ``(2, 8, 224, 224)``.

ES-UCF101 (mode 1): 31 frames sampled uniformly from a gray video, 30 consecutive differences, per-
clip thresholds at the ``ratio/2`` and ``1 - ratio/2`` quantiles of all differences (7.5 % and
92.5 % for the default event ratio 0.15); a positive event where the difference exceeds the upper
threshold, a negative one where it is below the lower: ``uint8`` ``(2, 30, H, W)``. Mode 2 (random
Gaussian contrast thresholds) is not implemented: its mean threshold is unconfirmed.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["es_imagenet_frames", "es_ucf101_events"]


def _check_events(events: np.ndarray | torch.Tensor, name: str) -> torch.Tensor:
    e = torch.as_tensor(np.asarray(events), dtype=torch.int64)
    if e.dim() != 2 or e.shape[1] != 3:
        raise ValueError(f"{name} must be an [n, 3] array of (x, y, t), got shape {tuple(e.shape)}")
    if e.numel() and (int(e[:, 2].min()) < 1 or int(e[:, 2].max()) > 8):
        raise ValueError(f"{name} time stamps must be in 1..8")
    return e


def es_imagenet_frames(
    pos: np.ndarray | torch.Tensor,
    neg: np.ndarray | torch.Tensor,
    *,
    width: int,
    height: int,
) -> torch.Tensor:
    """Scatter one ES-ImageNet sample into its ``(2, 8, 224, 224)`` tensor.

    Args:
        pos: positive events ``[n, 3]`` of ``(x, y, t)``, ``t`` in ``1..8``.
        neg: negative events, same layout.
        width: stored image width (at most 256).
        height: stored image height (at most 256).

    Returns:
        Float tensor ``(2, 8, 224, 224)``: polarity, time, y, x.

    Shapes:
        Output ``[2, 8, 224, 224]`` (polarity-major; stack samples and move time first for a model).
    """
    if not (0 < width <= 256 and 0 < height <= 256):
        raise ValueError(f"width and height must be in 1..256, got {width}x{height}")
    canvas = torch.zeros(2, 8, 256, 256)
    dx, dy = (256 - width) // 2, (256 - height) // 2
    for c, events in enumerate((pos, neg)):
        e = _check_events(events, "pos" if c == 0 else "neg")
        if not e.numel():
            continue
        x, y, t = e[:, 0] + dx, e[:, 1] + dy, e[:, 2] - 1
        if int(x.min()) < 0 or int(x.max()) > 255 or int(y.min()) < 0 or int(y.max()) > 255:
            raise ValueError("event coordinates fall outside the 256 x 256 canvas")
        canvas[c, t, y, x] = 1.0
    return canvas[:, :, 16:240, 16:240].contiguous()


def es_ucf101_events(frames: torch.Tensor, *, event_ratio: float = 0.15) -> torch.Tensor:
    """ES-UCF101 mode-1 events from a gray video.

    Args:
        frames: gray frames in ``[0, 1]``, ``[F, H, W]`` with ``F >= 2``.
        event_ratio: fraction of pixels (over all 30 differences) that become events, split evenly
            between the polarities.

    Returns:
        ``uint8`` tensor ``(2, 30, H, W)`` (channel 0 positive, 1 negative).

    Shapes:
        ``[F, H, W] -> [2, 30, H, W]``.
    """
    if not isinstance(frames, torch.Tensor) or frames.dim() != 3 or frames.shape[0] < 2:
        raise ValueError(
            f"frames must be [F, H, W] with F >= 2, got {getattr(frames, 'shape', type(frames))}"
        )
    if not 0.0 < event_ratio < 1.0:
        raise ValueError(f"event_ratio must be in (0, 1), got {event_ratio!r}")
    idx = torch.linspace(0, frames.shape[0] - 1, 31).round().long()
    f = frames[idx].double()
    diff = f[1:] - f[:-1]
    flat = diff.flatten()
    lo = torch.quantile(flat, event_ratio / 2)
    hi = torch.quantile(flat, 1 - event_ratio / 2)
    return torch.stack([diff > hi, diff < lo]).to(torch.uint8)
