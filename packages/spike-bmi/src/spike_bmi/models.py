"""Models registered by spike-bmi (loaded through the ``spike_core.models`` entry point).

Each decoder is registered twice, for Indy (96 channels) and Loco (192 channels). Parameter
counts: SNN_Streaming from the spec (``n * 50 + 100``); SNN_3D, ANN and ANN_3D derived from the
NeuroBench footprints in the spec (footprint bytes = 4 x (parameters + buffers), the buffers being
NeuroBench's one-row input buffer, BatchNorm statistics and snnTorch neuron constants); the LSTMs
are project designs (counts from their formula).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from torch import nn

from spike_bmi._stream import StreamingDecoder
from spike_bmi.ann import ANN3D, ANN3DConfig, ANNConfig, ANNFlat
from spike_bmi.lstm import LSTMConfig, LSTMDecoder, StreamingLSTMConfig, StreamingLSTMDecoder
from spike_bmi.snn import SNN3D, SNN3DConfig, SNNStreaming, SNNStreamingConfig
from spike_core import register_model

__all__ = ["DECODERS", "build_decoder"]

DECODERS: dict[str, tuple[Callable[[Any], StreamingDecoder], Any]] = {
    "snn-streaming": (SNNStreaming, SNNStreamingConfig()),
    "snn-3d": (SNN3D, SNN3DConfig()),
    "ann": (ANNFlat, ANNConfig()),
    "ann-3d": (ANN3D, ANN3DConfig()),
    "lstm": (LSTMDecoder, LSTMConfig()),
    "lstm-streaming": (StreamingLSTMDecoder, StreamingLSTMConfig()),
}
"""Short decoder names -> ``(class, default config)``."""

_COUNTS: dict[str, tuple[int, int]] = {  # (Indy n=96, Loco n=192)
    "snn-streaming": (4_900, 9_700),
    "snn-3d": (6_132, 10_548),
    "ann": (4_946, 8_018),
    "ann-3d": (23_378, 44_882),
    "lstm": (117_314, 167_810),
    "lstm-streaming": (115_970, 165_122),
}

_DESCRIPTIONS = {
    "snn-streaming": "NeuroBench SNN_Streaming (SNN2): n-50-2 LIF, one step per 4 ms bin",
    "snn-3d": "NeuroBench SNN_3D: 7x7-bin chunks, LayerNorm, n-32-48-2 LIF",
    "ann": "NeuroBench ANN (flat): 200 ms counts, n-32-48-2 MLP with BatchNorm",
    "ann-3d": "NeuroBench ANN_3D: 7x7-bin chunks flattened, 7n-32-48-2 MLP",
    "lstm": "LSTM(128) over 7 chunk counts of the last 200 ms (project default)",
    "lstm-streaming": "LSTM(128) stepped once per 4 ms bin (project default)",
}


def build_decoder(name: str, **overrides: Any) -> StreamingDecoder:
    """Build a decoder by short name (``"snn-streaming"``, ``"snn-3d"``, ``"ann"``, ...).

    Args:
        name: a key of :data:`DECODERS`.
        **overrides: config fields, e.g. ``input_dim=32``.

    Returns:
        The decoder.

    Raises:
        ValueError: for an unknown name or config field.
    """
    if name not in DECODERS:
        raise ValueError(f"unknown decoder {name!r}; expected one of {sorted(DECODERS)}")
    cls, cfg = DECODERS[name]
    try:
        return cls(replace(cfg, **overrides))
    except TypeError as exc:
        raise ValueError(f"bad config override for decoder {name!r}: {exc}") from exc


def _register(short: str, monkey: str, n: int, count: int) -> None:
    cls, cfg = DECODERS[short]

    def builder(config: Any) -> nn.Module:
        return cls(config)

    register_model(
        f"bmi-{short}-{monkey}",
        family="bmi",
        config=replace(cfg, input_dim=n),
        num_params=count,
        description=f"{_DESCRIPTIONS[short]}; {monkey.capitalize()} ({n} channels)",
    )(builder)


for _short, (_indy, _loco) in _COUNTS.items():
    _register(_short, "indy", 96, _indy)
    _register(_short, "loco", 192, _loco)
