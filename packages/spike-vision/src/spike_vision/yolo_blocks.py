"""YOLOv8 building blocks (ultralytics conventions) and the decoupled anchor-free head.

``Conv`` = Conv2d(k, s, pad k//2, no bias) -> BN(eps 1e-3, momentum 0.03) -> SiLU;
``C2f``, ``SPPF`` and ``Detect`` follow the YOLOv8 layouts. These are ANN modules on
``[B, C, H, W]``; spiking detectors feed them time-averaged backbone features.
"""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import nn

from spike_vision.boxes import dist_to_xyxy, make_anchors, xyxy_to_xywh

__all__ = ["DFL", "SPPF", "Bottleneck", "C2f", "Conv", "Detect"]


class Conv(nn.Module):
    """``Conv2d(no bias) -> BatchNorm2d -> SiLU``.

    Args:
        c1: input channels.
        c2: output channels.
        k: kernel size (padding ``k // 2``).
        s: stride.

    Shapes:
        ``[B, c1, H, W] -> [B, c2, H / s, W / s]``.
    """

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply conv, BN and SiLU."""
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """``Conv3x3 -> Conv3x3`` with an optional residual add.

    Args:
        c: channels.
        shortcut: add the input.

    Shapes:
        ``[B, c, H, W] -> [B, c, H, W]``.
    """

    def __init__(self, c: int, *, shortcut: bool = True) -> None:
        super().__init__()
        self.cv1 = Conv(c, c, 3)
        self.cv2 = Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Two 3x3 convs (+ input)."""
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP bottleneck with two convolutions (YOLOv8).

    Args:
        c1: input channels.
        c2: output channels.
        n: bottlenecks.
        shortcut: residual adds in the bottlenecks.

    Shapes:
        ``[B, c1, H, W] -> [B, c2, H, W]``.
    """

    def __init__(self, c1: int, c2: int, n: int = 1, *, shortcut: bool = False) -> None:
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut=shortcut) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Split, run the bottleneck chain on the second half, concatenate every output."""
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast: three chained ``MaxPool(k, 1, k//2)``.

    Args:
        c1: input channels.
        c2: output channels.
        k: pooling kernel.

    Shapes:
        ``[B, c1, H, W] -> [B, c2, H, W]``.
    """

    def __init__(self, c1: int, c2: int, k: int = 5) -> None:
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool three times and fuse the four maps."""
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class DFL(nn.Module):
    """Distribution focal loss integral: expectation of a softmax over ``reg_max`` bins.

    The fixed 1x1 conv holds the bin indices ``0..reg_max-1`` (a parameter without gradient,
    counted like the reference).

    Args:
        reg_max: number of bins.

    Shapes:
        ``[B, 4 * reg_max, A] -> [B, 4, A]``.
    """

    def __init__(self, reg_max: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.arange(reg_max, dtype=torch.float32).view(1, -1, 1, 1))
        self.reg_max = reg_max

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Expected distance per side."""
        b, _, a = x.shape
        p = x.view(b, 4, self.reg_max, a).transpose(2, 1).softmax(1)
        return self.conv(p).view(b, 4, a)


class Detect(nn.Module):
    """YOLOv8 decoupled anchor-free detection head (legacy form) with DFL box decoding.

    Args:
        num_classes: ``nc`` (>= 1).
        channels: input channels of each level (finest first).
        strides: stride of each level in pixels.
        reg_max: DFL bins.

    Shapes:
        input: list of ``[B, C_i, H_i, W_i]``. Training mode returns the raw per-level maps
        ``[B, 4 * reg_max + nc, H_i, W_i]``; eval mode returns ``(decoded, raw)`` where
        ``decoded`` is ``[B, 4 + nc, A]`` (xywh in pixels, then sigmoid class scores).
    """

    def __init__(
        self,
        *,
        num_classes: int,
        channels: tuple[int, ...],
        strides: tuple[int, ...],
        reg_max: int = 16,
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        if len(channels) != len(strides):
            raise ValueError(f"channels {channels} and strides {strides} differ in length")
        self.nc = num_classes
        self.reg_max = reg_max
        self.no = num_classes + 4 * reg_max
        self.strides = tuple(int(s) for s in strides)
        c2 = max(16, channels[0] // 4, 4 * reg_max)
        c3 = max(channels[0], min(num_classes, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * reg_max, 1))
            for x in channels
        )
        self.cv3 = nn.ModuleList(
            nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, num_classes, 1))
            for x in channels
        )
        self.dfl = DFL(reg_max)
        self.bias_init()

    @torch.no_grad()
    def bias_init(self, image_size: int = 640) -> None:
        """YOLOv8 bias init: box bias 1.0, class bias ``log(5 / nc / (image_size / s)^2)``."""
        if any(p.is_meta for p in self.parameters()):
            return
        for a, b, s in zip(self.cv2, self.cv3, self.strides, strict=True):
            box, cls = cast(nn.Sequential, a)[-1], cast(nn.Sequential, b)[-1]
            assert isinstance(box, nn.Conv2d)
            assert isinstance(cls, nn.Conv2d)
            assert box.bias is not None
            assert cls.bias is not None
            box.bias.fill_(1.0)
            cls.bias[: self.nc] = math.log(5 / self.nc / (image_size / s) ** 2)

    def raw(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """Per-level raw maps ``[B, 4 * reg_max + nc, H_i, W_i]``."""
        if len(feats) != len(self.cv2):
            raise ValueError(f"feats must hold {len(self.cv2)} levels, got {len(feats)}")
        return [
            torch.cat((a(x), b(x)), 1) for x, a, b in zip(feats, self.cv2, self.cv3, strict=True)
        ]

    def decode(self, raw: list[torch.Tensor]) -> torch.Tensor:
        """Decode raw maps into ``[B, 4 + nc, A]`` (xywh pixels, sigmoid scores)."""
        sizes = [(int(x.shape[2]), int(x.shape[3])) for x in raw]
        anchors, stride = make_anchors(
            sizes, list(self.strides), device=raw[0].device, dtype=raw[0].dtype
        )
        cat = torch.cat([x.flatten(2) for x in raw], 2)
        box, cls = cat.split((4 * self.reg_max, self.nc), 1)
        dist = self.dfl(box).transpose(1, 2)  # [B, A, 4]
        xywh = xyxy_to_xywh(dist_to_xyxy(dist, anchors)) * stride
        return torch.cat((xywh.transpose(1, 2), cls.sigmoid()), 1)

    def forward(
        self, feats: list[torch.Tensor]
    ) -> list[torch.Tensor] | tuple[torch.Tensor, list[torch.Tensor]]:
        """Raw maps in training mode; ``(decoded, raw)`` in eval mode."""
        raw = self.raw(feats)
        if self.training:
            return raw
        return self.decode(raw), raw
