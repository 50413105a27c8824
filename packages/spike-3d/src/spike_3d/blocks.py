"""E-3DSNN building blocks: the spiking stem (Spike Voxel Coding) and membrane-shortcut residuals.

Shortcuts add real-valued *membrane* tensors (before the spike), so every convolution after the
first stem layer sees integer spikes in ``[0, D]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from spike_3d.conv import SparseConv3d, SubMConv3d
from spike_3d.layers import SparseBatchNorm, SparseIntLIF
from spike_3d.sparse import SparseVoxelTensor

__all__ = ["BasicBlock", "DownBlock", "NeuronConfig", "SpikeStem", "SpikeSubMBranch"]


@dataclass(frozen=True, kw_only=True)
class NeuronConfig:
    """Options shared by every spiking layer of a model.

    Attributes:
        levels: ``D``, the largest integer spike (E-3DSNN: 4).
        beta: residual membrane decay of the I-LIF (0 = stateless).
        rounding: ``"half_up"`` or ``"half_even"``.
        center_gate: submanifold centre rule, ``"occupancy"`` or ``"spike"``.
        bn_momentum: momentum of every sparse batch norm (E-3DSNN: 0.01; use ~0.1 for runs of a
            few hundred steps so the running statistics converge).
    """

    levels: int = 4
    beta: float = 0.0
    rounding: str = "half_up"
    center_gate: str = "occupancy"
    bn_momentum: float = 0.01

    def norm(self, channels: int) -> SparseBatchNorm:
        """A fresh sparse batch norm (``eps = 1e-3``)."""
        return SparseBatchNorm(num_features=channels, momentum=self.bn_momentum)

    def spike(self) -> SparseIntLIF:
        """A fresh I-LIF layer."""
        return SparseIntLIF(levels=self.levels, beta=self.beta, rounding=self.rounding)


class SpikeSubMBranch(nn.Sequential):
    """``BN(SSC(Spike(x)))``: one spike-driven 3×3×3 submanifold layer.

    Args:
        channels: ``C`` (in and out).
        neuron: spiking options.

    Shapes:
        features ``[T, N, C] -> [T, N, C]``.
    """

    def __init__(self, *, channels: int, neuron: NeuronConfig) -> None:
        super().__init__(
            neuron.spike(),
            SubMConv3d(in_channels=channels, out_channels=channels, center_gate=neuron.center_gate),
            neuron.norm(channels),
        )


class SpikeStem(nn.Sequential):
    """Spike Voxel Coding stem: ``SSC → BN → Spike → SSC → BN → Spike → SSC → BN``.

    The first convolution reads real voxel features (MACs); the others read integer spikes.
    The output is a real-valued membrane tensor (no final spike).

    Args:
        in_channels: voxel feature channels (6 for ModelNet40 ``xyz + normals``).
        channels: ``E``, the embedding width.
        neuron: spiking options.

    Shapes:
        features ``[T, N, C_in] -> [T, N, E]`` on the input sites.
    """

    def __init__(self, *, in_channels: int, channels: int, neuron: NeuronConfig) -> None:
        super().__init__(
            SubMConv3d(in_channels=in_channels, out_channels=channels),
            neuron.norm(channels),
            SpikeSubMBranch(channels=channels, neuron=neuron),
            SpikeSubMBranch(channels=channels, neuron=neuron),
        )


class BasicBlock(nn.Module):
    """Membrane-shortcut residual block (three 3×3×3 SSC layers).

    Equations::

        y1 = BN(SSC(Spike(x))) + x
        y  = BN(SSC(Spike(BN(SSC(Spike(y1)))))) + y1

    Args:
        channels: ``C``.
        neuron: spiking options.

    Shapes:
        features ``[T, N, C] -> [T, N, C]`` on the same sites.
    """

    def __init__(self, *, channels: int, neuron: NeuronConfig) -> None:
        super().__init__()
        self.branch1 = SpikeSubMBranch(channels=channels, neuron=neuron)
        self.branch2 = nn.Sequential(
            SpikeSubMBranch(channels=channels, neuron=neuron),
            SpikeSubMBranch(channels=channels, neuron=neuron),
        )

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Two membrane shortcuts."""
        y1 = x.replace_features(self.branch1(x).features + x.features)
        return y1.replace_features(self.branch2(y1).features + y1.features)


class DownBlock(nn.Sequential):
    """``Spike → SparseConv(stride) → BN`` then ``depth`` :class:`BasicBlock` at the new level.

    Args:
        in_channels: ``C_in``.
        channels: ``C``.
        depth: number of basic blocks.
        neuron: spiking options.
        kernel_size: down-conv kernel (2 for classification/segmentation, 3 for detection).
        stride: down-conv stride.
        padding: down-conv padding (0, or 1 for the detection backbone).
        indice_key: key under which the down rulebook is kept (for an inverse conv).

    Shapes:
        features ``[T, N, C_in] -> [T, N', C]`` at stride ``stride`` times coarser.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        channels: int,
        depth: int,
        neuron: NeuronConfig,
        kernel_size: int = 2,
        stride: int = 2,
        padding: int = 0,
        indice_key: str | None = None,
    ) -> None:
        super().__init__(
            neuron.spike(),
            SparseConv3d(
                in_channels=in_channels,
                out_channels=channels,
                kernel_size=kernel_size,
                stride=stride,
                padding=padding,
                indice_key=indice_key,
            ),
            neuron.norm(channels),
            *[BasicBlock(channels=channels, neuron=neuron) for _ in range(depth)],
        )
