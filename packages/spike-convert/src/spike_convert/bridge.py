"""Pretraining as a bridge from ANNs to SNNs: pipe-S and pipe-D as functions.

Recipe (pipe-S, static data):

1. Build the pre-training ANN: :class:`SResNet` with ``neuron="sharpened"``, run with ``T = 1``.
2. :func:`pretrain_sharpened`: train it while annealing every :class:`SharpenedReLU` along the
   epoch schedule (ramp -> step).
3. Build the SNN of the same depth (``neuron="lif"`` or ``"liaf"``) and :func:`transfer_weights`
   (pipe-S: same names and shapes, a strict load).
4. :func:`finetune_bptt`: fine-tune the whole SNN through time (rectangular surrogate).

pipe-D (dynamic / event data): the ANN is trained on static frames (3 channels); the SNN takes two
polarity channels, so :func:`transfer_weights` adapts the stem (``stem_adapt="mean"``: the
pre-trained kernel averaged over its input channels, the same average for both polarities;
``"reinit"``: keep the SNN's fresh stem) and skips layers whose shapes differ (e.g. a new
classifier).

``SResNet`` is the BasicBlock ResNet of the pipe-S models: stem conv 7x7/2 (no bias) -> tdBN ->
neuron; four stages whose first blocks have stride 2 (no max-pool); the neuron after each residual
sum; spatial global average pooling and a linear head applied per step (average the ``[T, B, K]``
output over time for the prediction). tdBN is a ``BatchNorm2d`` over the time-folded batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
from torch import nn

from spike_convert.bridge_neurons import LIAF, PipeLIF, SharpenedReLU
from spike_convert.training import fit_classifier
from spike_core import SeqToBatch

__all__ = [
    "SResNet",
    "TransferReport",
    "finetune_bptt",
    "pretrain_sharpened",
    "set_sharpened_epoch",
    "transfer_weights",
]

_NEURONS = ("lif", "liaf", "sharpened")


def _neuron(kind: str) -> nn.Module:
    if kind == "lif":
        return PipeLIF()
    if kind == "liaf":
        return LIAF()
    return SeqToBatch(SharpenedReLU())


def _td_bn(channels: int, v_threshold: float = 0.5) -> SeqToBatch:
    bn = nn.BatchNorm2d(channels)
    nn.init.constant_(bn.weight, v_threshold)
    nn.init.zeros_(bn.bias)
    return SeqToBatch(bn)


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, neuron: str) -> None:
        super().__init__()
        self.conv1 = SeqToBatch(nn.Conv2d(cin, cout, 3, stride, 1, bias=False))
        self.bn1 = _td_bn(cout)
        self.act1 = _neuron(neuron)
        self.conv2 = SeqToBatch(nn.Conv2d(cout, cout, 3, 1, 1, bias=False))
        self.bn2 = _td_bn(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                SeqToBatch(nn.Conv2d(cin, cout, 1, stride, bias=False)), _td_bn(cout)
            )
        self.act2 = _neuron(neuron)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x_seq)))))
        return self.act2(y + self.shortcut(x_seq))


class SResNet(nn.Module):
    """BasicBlock spiking ResNet of pipe-S / pipe-D (S-ResNet, WS-ResNet with ``"sharpened"``).

    Args:
        blocks: blocks per stage (``(2, 2, 2, 2)`` ResNet-18, ``(3, 4, 6, 3)`` ResNet-34).
        num_classes: classifier outputs.
        in_channels: input channels (3 for RGB, 2 for event polarities).
        width: channels of the first stage (64); stages use ``width * (1, 2, 4, 8)``.
        neuron: ``"lif"`` (S-ResNet), ``"liaf"`` or ``"sharpened"`` (the pre-training ANN).

    Shapes:
        ``x_seq``: time-major ``[T, B, C, H, W]`` -> per-step logits ``[T, B, num_classes]``.

    Examples:
        >>> net = SResNet(blocks=(1, 1, 1, 1), num_classes=10, width=4)
        >>> net(torch.zeros(2, 1, 3, 32, 32)).shape
        torch.Size([2, 1, 10])
    """

    def __init__(
        self,
        *,
        blocks: Sequence[int] = (2, 2, 2, 2),
        num_classes: int = 1000,
        in_channels: int = 3,
        width: int = 64,
        neuron: str = "lif",
    ) -> None:
        super().__init__()
        if neuron not in _NEURONS:
            raise ValueError(f"neuron must be one of {_NEURONS}, got {neuron!r}")
        if len(blocks) != 4 or any(int(b) < 1 for b in blocks):
            raise ValueError(f"blocks must be four positive ints, got {tuple(blocks)!r}")
        self.stem = nn.Sequential(
            SeqToBatch(nn.Conv2d(in_channels, width, 7, 2, 3, bias=False)),
            _td_bn(width),
            _neuron(neuron),
        )
        stages = []
        cin = width
        for i, n in enumerate(blocks):
            cout = width * 2**i
            layers = [_BasicBlock(cin, cout, 2, neuron)]
            layers += [_BasicBlock(cout, cout, 1, neuron) for _ in range(int(n) - 1)]
            stages.append(nn.Sequential(*layers))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.pool = SeqToBatch(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()))
        self.fc = SeqToBatch(nn.Linear(cin, num_classes))

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Per-step logits.

        Args:
            x_seq: ``[T, B, C, H, W]`` (repeat a static image over ``T``; ``T = 1`` for the ANN).

        Returns:
            ``[T, B, num_classes]``; ``.mean(0)`` is the prediction.
        """
        if x_seq.dim() != 5:
            raise ValueError(f"x_seq must be [T, B, C, H, W], got shape {tuple(x_seq.shape)}")
        return self.fc(self.pool(self.stages(self.stem(x_seq))))


