"""Models registered by spike-cam (loaded through the spike_core.models entry point)."""

from __future__ import annotations

from spike_cam.spikepoint import SpikePoint, SpikePointConfig
from spike_cam.spikmamba import SpikMamba, SpikMambaConfig
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


@register_model(
    "spikmamba",
    family="spikmamba",
    config=SpikMambaConfig(),
    description="SpikMamba: spiking patch embedding + SpikeSLA + bidirectional Mamba, 8 frames",
)
def _spikmamba(cfg: SpikMambaConfig) -> SpikMamba:
    return SpikMamba(cfg)


@register_model(
    "spikmamba-16f",
    family="spikmamba",
    config=SpikMambaConfig(frames=16, patch=4, mamba_layers=0),
    description="SpikMamba 16-frame variant: patch 4 (1024 tokens), SpikeSLA only",
)
def _spikmamba16(cfg: SpikMambaConfig) -> SpikMamba:
    return SpikMamba(cfg)
