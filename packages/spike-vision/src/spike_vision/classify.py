"""Train and evaluate registered classifiers on batch-major image data (CPU-sized helpers)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from spike_core import direct_encode
from spike_core._validation import check_tensor

__all__ = ["top1_accuracy", "train_classifier"]


def _check(images: torch.Tensor, labels: torch.Tensor) -> None:
    check_tensor(images, "images")
    check_tensor(labels, "labels")
    if images.dim() != 4:
        raise ValueError(f"images must be [N, C, H, W], got shape {tuple(images.shape)}")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"labels must be [N] = [{images.shape[0]}], got {tuple(labels.shape)}")


def _logits(model: nn.Module, x: torch.Tensor, time_steps: int) -> torch.Tensor:
    out = model(direct_encode(x, time_steps))
    return out.mean(0) if out.dim() == 3 else out


def train_classifier(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    time_steps: int = 2,
    steps: int = 100,
    batch_size: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """Train a classifier returning per-step logits ``[T, B, K]`` with AdamW and cross-entropy.

    The images are direct-encoded over ``time_steps`` and the logits averaged over time.

    Args:
        model: a registered classifier (Spikformer, SDT, Meta-SpikeFormer, QSD).
        images: ``[N, C, H, W]`` batch-major images.
        labels: ``[N]`` class indices.
        time_steps: ``T``.
        steps: optimizer steps.
        batch_size: images per step.
        lr: learning rate.
        seed: batch-sampler seed.

    Returns:
        The loss of every step.

    Raises:
        ValueError: for inconsistent shapes.
    """
    _check(images, labels)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    device = next(model.parameters()).device
    model.train()
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(images), (batch_size,), generator=gen)
        logits = _logits(model, images[idx].to(device), time_steps)
        loss = F.cross_entropy(logits, labels[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def top1_accuracy(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    time_steps: int = 2,
    batch_size: int = 64,
) -> float:
    """Top-1 accuracy of the time-averaged logits in eval mode.

    Args:
        model: classifier returning ``[T, B, K]`` (or ``[B, K]``).
        images: ``[N, C, H, W]``.
        labels: ``[N]``.
        time_steps: ``T``.
        batch_size: images per forward.

    Returns:
        Fraction of correct predictions in ``[0, 1]``.
    """
    _check(images, labels)
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    for s in range(0, len(images), batch_size):
        logits = _logits(model, images[s : s + batch_size].to(device), time_steps)
        correct += int((logits.argmax(-1).cpu() == labels[s : s + batch_size]).sum())
    return correct / max(len(images), 1)