def set_sharpened_epoch(model: nn.Module, epoch: int) -> None:
    """Move every :class:`SharpenedReLU` in ``model`` to ``epoch`` (1-based).

    Args:
        model: network holding sharpened ReLUs.
        epoch: 1-based epoch of the 100-epoch schedule.
    """
    for m in model.modules():
        if isinstance(m, SharpenedReLU):
            m.set_epoch(epoch)


def pretrain_sharpened(
    ann: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
) -> list[float]:
    """pipe-S pre-training: one epoch at a time, sharpening the ReLUs along the schedule.

    Epoch ``k`` of ``epochs`` uses schedule epoch ``ceil(100 k / epochs)`` so a short run still ends
    at the near-step ``(0.49, 0.50)``.

    Args:
        ann: the pre-training network (e.g. ``SResNet(neuron="sharpened")``).
        inputs: time-major ``[1, B, ...]`` (``T = 1``).
        targets: labels ``[B]``.
        epochs: training epochs.
        lr: Adam learning rate.
        batch_size: mini-batch size.
        seed: shuffling seed.

    Returns:
        Mean loss per epoch.

    Shapes:
        ``inputs``: ``[1, B, ...]``.
    """
    history = []
    for k in range(1, epochs + 1):
        set_sharpened_epoch(ann, -(-100 * k // epochs))
        history += fit_classifier(
            ann,
            inputs,
            targets,
            epochs=1,
            lr=lr,
            batch_size=batch_size,
            batch_dim=1,
            seed=seed + k,
            output_fn=lambda y: y.mean(0),
        )
    return history


def finetune_bptt(
    snn: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
) -> list[float]:
    """Fine-tune a multi-step SNN with back-propagation through time (mean-over-time logits).

    Args:
        snn: the spiking network (output ``[T, B, K]``).
        inputs: time-major ``[T, B, ...]``.
        targets: labels ``[B]``.
        epochs: epochs.
        lr: Adam learning rate.
        batch_size: mini-batch size.
        seed: shuffling seed.

    Returns:
        Mean loss per epoch.

    Shapes:
        ``inputs``: ``[T, B, ...]``.
    """
    return fit_classifier(
        snn,
        inputs,
        targets,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        batch_dim=1,
        seed=seed,
        output_fn=lambda y: y.mean(0),
    )


@dataclasses.dataclass
class TransferReport:
    """What :func:`transfer_weights` did.

    Attributes:
        copied: state-dict keys copied unchanged.
        adapted: keys adapted (the stem, by channel averaging).
        skipped: keys left at the target's initialisation (shape mismatch, ``"reinit"`` stem, or
            absent from the source).
    """

    copied: list[str]
    adapted: list[str]
    skipped: list[str]


@torch.no_grad()
def transfer_weights(
    source: nn.Module,
    target: nn.Module,
    *,
    stem_adapt: str = "mean",
    stem_key: str = "stem.0.module.weight",
    strict: bool = False,
) -> TransferReport:
    """Copy the spatial parameters of a trained ANN into an SNN of the same topology.

    Args:
        source: the pre-trained network.
        target: the SNN (modified in place).
        stem_adapt: how a first convolution with a different number of input channels is handled:
            ``"mean"`` (source kernel averaged over its input channels, replicated for every target
            channel) or ``"reinit"`` (keep the target's initialisation).
        stem_key: state-dict key of the first convolution's weight.
        strict: pipe-S mode: ``target.load_state_dict(source.state_dict(), strict=True)`` (names and
            shapes must be identical; raises otherwise).

    Returns:
        A :class:`TransferReport`.

    Raises:
        ValueError: unknown ``stem_adapt``. RuntimeError: a strict load that does not match.
    """
    if stem_adapt not in ("mean", "reinit"):
        raise ValueError(f"stem_adapt must be 'mean' or 'reinit', got {stem_adapt!r}")
    src = source.state_dict()
    if strict:
        target.load_state_dict(src, strict=True)
        return TransferReport(copied=list(src), adapted=[], skipped=[])
    copied, adapted, skipped = [], [], []
    for key, value in target.state_dict().items():
        if key not in src:
            skipped.append(key)
            continue
        s = src[key]
        if s.shape == value.shape:
            value.copy_(s)
            copied.append(key)
        elif (
            key == stem_key
            and stem_adapt == "mean"
            and s.dim() == 4
            and s.shape[0] == value.shape[0]
        ):
            value.copy_(s.mean(dim=1, keepdim=True).expand_as(value))
            adapted.append(key)
        else:
            skipped.append(key)
    return TransferReport(copied=copied, adapted=adapted, skipped=skipped)
