"""Models registered by spike-3d (loaded through the spike_core.models entry point).

``MODELS`` maps each registry name to ``(builder, default config, exact parameter count,
description)``; the counts are the spec's exact figures (checked on the meta device in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from spike_3d.classification import E3DSNN, E3DSNNConfig
from spike_3d.detection import E3DSNNDetBackbone, E3DSNNDetConfig
from spike_3d.segmentation import E3DSNNSeg, E3DSNNSegConfig
from spike_core import register_model

__all__ = ["MODELS"]


def _cls(cfg: E3DSNNConfig) -> nn.Module:
    return E3DSNN(config=cfg)


def _seg(cfg: E3DSNNSegConfig) -> nn.Module:
    return E3DSNNSeg(config=cfg)


def _det(cfg: E3DSNNDetConfig) -> nn.Module:
    return E3DSNNDetBackbone(config=cfg)


MODELS: dict[str, tuple[Callable[[Any], nn.Module], Any, int, str]] = {
    "e3dsnn-t": (_cls, E3DSNNConfig(), 1_874_216, "E-3DSNN-T ModelNet40 classifier (1.87 M)"),
    "e3dsnn-s": (
        _cls,
        E3DSNNConfig(embed_channels=24, channels=(24, 48, 96, 160)),
        3_271_144,
        "E-3DSNN-S ModelNet40 classifier (3.27 M)",
    ),
    "e3dsnn-17m": (
        _cls,
        E3DSNNConfig(embed_channels=64, channels=(64, 128, 128, 256), depths=(2, 2, 2, 2)),
        17_330_600,
        "E-3DSNN ModelNet40 classifier, 17.33 M (energy-script config)",
    ),
    "e3dsnn-46m": (
        _cls,
        E3DSNNConfig(embed_channels=64, channels=(96, 192, 288, 384), depths=(2, 2, 2, 2)),
        46_574_248,
        "E-3DSNN ModelNet40 classifier, 46.57 M (energy-script config)",
    ),
    "e3dsnn-seg": (
        _seg,
        E3DSNNSegConfig(),
        20_049_683,
        "E-3DSNN SemanticKITTI segmentation U-Net (20.05 M)",
    ),
    "e3dsnn-det-backbone": (
        _det,
        E3DSNNDetConfig(),
        1_722_368,
        "E-3DSNN KITTI Voxel R-CNN 3D backbone (1.72 M)",
    ),
}

for _name, (_builder, _cfg, _count, _desc) in MODELS.items():
    register_model(_name, family="e3dsnn", config=_cfg, num_params=_count, description=_desc)(
        _builder
    )
