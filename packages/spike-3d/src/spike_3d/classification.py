"""E-3DSNN classification backbone (ModelNet40): stem, four down stages, pointwise head, mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from spike_3d.blocks import DownBlock, NeuronConfig, SpikeStem
from spike_3d.conv import SubMConv3d
from spike_3d.layers import global_avg_pool
from spike_3d.sparse import SparseVoxelTensor
from spike_core import SpikingModel

__all__ = ["E3DSNN", "E3DSNNConfig", "random_sparse_input"]


@dataclass(frozen=True, kw_only=True)
class E3DSNNConfig:
    """E-3DSNN classifier configuration (defaults: E-3DSNN-T, 1 874 216 parameters).

    Attributes:
        in_channels: voxel feature channels (6: ``x, y, z, nx, ny, nz``).
        num_classes: classes (40 for ModelNet40).
        embed_channels: ``E``, stem width.
        channels: width of the four stages.
        depths: basic blocks per stage.
        levels: I-LIF ``D``.
        beta: I-LIF residual membrane decay (0: the paper's stateless neuron).
        center_gate: ``"occupancy"`` or ``"spike"``.
        bn_momentum: batch-norm momentum (E-3DSNN: 0.01).
    """

    in_channels: int = 6
    num_classes: int = 40
    embed_channels: int = 16
    channels: tuple[int, ...] = (16, 32, 64, 128)
    depths: tuple[int, ...] = (1, 1, 1, 1)
    levels: int = 4
    beta: float = 0.0
    center_gate: str = "occupancy"
    bn_momentum: float = 0.01


def random_sparse_input(
    *,
    batch_size: int,
    channels: int,
    time_steps: int = 1,
    sites: int = 40,
    extent: int = 12,
    seed: int = 0,
    device: torch.device | None = None,
) -> SparseVoxelTensor:
    """A small random sparse batch (for contract tests and examples).

    Args:
        batch_size: ``B``.
        channels: ``C``.
        time_steps: ``T``.
        sites: candidate sites per sample (duplicates merged).
        extent: grid edge.
        seed: seed of the private generator.
        device: target device.

    Returns:
        A :class:`SparseVoxelTensor` with features ``[T, N, C]``.
    """
    g = torch.Generator().manual_seed(seed)
    occ = torch.zeros(batch_size, extent, extent, extent, dtype=torch.bool)
    for b in range(batch_size):
        c = torch.randint(0, extent, (sites, 3), generator=g)
        occ[b, c[:, 0], c[:, 1], c[:, 2]] = True
    coords = occ.nonzero()
    feats = torch.randn(1, coords.shape[0], channels, generator=g).expand(time_steps, -1, -1)
    x = SparseVoxelTensor(feats.contiguous(), coords, (extent,) * 3, batch_size)
    if device is not None:
        x = SparseVoxelTensor(
            x.features.to(device), x.coords.to(device), x.spatial_shape, batch_size
        )
    return x


class SparseHeadModel(SpikingModel):
    """Shared surface of the E-3DSNN networks: a pointwise sparse head and sparse example input.

    Subclasses set ``self.head`` (a 1x1x1 :class:`SubMConv3d` with bias) and ``self.config``
    (with ``in_channels``).
    """

    head: SubMConv3d
    config: Any

    def reset_classifier(self, num_outputs: int) -> None:
        """New pointwise head with ``num_outputs`` classes."""
        w = self.head.weight
        self.head = SubMConv3d(
            in_channels=self.head.in_channels, out_channels=num_outputs, kernel_size=1, bias=True
        ).to(w)

    def example_input(self, batch_size: int = 2, time_steps: int = 1) -> SparseVoxelTensor:  # type: ignore[override]
        """A small random sparse batch on the model's device."""
        return random_sparse_input(
            batch_size=batch_size,
            channels=self.config.in_channels,
            time_steps=time_steps,
            device=self.head.weight.device,
        )


class E3DSNN(SparseHeadModel):
    """E-3DSNN point-cloud classifier.

    ``stem (Spike Voxel Coding) → 4 × DownBlock (k2 s2) → pointwise SSC head (with bias) →
    per-sample mean over active sites``. The head is linear and per site, so it equals global
    average pooling followed by a ``Linear`` (:meth:`pooled_features`).

    Args:
        config: the :class:`E3DSNNConfig`.

    Shapes:
        ``forward(x)``: ``x`` a :class:`SparseVoxelTensor` with features ``[T, N, in_channels]``;
        returns logits ``[T, B, num_classes]`` (time-major; average over ``T`` yourself).

    Examples:
        >>> model = E3DSNN(config=E3DSNNConfig(num_classes=5))
        >>> model(model.example_input(batch_size=2)).shape
        torch.Size([1, 2, 5])
    """

    head: SubMConv3d

    def __init__(self, *, config: E3DSNNConfig | None = None) -> None:
        super().__init__()
        cfg = config or E3DSNNConfig()
        if len(cfg.channels) != len(cfg.depths) or not cfg.channels:
            raise ValueError(
                f"channels {cfg.channels} and depths {cfg.depths} must be non-empty and of equal length"
            )
        self.config = cfg
        neuron = NeuronConfig(
            levels=cfg.levels,
            beta=cfg.beta,
            center_gate=cfg.center_gate,
            bn_momentum=cfg.bn_momentum,
        )
        self.stem = SpikeStem(
            in_channels=cfg.in_channels, channels=cfg.embed_channels, neuron=neuron
        )
        widths = (cfg.embed_channels, *cfg.channels)
        self.stages = nn.ModuleList(
            DownBlock(in_channels=widths[i], channels=widths[i + 1], depth=d, neuron=neuron)
            for i, d in enumerate(cfg.depths)
        )
        self.head = SubMConv3d(
            in_channels=widths[-1], out_channels=cfg.num_classes, kernel_size=1, bias=True
        )

    def forward_features(self, x: SparseVoxelTensor) -> SparseVoxelTensor:  # type: ignore[override]
        """Backbone output: real-valued membrane features ``[T, N_16, C_last]`` at stride 16."""
        if not isinstance(x, SparseVoxelTensor):
            raise TypeError(f"x must be a SparseVoxelTensor, got {type(x).__name__}")
        if x.num_channels != self.config.in_channels:
            raise ValueError(
                f"x must have {self.config.in_channels} channels, got {x.num_channels}"
            )
        y = self.stem(x.pad_spatial_shape(2 ** len(self.stages)))
        for stage in self.stages:
            y = stage(y)
        return y

    def pooled_features(self, x: SparseVoxelTensor) -> torch.Tensor:
        """Per-sample mean of the backbone output, ``[T, B, C_last]``."""
        return global_avg_pool(self.forward_features(x))

    def forward(self, x: SparseVoxelTensor) -> torch.Tensor:  # type: ignore[override]
        """Logits ``[T, B, num_classes]``."""
        return global_avg_pool(self.head(self.forward_features(x)))
