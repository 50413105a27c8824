"""E-3DSNN 3D backbone for KITTI detection (spiking ``VoxelBackBone8x`` of Voxel R-CNN)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from spike_3d.blocks import DownBlock, NeuronConfig, SpikeStem
from spike_3d.conv import SparseConv3d, SubMConv3d
from spike_3d.sparse import SparseVoxelTensor
from spike_core import SpikingModel

__all__ = ["E3DSNNDetBackbone", "E3DSNNDetConfig", "height_compression"]


@dataclass(frozen=True, kw_only=True)
class E3DSNNDetConfig:
    """Detection 3D backbone configuration (defaults: KITTI, 1 722 368 parameters).

    Attributes:
        in_channels: mean voxel features (``x, y, z, intensity``).
        channels: widths of ``conv1..conv4``.
        depths: basic blocks in ``conv2..conv4``.
        out_channels: width of ``conv_out``.
        levels: I-LIF ``D``.
        beta: I-LIF residual decay.
        center_gate: ``"occupancy"`` or ``"spike"``.
        bn_momentum: batch-norm momentum (E-3DSNN: 0.01).
    """

    in_channels: int = 4
    channels: tuple[int, int, int, int] = (16, 32, 64, 64)
    depths: tuple[int, int, int] = (2, 2, 2)
    out_channels: int = 128
    levels: int = 4
    beta: float = 0.0
    center_gate: str = "occupancy"
    bn_momentum: float = 0.01


def height_compression(x: SparseVoxelTensor) -> torch.Tensor:
    """Dense bird's-eye view: fold the first spatial axis (z) into the channels.

    Args:
        x: sparse tensor on a ``(Z, Y, X)`` grid.

    Returns:
        ``[T, B, C * Z, Y, X]``.
    """
    d = x.to_dense()
    T, B, C, Z, Y, X = d.shape
    return d.reshape(T, B, C * Z, Y, X)


class E3DSNNDetBackbone(SpikingModel):
    """Spiking voxel backbone (stride 8) feeding a BEV detector.

    ``stem (3 × SSC) → conv1 (Spike→SSC→BN) → conv2..4 (DownBlock k3 s2 p1 + 2 BasicBlocks) →
    conv_out (SparseConv k(3,1,1) s(2,1,1) → BN → Spike)``. Input grids are ordered ``(z, y, x)``
    (KITTI: ``[41, 1600, 1408]``; :func:`~spike_3d.voxelize_in_range` with ``reverse_axes=True``).

    Args:
        config: the :class:`E3DSNNDetConfig`.

    Shapes:
        ``forward(x)``: features ``[T, N, in_channels]`` -> dense BEV ``[T, B, out_channels * Z_8,
        Y / 8, X / 8]`` (:func:`height_compression` of ``conv_out``); multi-scale sparse features
        from :meth:`forward_multiscale`.
    """

    def __init__(self, *, config: E3DSNNDetConfig | None = None) -> None:
        super().__init__()
        cfg = config or E3DSNNDetConfig()
        self.config = cfg
        neuron = NeuronConfig(
            levels=cfg.levels,
            beta=cfg.beta,
            center_gate=cfg.center_gate,
            bn_momentum=cfg.bn_momentum,
        )
        c1, c2, c3, c4 = cfg.channels
        self.stem = SpikeStem(in_channels=cfg.in_channels, channels=c1, neuron=neuron)
        self.conv1 = nn.Sequential(
            neuron.spike(),
            SubMConv3d(in_channels=c1, out_channels=c1, center_gate=cfg.center_gate),
            neuron.norm(c1),
        )
        self.conv2, self.conv3, self.conv4 = (
            DownBlock(
                in_channels=a,
                channels=b,
                depth=d,
                neuron=neuron,
                kernel_size=3,
                stride=2,
                padding=1,
            )
            for a, b, d in zip((c1, c2, c3), (c2, c3, c4), cfg.depths, strict=True)
        )
        self.conv_out = nn.Sequential(
            SparseConv3d(
                in_channels=c4,
                out_channels=cfg.out_channels,
                kernel_size=(3, 1, 1),
                stride=(2, 1, 1),
            ),
            neuron.norm(cfg.out_channels),
            neuron.spike(),
        )
        self.head = nn.Identity()

    def forward_multiscale(self, x: SparseVoxelTensor) -> dict[str, SparseVoxelTensor]:
        """Sparse features ``x_conv1..x_conv4`` (strides 1, 2, 4, 8) and ``encoded``."""
        if not isinstance(x, SparseVoxelTensor):
            raise TypeError(f"x must be a SparseVoxelTensor, got {type(x).__name__}")
        if x.num_channels != self.config.in_channels:
            raise ValueError(
                f"x must have {self.config.in_channels} channels, got {x.num_channels}"
            )
        out = {"x_conv1": self.conv1(self.stem(x))}
        out["x_conv2"] = self.conv2(out["x_conv1"])
        out["x_conv3"] = self.conv3(out["x_conv2"])
        out["x_conv4"] = self.conv4(out["x_conv3"])
        out["encoded"] = self.conv_out(out["x_conv4"])
        return out

    def forward_features(self, x: SparseVoxelTensor) -> torch.Tensor:  # type: ignore[override]
        """Dense BEV map ``[T, B, out_channels * Z_8, Y_8, X_8]``."""
        return height_compression(self.forward_multiscale(x)["encoded"])

    def reset_classifier(self, num_outputs: int) -> None:
        """The backbone has no classifier; raises."""
        raise ValueError(f"E3DSNNDetBackbone has no classifier to reset to {num_outputs} outputs")

    def example_input(self, batch_size: int = 2, time_steps: int = 1) -> SparseVoxelTensor:  # type: ignore[override]
        """A small random sparse batch on a ``(24, 16, 16)`` ``(z, y, x)`` grid."""
        g = torch.Generator().manual_seed(0)
        occ = torch.rand(batch_size, 24, 16, 16, generator=g) < 0.05
        coords = occ.nonzero()
        feats = torch.randn(1, coords.shape[0], self.config.in_channels, generator=g)
        dev = next(self.parameters()).device
        return SparseVoxelTensor(
            feats.expand(time_steps, -1, -1).contiguous().to(dev),
            coords.to(dev),
            (24, 16, 16),
            batch_size,
        )
