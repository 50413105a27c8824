"""Spiking Semantic-FPN segmentation on Meta-SpikeFormer (``FPN_SNN`` + ``FPNHead_SNN``).

Backbone features at strides 2, 4, 8, 16 (stage-1a, stage-1b, stage-2 and stage-4 outputs)
are averaged over ``T`` (a time axis of 1 is kept). Neck: lateral ``LIF -> Conv1x1`` and output
``LIF -> Conv3x3`` convolutions with nearest top-down resize-and-add. Head: per level
``max(1, log2(s_i / s_0))`` repeats of ``LIF -> Conv3x3 -> BN (-> bilinear x2)``, summed at the
finest level, then ``LIF -> Dropout(0.1) -> Conv1x1(classes)`` and the mean over ``T``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from spike_core import SeqToBatch
from spike_vision.layers import spiking_neuron
from spike_vision.meta_spikeformer import MetaSpikeFormer, MetaSpikeFormerConfig

__all__ = ["SpikingFPN", "SpikingFPNHead", "SpikingSegmenter", "SpikingSegmenterConfig"]


class SpikingFPN(nn.Module):
    """Spiking FPN neck: ``LIF -> Conv1x1`` laterals, top-down adds, ``LIF -> Conv3x3`` outputs.

    With ``num_outs = len(in_channels)`` this is the segmentation ``FPN_SNN``; with one more
    output it is the detection ``SpikeFPN`` (the extra level subsamples the last output with a
    kernel-1, stride-2 max-pool).

    Args:
        in_channels: channels of each input level, finest first.
        out_channels: neck width (256 in the detection configs).
        num_outs: number of outputs (>= number of inputs).
        backend: LIF backend.

    Shapes:
        list of ``[T, B, C_i, H_i, W_i]`` -> list of ``[T, B, out, H_i, W_i]`` (extra levels
        halve the last resolution each time).
    """

    def __init__(
        self,
        *,
        in_channels: tuple[int, ...],
        out_channels: int,
        num_outs: int | None = None,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        n = len(in_channels)
        self.num_outs = n if num_outs is None else num_outs
        if self.num_outs < n:
            raise ValueError(f"num_outs must be >= {n} (the number of inputs), got {num_outs}")
        self.lat_lif = nn.ModuleList(spiking_neuron(backend=backend) for _ in range(n))
        self.lateral = nn.ModuleList(SeqToBatch(nn.Conv2d(c, out_channels, 1)) for c in in_channels)
        self.out_lif = nn.ModuleList(spiking_neuron(backend=backend) for _ in range(n))
        self.output = nn.ModuleList(
            SeqToBatch(nn.Conv2d(out_channels, out_channels, 3, padding=1)) for _ in range(n)
        )

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """Top-down fusion; returns one map per input level."""
        lat = [conv(lif(x)) for x, lif, conv in zip(feats, self.lat_lif, self.lateral, strict=True)]
        for i in range(len(lat) - 1, 0, -1):
            t, b = lat[i].shape[:2]
            up = F.interpolate(lat[i].flatten(0, 1), size=lat[i - 1].shape[-2:], mode="nearest")
            lat[i - 1] = lat[i - 1] + up.unflatten(0, (t, b))
        outs = [conv(lif(x)) for x, lif, conv in zip(lat, self.out_lif, self.output, strict=True)]
        while len(outs) < self.num_outs:
            t, b = outs[-1].shape[:2]
            outs.append(F.max_pool2d(outs[-1].flatten(0, 1), 1, stride=2).unflatten(0, (t, b)))
        return outs


class SpikingFPNHead(nn.Module):
    """``FPNHead_SNN`` (Semantic FPN with spiking convolutions).

    Args:
        in_channels: neck width.
        channels: head width.
        num_classes: segmentation classes.
        strides: declared strides of the levels (``[4, 8, 16, 32]`` in the reference configs;
            only their ratios matter).
        dropout: dropout before the classifier.
        backend: LIF backend.

    Shapes:
        list of ``[T, B, C, H_i, W_i]`` -> logits ``[B, K, H_0, W_0]`` (mean over ``T``).
    """

    def __init__(
        self,
        *,
        in_channels: int,
        channels: int,
        num_classes: int,
        strides: tuple[int, ...] = (4, 8, 16, 32),
        dropout: float = 0.1,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.scale_heads = nn.ModuleList()
        self.upsample: list[bool] = []
        for s in strides:
            length = max(1, int(math.log2(s) - math.log2(strides[0])))
            layers = nn.ModuleList()
            for k in range(length):
                layers.append(
                    nn.ModuleDict(
                        {
                            "lif": spiking_neuron(backend=backend),
                            "conv": SeqToBatch(
                                nn.Sequential(
                                    nn.Conv2d(
                                        in_channels if k == 0 else channels,
                                        channels,
                                        3,
                                        padding=1,
                                        bias=False,
                                    ),
                                    nn.BatchNorm2d(channels),
                                )
                            ),
                        }
                    )
                )
            self.scale_heads.append(layers)
            self.upsample.append(s != strides[0])
        self.cls_lif = spiking_neuron(backend=backend)
        self.dropout = nn.Dropout2d(dropout)
        self.cls = SeqToBatch(nn.Conv2d(channels, num_classes, 1))

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """Sum the per-level heads at the finest resolution and classify."""
        out = None
        for feat, layers, up in zip(feats, self.scale_heads, self.upsample, strict=True):
            x = feat
            for layer in cast(nn.ModuleList, layers):
                unit = cast(nn.ModuleDict, layer)
                x = unit["conv"](unit["lif"](x))
                if up:
                    t, b = x.shape[:2]
                    x = F.interpolate(
                        x.flatten(0, 1), scale_factor=2, mode="bilinear", align_corners=False
                    ).unflatten(0, (t, b))
            out = (
                x
                if out is None
                else out
                + F.interpolate(
                    x.flatten(0, 1), size=out.shape[-2:], mode="bilinear", align_corners=False
                ).unflatten(0, x.shape[:2])
            )
        assert out is not None
        s = self.cls_lif(out)
        t, b = s.shape[:2]
        logits = self.cls(self.dropout(s.flatten(0, 1)).unflatten(0, (t, b)))
        return logits.mean(0)


@dataclass(frozen=True, kw_only=True)
class SpikingSegmenterConfig:
    """Configuration of :class:`SpikingSegmenter`.

    Attributes:
        embed_dims: Meta-SpikeFormer widths.
        depths: transformer blocks in stages 3 and 4.
        num_heads: attention heads.
        neck_channels: FPN width (128 for 15M, 256 for 55M).
        head_channels: Semantic-FPN head width.
        num_classes: segmentation classes (150 for ADE20K).
        img_size: side of the example input.
        time_steps: direct-encoding steps for 4-D input.
        backend: LIF backend.
    """

    embed_dims: tuple[int, int, int, int] = (64, 128, 256, 360)
    depths: tuple[int, int] = (6, 2)
    num_heads: int = 8
    neck_channels: int = 128
    head_channels: int = 128
    num_classes: int = 150
    img_size: int = 512
    time_steps: int = 1
    backend: str = "auto"


class SpikingSegmenter(nn.Module):
    """Meta-SpikeFormer + spiking FPN + Semantic-FPN head.

    Args:
        config: a :class:`SpikingSegmenterConfig`.

    Shapes:
        input ``[T, B, 3, H, W]`` or ``[B, 3, H, W]`` (multiples of 16); output logits
        ``[B, K, H, W]`` (bilinearly up-sampled from stride 2).
    """

    def __init__(self, config: SpikingSegmenterConfig) -> None:
        super().__init__()
        c = config
        if c.num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {c.num_classes}")
        self.config = c
        self.backbone = MetaSpikeFormer(
            MetaSpikeFormerConfig(
                embed_dims=c.embed_dims,
                depths=c.depths,
                num_heads=c.num_heads,
                time_steps=c.time_steps,
                backend=c.backend,
            )
        )
        del self.backbone.head  # unused for segmentation
        c0, c1, _, c3 = c.embed_dims
        self.neck = SpikingFPN(
            in_channels=(c0 // 2, c0, c1, c3), out_channels=c.neck_channels, backend=c.backend
        )
        self.decode_head = SpikingFPNHead(
            in_channels=c.neck_channels,
            channels=c.head_channels,
            num_classes=c.num_classes,
            backend=c.backend,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Per-pixel class logits ``[B, K, H, W]``."""
        s = self.backbone.forward_stages(x)
        feats = [f.mean(0, keepdim=True) for f in (s[0], s[1], s[2], s[4])]
        logits = self.decode_head(self.neck(feats))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random ``[T, B, 3, S, S]``."""
        s = self.config.img_size
        return torch.rand(time_steps, batch_size, 3, s, s)

    def with_classes(self, num_classes: int) -> SpikingSegmenter:
        """A fresh segmenter with the same config and ``num_classes`` outputs."""
        return SpikingSegmenter(dataclasses.replace(self.config, num_classes=num_classes))
