"""Models registered by spike-cam (loaded through the spike_core.models entry point)."""

from __future__ import annotations

from spike_cam.spikepoint import SpikePoint, SpikePointConfig
from spike_core import register_model

__all__: list[str] = []


@register_model(
    "spikepoint",
    family="spikepoint",
    config=SpikePointConfig(),
    description="SpikePoint: single-stage point SNN on event clouds (DVS128 Gesture, 11 classes)",
)
def _spikepoint(cfg: SpikePointConfig) -> SpikePoint:
    return SpikePoint(cfg)
