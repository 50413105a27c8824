"""Small training and evaluation helpers used by the conversion recipes (ANN, QAT and BPTT)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["accuracy", "fit_classifier"]


def _batches(n: int, batch_size: int, gen: torch.Generator | None) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=gen) if gen is not None else torch.arange(n)
    return list(order.split(batch_size))


def fit_classifier(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int = 10,
    lr: float = 1e-2,
    batch_size: int = 64,
    batch_dim: int = 0,
    seed: int = 0,
    weight_decay: float = 0.0,
    clip_grad_norm: float | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    output_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> list[float]:
    """Train ``model`` with Adam and cross-entropy on in-memory tensors.

    Works for ANNs, quantized networks (quantization-aware training: the straight-through
    estimators carry the gradient) and multi-step SNNs (back-propagation through time).

    Args:
        model: the network; left in training mode.
        inputs: all inputs; the batch axis is ``batch_dim`` (0 for images, 1 for time-major
            sequences ``[N, B, ...]``).
        targets: class indices ``[B]``.
        epochs: passes over the data.
        lr: Adam learning rate.
        batch_size: mini-batch size.
        batch_dim: batch axis of ``inputs``.
        seed: shuffling seed.
        weight_decay: Adam weight decay.
        clip_grad_norm: clip the global gradient norm to this value (recurrent nets).
        loss_fn: loss (default cross-entropy).
        output_fn: maps the model output to logits ``[B, K]`` (e.g. mean over time for an SNN).

    Returns:
        The mean training loss of every epoch.

    Shapes:
        ``inputs``: ``[B, ...]`` (``batch_dim=0``) or ``[N, B, ...]`` (``batch_dim=1``).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if inputs.shape[batch_dim] != targets.shape[0]:
        raise ValueError(
            f"inputs have {inputs.shape[batch_dim]} samples on dim {batch_dim} but targets "
            f"{targets.shape[0]}"
        )
    loss_fn = loss_fn or nn.functional.cross_entropy
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    history = []
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for idx in _batches(targets.shape[0], batch_size, gen):
            xb = inputs.index_select(batch_dim, idx)
            out = model(xb)
            logits = output_fn(out) if output_fn is not None else out
            loss = loss_fn(logits, targets[idx])
            opt.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            opt.step()
            total += float(loss.detach()) * idx.numel()
            count += idx.numel()
        history.append(total / max(count, 1))
    return history


@torch.no_grad()
def accuracy(
    fn: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    batch_size: int = 512,
    batch_dim: int = 0,
) -> float:
    """Top-1 accuracy (%) of ``fn`` (a model or any callable returning logits ``[B, K]``).

    Args:
        fn: callable mapping a batch to logits.
        inputs: inputs, batch axis ``batch_dim``.
        targets: class indices ``[B]``.
        batch_size: evaluation batch size.
        batch_dim: batch axis of ``inputs``.

    Returns:
        Accuracy in percent.

    Shapes:
        As :func:`fit_classifier`.
    """
    correct = 0
    for idx in torch.arange(targets.shape[0]).split(batch_size):
        logits = fn(inputs.index_select(batch_dim, idx))
        correct += int((logits.argmax(-1) == targets[idx]).sum())
    return 100.0 * correct / max(targets.shape[0], 1)
