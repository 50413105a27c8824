"""Detectors: YOLOv8 (PAN, P2 or BiFPN-P2 necks) and a Meta-SpikeFormer spiking detector.

All detectors end in :class:`~spike_vision.yolo_blocks.Detect`: in training mode they return
the raw per-level maps (for :class:`~spike_vision.det_loss.DetectionLoss`), in eval mode
``(decoded [B, 4 + nc, A], raw)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from spike_core import SeqToBatch
from spike_vision.layers import as_time_major_image, check_image_size, spiking_neuron
from spike_vision.meta_spikeformer import MetaSpikeFormer, MetaSpikeFormerConfig
from spike_vision.necks import BiFPN, PANNeck
from spike_vision.yolo_blocks import SPPF, C2f, Conv, Detect

__all__ = [
    "SpikingDetector",
    "SpikingDetectorConfig",
    "YOLOv8",
    "YOLOv8Backbone",
    "YOLOv8Config",
]

_SCALES = {
    "n": (0.33, 0.25, 1024),
    "s": (0.33, 0.50, 1024),
    "m": (0.67, 0.75, 768),
    "l": (1.00, 1.00, 512),
    "x": (1.00, 1.25, 512),
}


@dataclass(frozen=True, kw_only=True)
class YOLOv8Config:
    """Configuration of :class:`YOLOv8`.

    Attributes:
        scale: ``"n"``, ``"s"``, ``"m"``, ``"l"`` or ``"x"`` (depth, width, max channels).
        neck: ``"pan"`` (YOLOv8), ``"pan-p2"`` (``yolov8-p2.yaml``) or ``"bifpn-p2"``.
        num_classes: ``nc`` (>= 1).
        in_channels: image channels.
        img_size: side of the example input (a multiple of 32).
        reg_max: DFL bins.
    """

    scale: str = "s"
    neck: str = "pan"
    num_classes: int = 80
    in_channels: int = 3
    img_size: int = 640
    reg_max: int = 16


def _width(c: int, width: float, max_c: int) -> int:
    return math.ceil(min(c, max_c) * width / 8) * 8


class YOLOv8Backbone(nn.Module):
    """YOLOv8 CSP-Darknet backbone through SPPF.

    Args:
        scale: model scale letter.
        in_channels: image channels.

    Shapes:
        ``[B, C, H, W]`` -> taps ``[P2, P3, P4, P5]`` at strides 4, 8, 16, 32.
    """

    def __init__(self, *, scale: str = "s", in_channels: int = 3) -> None:
        super().__init__()
        if scale not in _SCALES:
            raise ValueError(f"scale must be one of {sorted(_SCALES)}, got {scale!r}")
        depth, width, max_c = _SCALES[scale]
        c = [_width(x, width, max_c) for x in (64, 128, 256, 512, 1024)]

        def n(k: int) -> int:
            return max(round(k * depth), 1)

        self.stem = Conv(in_channels, c[0], 3, 2)
        self.stage2 = nn.Sequential(Conv(c[0], c[1], 3, 2), C2f(c[1], c[1], n(3), shortcut=True))
        self.stage3 = nn.Sequential(Conv(c[1], c[2], 3, 2), C2f(c[2], c[2], n(6), shortcut=True))
        self.stage4 = nn.Sequential(Conv(c[2], c[3], 3, 2), C2f(c[3], c[3], n(6), shortcut=True))
        self.stage5 = nn.Sequential(
            Conv(c[3], c[4], 3, 2), C2f(c[4], c[4], n(3), shortcut=True), SPPF(c[4], c[4], 5)
        )
        self.channels = (c[1], c[2], c[3], c[4])
        self.depth = depth

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature taps ``[P2, P3, P4, P5]``."""
        p2 = self.stage2(self.stem(x))
        p3 = self.stage3(p2)
        p4 = self.stage4(p3)
        return [p2, p3, p4, self.stage5(p4)]


