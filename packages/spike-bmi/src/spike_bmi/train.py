"""Training and decoding helpers for the streaming decoders."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from spike_bmi._stream import StreamingDecoder
from spike_bmi.dataset import ReachingSession

__all__ = ["decode", "train_decoder"]


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive indices as ``(start, stop)``."""
    if not indices:
        return []
    idx = np.asarray(indices)
    breaks = np.nonzero(np.diff(idx) != 1)[0]
    starts = np.concatenate([[0], breaks + 1])
    stops = np.concatenate([breaks + 1, [idx.size]])
    return [(int(idx[a]), int(idx[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]


def train_decoder(
    model: StreamingDecoder,
    session: ReachingSession,
    *,
    steps: int = 200,
    window: int = 200,
    batch_size: int = 16,
    lr: float = 2e-3,
    burn_in: int | None = None,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``model`` on random windows of the training split with an MSE loss.

    Each step draws ``batch_size`` windows of ``burn_in + window`` consecutive bins from the
    training segments, runs the whole-sequence forward from a fresh state and takes the loss on
    the last ``window`` outputs (the first ``burn_in`` fill the buffer or settle the state).

    Args:
        model: the decoder (``input_dim`` must match the session's channels).
        session: the data set.
        steps: optimiser steps.
        window: bins per window that count in the loss.
        batch_size: windows per step.
        lr: Adam learning rate.
        burn_in: bins before the loss starts (default ``max(model.warmup, 50)``).
        seed: seed of the window sampler and of dropout.
        progress: called as ``progress(step, loss)`` after every step.

    Returns:
        The loss of every step.

    Raises:
        ValueError: if the channel counts differ or the training split is shorter than a window.
    """
    if model.input_dim != session.n_channels:
        raise ValueError(
            f"model.input_dim={model.input_dim} but the session has {session.n_channels} channels"
        )
    burn = max(model.warmup, 50) if burn_in is None else burn_in
    total = burn + window
    runs = [r for r in _runs(session.ind_train) if r[1] - r[0] >= total]
    if not runs:
        raise ValueError(f"no training run is {total} bins long; lower window or burn_in")
    starts = np.concatenate([np.arange(a, b - total + 1) for a, b in runs])
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    p = next(model.parameters())
    x_all = session.samples.T.to(device=p.device, dtype=p.dtype)  # [K, n]
    y_all = session.labels.T.to(device=p.device, dtype=p.dtype)  # [K, 2]
    scale = y_all[torch.as_tensor(session.ind_train, device=p.device)].std(0).clamp_min(1e-6)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    offsets = torch.arange(total, device=p.device)
    losses = []
    model.train()
    for i in range(steps):
        s = torch.as_tensor(rng.choice(starts, size=batch_size), device=p.device)
        idx = s[None, :] + offsets[:, None]  # [total, B]
        x, y = x_all[idx], y_all[idx]  # [total, B, n], [total, B, 2]
        out = model(x)
        loss = (((out[burn:] - y[burn:]) / scale) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(i, losses[-1])
    model.eval()
    return losses


@torch.no_grad()
def decode(model: StreamingDecoder, x_seq: torch.Tensor) -> torch.Tensor:
    """Decode a whole split in eval mode from a fresh state.

    Args:
        model: the decoder.
        x_seq: ``[T, B, channels]``.

    Returns:
        ``[T, B, output_dim]`` velocities.
    """
    was = model.training
    model.eval()
    p = next(model.parameters())
    out = model(x_seq.to(device=p.device, dtype=p.dtype))
    model.train(was)
    return out  # type: ignore[return-value]
