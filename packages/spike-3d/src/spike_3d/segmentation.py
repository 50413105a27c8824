"""E-3DSNN semantic segmentation U-Net (SemanticKITTI): sparse encoder, inverse-conv decoder."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from spike_3d.blocks import DownBlock, NeuronConfig, SpikeStem
from spike_3d.classification import SparseHeadModel
from spike_3d.conv import SparseInverseConv3d, SubMConv3d
from spike_3d.layers import SparseLinear, sparse_cat
from spike_3d.sparse import SparseVoxelTensor

__all__ = ["DecoderLevel", "E3DSNNSeg", "E3DSNNSegConfig"]


@dataclass(frozen=True, kw_only=True)
class E3DSNNSegConfig:
    """Segmentation U-Net configuration (defaults: SemanticKITTI, 20 049 683 parameters).

    Attributes:
        in_channels: voxel features (``x, y, z, strength``).
        num_classes: 19 SemanticKITTI classes.
        embed_channels: stem width ``E``.
        channels: encoder stage widths.
        depths: basic blocks per encoder stage.
        dec_channels: decoder widths, level 0 (finest) first.
        levels: I-LIF ``D``.
        beta: I-LIF residual decay.
        center_gate: ``"occupancy"`` or ``"spike"``.
        bn_momentum: batch-norm momentum (E-3DSNN: 0.01).
    """

    in_channels: int = 4
    num_classes: int = 19
    embed_channels: int = 64
    channels: tuple[int, ...] = (64, 128, 128, 256)
    depths: tuple[int, ...] = (2, 2, 2, 2)
    dec_channels: tuple[int, ...] = (256, 256, 256, 256)
    levels: int = 4
    beta: float = 0.0
    center_gate: str = "occupancy"
    bn_momentum: float = 0.01


class DecoderLevel(nn.Module):
    """One decoder level of the U-Net.

    Equations::

        up   = BN(InvConv_k2(Spike(x)))
        fuse = BN(Linear(Spike(BN(Linear(Spike(cat[up, skip]))))))
        out  = fuse + up

    Args:
        in_channels: channels of the coarse input.
        skip_channels: channels of the encoder skip at the fine level.
        channels: output width.
        indice_key: key of the encoder down conv to invert.
        neuron: spiking options.

    Shapes:
        coarse ``[T, N_c, C_in]`` and skip ``[T, N_f, C_skip]`` -> ``[T, N_f, C]``.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        skip_channels: int,
        channels: int,
        indice_key: str,
        neuron: NeuronConfig,
    ) -> None:
        super().__init__()
        self.up = nn.Sequential(
            neuron.spike(),
            SparseInverseConv3d(
                in_channels=in_channels, out_channels=channels, indice_key=indice_key
            ),
            neuron.norm(channels),
        )
        self.fuse = nn.Sequential(
            neuron.spike(),
            SparseLinear(in_features=channels + skip_channels, out_features=channels),
            neuron.norm(channels),
            neuron.spike(),
            SparseLinear(in_features=channels, out_features=channels),
            neuron.norm(channels),
        )

    def forward(self, x: SparseVoxelTensor, skip: SparseVoxelTensor) -> SparseVoxelTensor:
        """Upsample ``x`` onto ``skip``'s sites and fuse."""
        up = self.up(x)
        fused = self.fuse(sparse_cat([up, skip]))
        return up.replace_features(fused.features + up.features)


class E3DSNNSeg(SparseHeadModel):
    """E-3DSNN segmentation U-Net.

    Encoder: stem at stride 1, then four :class:`~spike_3d.DownBlock` (strides 2..16). Decoder:
    four :class:`DecoderLevel` (deepest first) with skips from stage 2, 1, 0 and the stem. Head:
    pointwise SSC with bias.

    Args:
        config: the :class:`E3DSNNSegConfig`.

    Shapes:
        ``forward(x)``: features ``[T, N, in_channels]`` -> per-voxel logits
        ``[T, N, num_classes]`` on ``x``'s sites (map back to points with the voxel index).
    """

    head: SubMConv3d

    def __init__(self, *, config: E3DSNNSegConfig | None = None) -> None:
        super().__init__()
        cfg = config or E3DSNNSegConfig()
        n = len(cfg.channels)
        if not (n == len(cfg.depths) == len(cfg.dec_channels)) or n == 0:
            raise ValueError(
                "channels, depths and dec_channels must be non-empty and of equal length"
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
        enc = (cfg.embed_channels, *cfg.channels)
        self.encoder = nn.ModuleList(
            DownBlock(
                in_channels=enc[i],
                channels=enc[i + 1],
                depth=d,
                neuron=neuron,
                indice_key=f"down{i}",
            )
            for i, d in enumerate(cfg.depths)
        )
        self.decoder = nn.ModuleList(
            DecoderLevel(
                in_channels=cfg.dec_channels[i + 1] if i + 1 < n else enc[-1],
                skip_channels=enc[i],
                channels=cfg.dec_channels[i],
                indice_key=f"down{i}",
                neuron=neuron,
            )
            for i in range(n)
        )
        self.head = SubMConv3d(
            in_channels=cfg.dec_channels[0], out_channels=cfg.num_classes, kernel_size=1, bias=True
        )

    def forward_features(self, x: SparseVoxelTensor) -> SparseVoxelTensor:  # type: ignore[override]
        """Decoder output ``[T, N, dec_channels[0]]`` on the input sites."""
        if not isinstance(x, SparseVoxelTensor):
            raise TypeError(f"x must be a SparseVoxelTensor, got {type(x).__name__}")
        if x.num_channels != self.config.in_channels:
            raise ValueError(
                f"x must have {self.config.in_channels} channels, got {x.num_channels}"
            )
        skips = [self.stem(x.pad_spatial_shape(2 ** len(self.encoder)))]
        for stage in self.encoder:
            skips.append(stage(skips[-1]))
        y = skips.pop()
        for i in reversed(range(len(self.decoder))):
            y = self.decoder[i](y, skips[i])
        return y

    def forward(self, x: SparseVoxelTensor) -> torch.Tensor:  # type: ignore[override]
        """Per-voxel logits ``[T, N, num_classes]``."""
        return self.head(self.forward_features(x)).features
