"""SpikePoint (Ren et al., ICLR 2024): a single-stage point-based SNN for event clouds.

Pipeline (widths, M, K and the signed-coordinate treatment are unconfirmed in the paper and
are config values here): points ``[B, N, 3]`` -> FPS centroids ``M`` and kNN groups ``K``
(:mod:`spike_core.points`; FPS starts at the earliest point and groups are ordered by
``(t, y, x)``, so the result does not depend on the order of the input points) ->
anchor-standardised relative coordinates ``Delta``, made
non-negative (``coord_mode``, default ``"abs_min"``: ``|Delta|`` scaled into [0, 1] plus the
group's minimum corner) -> Bernoulli rate coding over ``T`` steps ``[T, B, M, K, C_in]`` ->
local extractor (point-wise Linear + BN + LIF, residual blocks) -> max over ``K`` -> global
extractor -> max over ``M`` -> linear classifier -> mean over ``T``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import cast

import torch
from torch import nn

from spike_core import LIF, SpikingModel
from spike_core.points import fps, group, knn, rate_code, signed_to_rate, standardize_groups

__all__ = ["SpikePoint", "SpikePointConfig"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpikePointConfig:
    """SpikePoint hyper-parameters (defaults: the project's reading of the paper).

    Attributes:
        num_classes: output classes (11 for DVS128 Gesture, 10 without "other").
        num_points: points per cloud ``N``.
        groups: FPS centroids ``M``.
        k: neighbours ``K``.
        time_steps: rate-coding steps ``T`` (16 in the paper).
        local_widths: channels of the local extractor stages.
        global_widths: channels of the global extractor stages.
        residual: ``"identity"`` (shortcut into the last neuron's input) or ``"post"``.
        coord_mode: ``"abs_min"``, ``"abs"`` or ``"signed_split"``.
        tau_mem: LIF time constant.
        pool: ``"max"`` (the paper's max-pool over K and M) or ``"mean"`` (spike rates;
            max over many binary spikes saturates to 1 on small, dense clouds).
    """

    num_classes: int = 11
    num_points: int = 1024
    groups: int = 512
    k: int = 24
    time_steps: int = 16
    local_widths: tuple[int, ...] = (32, 64)
    global_widths: tuple[int, ...] = (128, 256)
    residual: str = "identity"
    coord_mode: str = "abs_min"
    tau_mem: float = 2.0
    pool: str = "max"


class _PW(nn.Module):
    """Point-wise Linear (no bias) + BatchNorm over channels, ``[T, B, ..., C]``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.fc = nn.Linear(cin, cout, bias=False)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return self.bn(y.reshape(-1, y.shape[-1])).reshape(y.shape)


class _Stage(nn.Module):
    """``PW -> LIF`` then a residual block ``PW -> LIF -> PW (+ shortcut) -> LIF``."""

    def __init__(self, cin: int, cout: int, *, residual: str, tau: float) -> None:
        super().__init__()
        self.inp, self.lif0 = _PW(cin, cout), LIF(tau_mem=tau)
        self.pw1, self.lif1 = _PW(cout, cout), LIF(tau_mem=tau)
        self.pw2, self.lif2 = _PW(cout, cout), LIF(tau_mem=tau)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.lif0(self.inp(x))
        u = self.pw2(self.lif1(self.pw1(s)))
        if self.residual == "identity":
            return self.lif2(u + s)
        return self.lif2(u) + s


def _lexrank(xyz: torch.Tensor) -> torch.Tensor:
    """Rank of every point in lexicographic ``(t, y, x)`` order (stable), ``[B, N]``."""
    order = torch.arange(xyz.shape[1], device=xyz.device).expand(xyz.shape[0], -1)
    for c in (0, 1, 2):  # least significant key first
        key = torch.gather(xyz[..., c], 1, order)
        order = torch.gather(order, 1, torch.sort(key, dim=1, stable=True).indices)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(xyz.shape[1], device=xyz.device).expand_as(order))
    return rank


def _by_rank(idx: torch.Tensor, rank: torch.Tensor) -> torch.Tensor:
    """Sort indices ``[B, ...]`` (last axis) by the points' ranks: time order, input-order free."""
    r = torch.gather(rank, 1, idx.reshape(idx.shape[0], -1)).reshape(idx.shape)
    return torch.gather(idx, -1, torch.sort(r, dim=-1).indices)


class SpikePoint(SpikingModel):
    """SpikePoint classifier over event clouds.

    Args:
        config: a :class:`SpikePointConfig`.

    Shapes:
        ``forward(xyz)``: points ``[B, N, 3]`` in ``[0, 1]`` (``x, y, t``; batch-major, as a
        static cloud has no time axis) -> logits ``[B, num_classes]`` (mean over the ``T``
        rate-coding steps). ``forward_features`` returns ``[T, B, C]`` after the global max.
    """

    def __init__(self, config: SpikePointConfig) -> None:
        super().__init__()
        if config.residual not in ("identity", "post"):
            raise ValueError(f"residual must be 'identity' or 'post', got {config.residual!r}")
        if config.pool not in ("max", "mean"):
            raise ValueError(f"pool must be 'max' or 'mean', got {config.pool!r}")
        if config.coord_mode not in ("abs_min", "abs", "signed_split"):
            raise ValueError(f"unknown coord_mode {config.coord_mode!r}")
        self.config = config
        c_in = {"abs_min": 6, "abs": 6, "signed_split": 9}[config.coord_mode]
        widths = (*config.local_widths, *config.global_widths)
        chans = (c_in, *widths)
        stages = [
            _Stage(a, b, residual=config.residual, tau=config.tau_mem)
            for a, b in itertools.pairwise(chans)
        ]
        n_local = len(config.local_widths)
        self.local_stages = nn.ModuleList(stages[:n_local])
        self.global_stages = nn.ModuleList(stages[n_local:])
        self.head = nn.Linear(widths[-1], config.num_classes)

    def encode(self, xyz: torch.Tensor) -> torch.Tensor:
        """Group and rate-code a cloud: ``[B, N, 3] -> [T, B, M, K, C_in]`` spikes."""
        if xyz.dim() != 3 or xyz.shape[-1] != 3:
            raise ValueError(f"xyz must be [B, N, 3], got shape {tuple(xyz.shape)}")
        cfg = self.config
        rank = _lexrank(xyz)  # [B, N] rank of each point in (t, y, x) order
        start = rank.argmin(dim=-1)  # the earliest point: independent of the input order
        cidx = _by_rank(fps(xyz, cfg.groups, start=start), rank)
        cxyz = group(xyz, cidx)
        nidx = _by_rank(knn(cxyz, xyz, cfg.k), rank)
        g = group(xyz, nidx)  # [B, M, K, 3]
        delta = standardize_groups(g, cxyz)
        delta = delta / delta.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
        if cfg.coord_mode == "abs_min":
            feat = signed_to_rate(delta, "abs_min", grouped_xyz=g)
        else:
            feat = signed_to_rate(delta, cfg.coord_mode)
            feat = torch.cat([feat, cxyz.unsqueeze(2).expand_as(g)], dim=-1)
        return rate_code(feat.clamp(0, 1), cfg.time_steps)

    def forward_features(self, xyz: torch.Tensor) -> torch.Tensor:
        """Global features ``[T, B, C]`` of points ``[B, N, 3]``."""
        x = self.encode(xyz)
        for st in self.local_stages:
            x = st(x)
        pool = torch.amax if self.config.pool == "max" else torch.mean
        x = pool(x, dim=3)  # over K: [T, B, M, C]
        for st in self.global_stages:
            x = st(x)
        return pool(x, dim=2)  # over M: [T, B, C]

    def forward(self, xyz: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, num_classes]`` (head output averaged over ``T``)."""
        return self.head(self.forward_features(xyz)).mean(0)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the classifier with a fresh ``C -> num_outputs`` layer."""
        w = cast(nn.Linear, self.head).weight
        self.head = nn.Linear(w.shape[1], num_outputs).to(w.device, w.dtype)

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random points ``[B, N, 3]`` (``time_steps`` is the config's, not an input axis)."""
        del time_steps
        w = cast(nn.Linear, self.head).weight
        return torch.rand(batch_size, self.config.num_points, 3, device=w.device, dtype=w.dtype)