class YOLOv8(nn.Module):
    """YOLOv8 detector (ANN reference for comparison with spiking backbones).

    Args:
        config: a :class:`YOLOv8Config`.

    Shapes:
        input ``[B, C, H, W]`` (H, W multiples of 32); output as :class:`Detect`.
    """

    def __init__(self, config: YOLOv8Config) -> None:
        super().__init__()
        c = config
        if c.neck not in ("pan", "pan-p2", "bifpn-p2"):
            raise ValueError(f"neck must be 'pan', 'pan-p2' or 'bifpn-p2', got {c.neck!r}")
        self.config = c
        self.backbone = YOLOv8Backbone(scale=c.scale, in_channels=c.in_channels)
        ch = self.backbone.channels
        p2 = c.neck != "pan"
        self.levels = (0, 1, 2, 3) if p2 else (1, 2, 3)
        taps = tuple(ch[i] for i in self.levels)
        if c.neck == "bifpn-p2":
            n = max(round(3 * self.backbone.depth), 1)
            self.neck: nn.Module = BiFPN(in_channels=ch, n=n)
        else:
            self.neck = PANNeck(channels=taps, depth=self.backbone.depth)
        strides = tuple(4 * 2**i for i in self.levels)
        self.head = Detect(
            num_classes=c.num_classes, channels=taps, strides=strides, reg_max=c.reg_max
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor] | tuple[torch.Tensor, list]:
        """Backbone, neck, head."""
        if x.dim() != 4:
            raise ValueError(f"x must be [B, C, H, W], got shape {tuple(x.shape)}")
        if x.shape[-1] % 32 or x.shape[-2] % 32:
            raise ValueError(f"x spatial size {tuple(x.shape[-2:])} must be a multiple of 32")
        taps = self.backbone(x)
        return self.head(self.neck([taps[i] for i in self.levels]))

    def example_input(self, batch_size: int = 2, time_steps: int = 1) -> torch.Tensor:  # noqa: ARG002
        """Random ``[B, C, S, S]`` image (ANN model: no time axis)."""
        s = self.config.img_size
        return torch.rand(batch_size, self.config.in_channels, s, s)


@dataclass(frozen=True, kw_only=True)
class SpikingDetectorConfig:
    """Configuration of :class:`SpikingDetector` (Meta-SpikeFormer + BiFPN-P2 + Detect).

    Attributes:
        embed_dims: Meta-SpikeFormer widths.
        depths: transformer blocks in stages 3 and 4.
        num_heads: attention heads.
        p5_channels: output channels of the extra spiking stride-32 down-sampling.
        neck_widths: BiFPN node widths ``(P2, P3, P4, P5)``; ``None`` uses the tap widths.
        c2f_repeats: bottlenecks per BiFPN node.
        num_classes: ``nc``.
        in_channels: image channels.
        img_size: side of the example input (a multiple of 32).
        time_steps: steps used to direct-encode a 4-D image.
        reg_max: DFL bins.
        backend: LIF backend.
    """

    embed_dims: tuple[int, int, int, int] = (64, 128, 256, 360)
    depths: tuple[int, int] = (6, 2)
    num_heads: int = 8
    p5_channels: int = 512
    neck_widths: tuple[int, int, int, int] | None = None
    c2f_repeats: int = 1
    num_classes: int = 80
    in_channels: int = 3
    img_size: int = 640
    time_steps: int = 1
    reg_max: int = 16
    backend: str = "auto"


class SpikingDetector(nn.Module):
    """Meta-SpikeFormer backbone with a BiFPN-P2 neck and a YOLOv8 head (spec 5.8, option A).

    Taps: P2 = stage-1 output (``C0``, stride 4), P3 = stage 2 (``C1``, 8), P4 = stage 3
    (``C2``, 16), P5 = ``BN(Conv3x3 s2(LIF(stage 4)))`` (stride 32). The spiking taps are
    averaged over ``T`` and fed to the (ANN) BiFPN and head.

    Args:
        config: a :class:`SpikingDetectorConfig`.

    Shapes:
        input ``[T, B, C, H, W]`` or ``[B, C, H, W]`` (H, W multiples of 32); output as
        :class:`Detect` (no time axis).
    """

    def __init__(self, config: SpikingDetectorConfig) -> None:
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
                in_channels=c.in_channels,
                time_steps=c.time_steps,
                backend=c.backend,
            )
        )
        del self.backbone.head  # classification head unused for detection
        self.p5_lif = spiking_neuron(backend=c.backend)
        self.p5 = SeqToBatch(
            nn.Sequential(
                nn.Conv2d(c.embed_dims[3], c.p5_channels, 3, 2, 1, bias=False),
                nn.BatchNorm2d(c.p5_channels),
            )
        )
        taps = (c.embed_dims[0], c.embed_dims[1], c.embed_dims[2], c.p5_channels)
        widths = c.neck_widths or taps
        self.neck = BiFPN(in_channels=taps, widths=widths, n=c.c2f_repeats)
        self.head = Detect(
            num_classes=c.num_classes, channels=widths, strides=(4, 8, 16, 32), reg_max=c.reg_max
        )

    def taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Time-averaged feature taps ``[B, C_i, H / s_i, W / s_i]`` at strides 4, 8, 16, 32."""
        c = self.config
        x = as_time_major_image(x, time_steps=c.time_steps, in_channels=c.in_channels)
        check_image_size(x, 32)
        s = self.backbone.forward_stages(x)
        p5 = self.p5(self.p5_lif(s[4]))
        return [t.mean(0) for t in (s[1], s[2], s[3], p5)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor] | tuple[torch.Tensor, list]:
        """Backbone taps, BiFPN, head."""
        return self.head(self.neck(self.taps(x)))

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random ``[T, B, C, S, S]``."""
        s = self.config.img_size
        return torch.rand(time_steps, batch_size, self.config.in_channels, s, s)
