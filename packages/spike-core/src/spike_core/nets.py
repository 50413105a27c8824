"""Small reference networks registered by spike-core itself (``spiking-mlp``, ``spiking-cnn``).

They are the baseline the ``spike demo`` and ``spike train`` commands use on the embedded UCI
digits, and a template for registered models: a frozen config, a :class:`SpikingModel`, stateless
layers folded over time with :class:`SeqToBatch`.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from spike_core._validation import check_floating, check_rank
from spike_core.model import SpikingModel
from spike_core.neurons import IF, LIF, PLIF
from spike_core.registry import register_model
from spike_core.time import SeqToBatch

__all__ = ["SpikingCNN", "SpikingCNNConfig", "SpikingMLP", "SpikingMLPConfig"]

_NEURONS = {"lif": LIF, "if": IF, "plif": PLIF}


def _neuron(kind: str, tau_mem: float, surrogate: str) -> nn.Module:
    if kind not in _NEURONS:
        raise ValueError(f"neuron must be one of {sorted(_NEURONS)}, got {kind!r}")
    if kind == "lif":
        return LIF(tau_mem=tau_mem, surrogate=surrogate, detach_reset=True)
    if kind == "plif":
        return PLIF(init_tau=tau_mem, surrogate=surrogate, detach_reset=True)
    return IF(surrogate=surrogate, detach_reset=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpikingMLPConfig:
    """Config of :class:`SpikingMLP`.

    Attributes:
        in_features: input features per time step.
        hidden: widths of the spiking hidden layers.
        num_classes: outputs of the linear read-out.
        neuron: ``"lif"``, ``"plif"`` or ``"if"``.
        tau_mem: membrane time constant (initial for PLIF).
        surrogate: surrogate gradient name.
        time_steps: steps used by :meth:`SpikingMLP.example_input` and by callers that encode
            static input directly.
    """

    in_features: int = 64
    hidden: tuple[int, ...] = (128,)
    num_classes: int = 10
    neuron: str = "lif"
    tau_mem: float = 2.0
    surrogate: str = "atan"
    time_steps: int = 4


class SpikingMLP(SpikingModel):
    """Fully connected SNN: ``(Linear -> neuron) x len(hidden)`` then a linear read-out.

    Shapes:
        input ``[T, B, in_features]``; output ``[T, B, num_classes]`` (average over ``T`` for
        class scores).

    Examples:
        >>> net = SpikingMLP(SpikingMLPConfig(in_features=4, hidden=(8,), num_classes=3))
        >>> net(torch.rand(5, 2, 4)).shape
        torch.Size([5, 2, 3])
    """

    def __init__(self, cfg: SpikingMLPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        width = cfg.in_features
        for h in cfg.hidden:
            layers += [
                SeqToBatch(nn.Linear(width, h)),
                _neuron(cfg.neuron, cfg.tau_mem, cfg.surrogate),
            ]
            width = h
        self.features = nn.Sequential(*layers)
        self.num_features = width
        self.head = SeqToBatch(nn.Linear(width, cfg.num_classes))

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Spikes of the last hidden layer, ``[T, B, hidden[-1]]``."""
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 3, "[T, B, in_features]")
        if x_seq.shape[-1] != self.cfg.in_features:
            raise ValueError(
                f"x_seq has {x_seq.shape[-1]} features, expected {self.cfg.in_features}"
            )
        return self.features(x_seq)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with ``num_outputs`` outputs."""
        self.head = SeqToBatch(nn.Linear(self.num_features, num_outputs))

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random input ``[time_steps, batch_size, in_features]`` in ``[0, 1)``."""
        p = next(self.parameters())
        return torch.rand(
            time_steps, batch_size, self.cfg.in_features, device=p.device, dtype=p.dtype
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpikingCNNConfig:
    """Config of :class:`SpikingCNN` (for small images such as the 8x8 UCI digits).

    Attributes:
        in_channels: image channels.
        image_size: square image side.
        channels: conv widths (3x3 conv -> BN -> neuron -> 2x2 average pool each).
        num_classes: outputs of the linear read-out.
        neuron: ``"lif"``, ``"plif"`` or ``"if"``.
        tau_mem: membrane time constant.
        surrogate: surrogate gradient name.
    """

    in_channels: int = 1
    image_size: int = 8
    channels: tuple[int, ...] = (16, 32)
    num_classes: int = 10
    neuron: str = "lif"
    tau_mem: float = 2.0
    surrogate: str = "atan"


class SpikingCNN(SpikingModel):
    """Convolutional SNN: ``(Conv3x3 -> BN -> neuron -> AvgPool2) x len(channels)`` + read-out.

    Shapes:
        input ``[T, B, C, H, W]``; output ``[T, B, num_classes]``.
    """

    def __init__(self, cfg: SpikingCNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c, side = cfg.in_channels, cfg.image_size
        for w in cfg.channels:
            block = nn.Sequential(nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w))
            layers += [SeqToBatch(block), _neuron(cfg.neuron, cfg.tau_mem, cfg.surrogate)]
            layers.append(SeqToBatch(nn.AvgPool2d(2)))
            c, side = w, side // 2
        if side < 1:
            raise ValueError(
                f"image_size {cfg.image_size} is too small for {len(cfg.channels)} stages"
            )
        self.features = nn.Sequential(*layers)
        self.num_features = c * side * side
        self.head = SeqToBatch(nn.Linear(self.num_features, cfg.num_classes))

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Flattened spike maps ``[T, B, C' * H' * W']``."""
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 5, "[T, B, C, H, W]")
        return self.features(x_seq).flatten(2)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with ``num_outputs`` outputs."""
        self.head = SeqToBatch(nn.Linear(self.num_features, num_outputs))

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random images ``[time_steps, batch_size, C, H, W]``."""
        p = next(self.parameters())
        c, s = self.cfg.in_channels, self.cfg.image_size
        return torch.rand(time_steps, batch_size, c, s, s, device=p.device, dtype=p.dtype)


register_model(
    "spiking-mlp",
    family="mlp",
    config=SpikingMLPConfig(),
    num_params=64 * 128 + 128 + 128 * 10 + 10,
    description="LIF MLP 64-128-10 for the 8x8 UCI digits",
)(SpikingMLP)
register_model(
    "spiking-cnn",
    family="cnn",
    config=SpikingCNNConfig(),
    num_params=(9 * 16 + 2 * 16) + (16 * 9 * 32 + 2 * 32) + (32 * 4 * 10 + 10),
    description="two-stage LIF CNN for 8x8 images",
)(SpikingCNN)
