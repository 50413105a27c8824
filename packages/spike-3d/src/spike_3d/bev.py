"""Spiking bird's-eye-view parts of the E-3DSNN KITTI detector: 2D backbone and anchors.

The 3D backbone (:class:`~spike_3d.E3DSNNDetBackbone`) ends in a dense BEV map; this module holds
the spiking 2D backbone that follows it (``BaseBEVBackbone`` with a spike before every 2D
conv/deconv) and the anchor grid of the single-stage head. The RoI head is not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from spike_core import IntLIF, SeqToBatch

__all__ = ["SpikeBEVBackbone", "SpikeBEVConfig", "generate_anchors"]


@dataclass(frozen=True, kw_only=True)
class SpikeBEVConfig:
    """BEV backbone configuration (defaults: E-3DSNN KITTI Voxel R-CNN).

    Attributes:
        in_channels: BEV channels from height compression (256 on KITTI).
        layer_nums: extra 3×3 conv layers per level.
        layer_strides: stride of each level's first conv.
        num_filters: width of each level.
        upsample_strides: deconv stride bringing each level to the common resolution.
        num_upsample_filters: deconv output width per level (concatenated).
        levels: I-LIF ``D``.
    """

    in_channels: int = 256
    layer_nums: tuple[int, ...] = (5, 5)
    layer_strides: tuple[int, ...] = (1, 2)
    num_filters: tuple[int, ...] = (64, 128)
    upsample_strides: tuple[int, ...] = (1, 2)
    num_upsample_filters: tuple[int, ...] = (128, 128)
    levels: int = 4


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class SpikeBEVBackbone(nn.Module):
    """Spiking 2D BEV backbone with a spike before every 2D convolution and deconvolution.

    Per level: ``Spike → Conv3×3(stride) → BN`` then ``layer_nums`` × ``Spike → Conv3×3 → BN``;
    each level is brought to the common resolution by ``Spike → ConvTranspose → BN`` and the
    levels are concatenated over channels.

    Args:
        config: the :class:`SpikeBEVConfig`.

    Shapes:
        ``[T, B, in_channels, H, W] -> [T, B, sum(num_upsample_filters), H / s0, W / s0]`` with
        ``s0 = layer_strides[0] / upsample_strides[0]`` (time-major).
    """

    def __init__(self, *, config: SpikeBEVConfig | None = None) -> None:
        super().__init__()
        cfg = config or SpikeBEVConfig()
        n = len(cfg.layer_nums)
        if not n or any(
            len(v) != n
            for v in (
                cfg.layer_strides,
                cfg.num_filters,
                cfg.upsample_strides,
                cfg.num_upsample_filters,
            )
        ):
            raise ValueError(
                "layer_nums, layer_strides, num_filters and the upsample lists must share one length"
            )
        self.config = cfg
        widths = (cfg.in_channels, *cfg.num_filters)
        self.blocks = nn.ModuleList()
        self.deblocks = nn.ModuleList()
        for i in range(n):
            layers: list[nn.Module] = [
                self._spike(),
                SeqToBatch(
                    nn.Sequential(
                        nn.Conv2d(
                            widths[i],
                            widths[i + 1],
                            3,
                            stride=cfg.layer_strides[i],
                            padding=1,
                            bias=False,
                        ),
                        _bn(widths[i + 1]),
                    )
                ),
            ]
            for _ in range(cfg.layer_nums[i]):
                layers += [
                    self._spike(),
                    SeqToBatch(
                        nn.Sequential(
                            nn.Conv2d(widths[i + 1], widths[i + 1], 3, padding=1, bias=False),
                            _bn(widths[i + 1]),
                        )
                    ),
                ]
            self.blocks.append(nn.Sequential(*layers))
            s, f = cfg.upsample_strides[i], cfg.num_upsample_filters[i]
            self.deblocks.append(
                nn.Sequential(
                    self._spike(),
                    SeqToBatch(
                        nn.Sequential(
                            nn.ConvTranspose2d(widths[i + 1], f, s, stride=s, bias=False), _bn(f)
                        )
                    ),
                )
            )

    def _spike(self) -> IntLIF:
        return IntLIF(levels=self.config.levels, backend="torch")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Multi-scale spiking 2D features, concatenated over channels."""
        if not isinstance(x, torch.Tensor) or x.dim() != 5:
            raise ValueError(
                f"x must be [T, B, C, H, W], got {getattr(x, 'shape', type(x).__name__)}"
            )
        if x.shape[2] != self.config.in_channels:
            raise ValueError(f"x must have {self.config.in_channels} channels, got {x.shape[2]}")
        ups = []
        for block, deblock in zip(self.blocks, self.deblocks, strict=True):
            x = block(x)
            ups.append(deblock(x))
        return torch.cat(ups, 2)


def generate_anchors(
    feature_size: tuple[int, int],
    point_range: tuple[float, float, float, float, float, float] = (
        0.0,
        -40.0,
        -3.0,
        70.4,
        40.0,
        1.0,
    ),
    *,
    sizes: tuple[tuple[float, float, float], ...] = ((3.9, 1.6, 1.56),),
    rotations: tuple[float, ...] = (0.0, 1.57),
    bottom_height: float = -1.78,
) -> torch.Tensor:
    """Anchor boxes on a BEV feature map (KITTI car defaults of the E-3DSNN detector).

    Anchor centres sit on cell centres of the ``(H, W)`` map spanning ``point_range`` in x (W)
    and y (H); ``z = bottom_height + dz / 2``.

    Args:
        feature_size: ``(H, W)`` of the BEV map (KITTI at stride 8: ``(200, 176)``).
        point_range: ``(x0, y0, z0, x1, y1, z1)``.
        sizes: ``(dx, dy, dz)`` per anchor size.
        rotations: headings in radians.
        bottom_height: anchor bottom ``z``.

    Returns:
        ``[H, W, len(sizes) * len(rotations), 7]`` boxes ``(x, y, z, dx, dy, dz, heading)``.
    """
    H, W = feature_size
    if H < 1 or W < 1:
        raise ValueError(f"feature_size must be positive, got {feature_size}")
    x0, y0, _, x1, y1, _ = point_range
    xs = x0 + (torch.arange(W, dtype=torch.float32) + 0.5) * (x1 - x0) / W
    ys = y0 + (torch.arange(H, dtype=torch.float32) + 0.5) * (y1 - y0) / H
    boxes = [
        torch.tensor([dx, dy, dz, r], dtype=torch.float32)
        for (dx, dy, dz) in sizes
        for r in rotations
    ]
    a = torch.stack(boxes)  # [A, 4]
    A = a.shape[0]
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    out = torch.empty(H, W, A, 7)
    out[..., 0] = xx[..., None]
    out[..., 1] = yy[..., None]
    out[..., 2] = bottom_height + a[:, 2] / 2
    out[..., 3:6] = a[:, :3]
    out[..., 6] = a[:, 3]
    return out
