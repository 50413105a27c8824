"""CNN-Morph: CNN -> QCNN (clamp-floor-shift activations) -> BIFSNN, with zero conversion error.

1. :func:`quantize_cnn` folds BatchNorm, replaces every ReLU by a :class:`QuantAct` (and every
   ``Hardtanh`` by a signed one) and initialises the steps from a calibration batch. Fine-tune the
   result (quantization-aware training) as an ordinary ``nn.Module``.
2. :func:`convert_cnn` copies every weight and bias: each ``QuantAct`` becomes a
   :class:`~spike_convert.bif.BIF` with ``theta = s``, ``S_min``, ``S_max``; Linear/Conv layers become
   :class:`~spike_convert.snn.SynapticLayer` (bias delivered once); average pooling and flatten run
   over time unchanged; :class:`~spike_convert.layers.Residual` becomes a spiking residual.
3. :meth:`BIFSNN.run` feeds the input once (s-analog) and runs until quiet; the summed output equals
   the QCNN output.

:func:`cnn_morph` does 1 and 2 in one call. Max pooling is not linear in time and is rejected, as is
any other layer the converter does not know (the error names the layer).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from spike_convert.bif import BIF
from spike_convert.fold import fold_batchnorm
from spike_convert.layers import Residual
from spike_convert.quantizer import QuantAct
from spike_convert.snn import BIFSNN, SpikingResidual, SpikingSequential, SynapticLayer
from spike_core.time import SeqToBatch

__all__ = ["calibrate", "cnn_morph", "convert_cnn", "quantize_cnn"]

_SYNAPSES = (nn.Linear, nn.Conv1d, nn.Conv2d)
_LINEAR_STATELESS = (
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.Flatten,
)
_PASS = (nn.Identity, nn.Dropout)
_MAXPOOL = (nn.MaxPool1d, nn.MaxPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
_SUPPORTED = (
    "Linear, Conv1d, Conv2d, BatchNorm1d/2d (folded), ReLU, Hardtanh, QuantAct, AvgPool1d/2d, "
    "AdaptiveAvgPool1d/2d, Flatten, Dropout, Identity, Residual, nn.Sequential"
)


def _unsupported(module: nn.Module, name: str, stage: str) -> ValueError:
    if isinstance(module, _MAXPOOL):
        return ValueError(
            f"layer {name!r} ({type(module).__name__}) is max pooling, which is not linear in time "
            f"and cannot be converted exactly; use average pooling ({stage})"
        )
    return ValueError(
        f"layer {name!r} of type {type(module).__name__} is not supported by {stage}; "
        f"supported: {_SUPPORTED}"
    )


def _check_flatten(module: nn.Module, name: str) -> None:
    if isinstance(module, nn.Flatten) and module.start_dim != 1:
        raise ValueError(f"layer {name!r} (Flatten) must have start_dim=1, got {module.start_dim}")


def _quantize(module: nn.Module, name: str, levels: int, neg_levels: int) -> nn.Module:
    if isinstance(module, nn.Sequential):
        return nn.Sequential(
            *(
                _quantize(child, f"{name}.{key}" if name else key, levels, neg_levels)
                for key, child in module.named_children()
            )
        )
    if isinstance(module, Residual):
        return Residual(
            _quantize(module.body, f"{name}.body", levels, neg_levels),
            _quantize(module.shortcut, f"{name}.shortcut", levels, neg_levels),
        )
    if isinstance(module, nn.ReLU):
        return QuantAct(levels=levels)
    if isinstance(module, nn.Hardtanh):
        return QuantAct(levels=levels, neg_levels=neg_levels or levels)
    if isinstance(module, (QuantAct, *_SYNAPSES, *_LINEAR_STATELESS, *_PASS)):
        _check_flatten(module, name)
        return copy.deepcopy(module)
    raise _unsupported(module, name or "<model>", "CNN-Morph quantization")


@torch.no_grad()
def calibrate(qnet: nn.Module, x: torch.Tensor) -> nn.Module:
    """(Re)initialise every :class:`QuantAct` step LSQ-style from one batch, layer by layer.

    Args:
        qnet: a quantized network (e.g. from :func:`quantize_cnn`).
        x: a representative input batch ``[B, ...]``.

    Returns:
        ``qnet`` (modified in place), in evaluation mode.

    Shapes:
        ``x``: whatever ``qnet`` takes (batch-major for CNNs).
    """
    for m in qnet.modules():
        if isinstance(m, QuantAct):
            m.initialized.fill_(False)
    qnet.eval()
    qnet(x)
    return qnet


def quantize_cnn(
    model: nn.Module,
    *,
    levels: int = 8,
    neg_levels: int = 0,
    calibration: torch.Tensor | None = None,
) -> nn.Module:
    """CNN -> QCNN: fold BatchNorm, replace activations by clamp-floor-shift quantizers.

    Args:
        model: the float CNN (``nn.Sequential`` tree of the supported layers, see
            :func:`convert_cnn`), or a single layer.
        levels: ``L``, positive steps of every quantizer (package default 8).
        neg_levels: negative steps of quantizers replacing ``Hardtanh`` (default ``levels``).
        calibration: a batch ``[B, ...]`` used to initialise the steps; without it the steps
            initialise on the first forward pass.

    Returns:
        The QCNN (a new module, in evaluation mode; the source is untouched).

    Raises:
        ValueError: an unsupported layer (named), e.g. max pooling.

    Shapes:
        Same input and output as ``model``.

    Examples:
        >>> cnn = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> q = quantize_cnn(cnn, levels=4, calibration=torch.randn(8, 4))
        >>> type(q[1]).__name__
        'QuantAct'
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(levels, int) or levels < 1:
        raise ValueError(f"levels must be an int >= 1, got {levels!r}")
    if not isinstance(neg_levels, int) or neg_levels < 0:
        raise ValueError(f"neg_levels must be an int >= 0, got {neg_levels!r}")
    was_training = model.training
    model.eval()
    folded = fold_batchnorm(model)
    model.train(was_training)
    if not isinstance(folded, nn.Sequential):
        folded = nn.Sequential(folded)
    qnet = _quantize(folded, "", levels, neg_levels)
    if calibration is not None:
        calibrate(qnet, calibration)
    return qnet.eval()


def _convert(module: nn.Module, name: str) -> nn.Module | None:
    if isinstance(module, nn.Sequential):
        parts = [
            _convert(child, f"{name}.{key}" if name else key)
            for key, child in module.named_children()
        ]
        return SpikingSequential(*(p for p in parts if p is not None))
    if isinstance(module, Residual):
        body = _convert(module.body, f"{name}.body") or SpikingSequential()
        skip = _convert(module.shortcut, f"{name}.shortcut") or SpikingSequential()
        return SpikingResidual(body, skip)
    if isinstance(module, QuantAct):
        if not bool(module.initialized):
            raise ValueError(
                f"layer {name!r} (QuantAct) has an uninitialised step: calibrate the QCNN first "
                "(pass calibration= or run a batch through it)"
            )
        return BIF(v_threshold=module.step.detach(), s_min=module.s_min, s_max=module.s_max)
    if isinstance(module, _SYNAPSES):
        return SynapticLayer(module)
    if isinstance(module, _LINEAR_STATELESS):
        _check_flatten(module, name)
        return SeqToBatch(copy.deepcopy(module))
    if isinstance(module, _PASS):
        return None
    if isinstance(module, nn.ReLU | nn.Hardtanh):
        raise ValueError(
            f"layer {name!r} ({type(module).__name__}) is a float activation: quantize the "
            "network first (quantize_cnn) or use cnn_morph"
        )
    raise _unsupported(module, name or "<model>", "CNN-Morph conversion")


def _leaves(seq: SpikingSequential) -> list[nn.Module]:
    out: list[nn.Module] = []
    for m in seq:
        out += _leaves(m) if isinstance(m, SpikingSequential) else [m]
    return out


@torch.no_grad()
def _fold_thresholds(net: SpikingSequential) -> None:
    theta: torch.Tensor | None = None
    for m in _leaves(net):
        if isinstance(m, SpikingResidual):
            raise ValueError("unit_spikes=True supports plain chains only, not Residual blocks")
        if isinstance(m, BIF):
            if theta is not None:
                raise ValueError("unit_spikes=True needs a Linear/Conv layer between BIF layers")
            m.weighted = False
            theta = m.v_threshold
        elif isinstance(m, SynapticLayer) and theta is not None:
            m.layer.weight.mul_(theta.to(m.layer.weight))
            theta = None
    if theta is not None:
        raise ValueError("unit_spikes=True needs a Linear/Conv layer after the last BIF layer")


def convert_cnn(qnet: nn.Module, *, unit_spikes: bool = False) -> BIFSNN:
    """QCNN -> BIFSNN: copy weights, replace each :class:`QuantAct` by a BIF layer.

    Supported layers: ``Linear``, ``Conv1d``, ``Conv2d``, ``QuantAct``, ``AvgPool1d/2d``,
    ``AdaptiveAvgPool1d/2d``, ``Flatten`` (``start_dim=1``), ``Dropout``/``Identity`` (dropped),
    :class:`~spike_convert.layers.Residual` and nested ``nn.Sequential``. BatchNorm must be folded
    first (:func:`quantize_cnn` does it).

    Args:
        qnet: the quantized network (steps initialised).
        unit_spikes: make every BIF emit unit spikes ``{-1, 0, +1}`` and fold its threshold into
            the next Linear/Conv weights (plain chains only). The synapses then see ternary spikes
            (accumulate-only operations); equality with the QCNN holds to float rounding of
            ``W theta`` (bit for bit when thresholds are powers of two).

    Returns:
        The :class:`~spike_convert.snn.BIFSNN` (in evaluation mode, same dtype/device as ``qnet``).

    Raises:
        ValueError: an unsupported or float-activation layer (the message names it), or an
            uninitialised quantizer step.

    Shapes:
        The SNN takes time-major currents ``[T, B, ...]`` (``run`` takes the analog ``[B, ...]``).
    """
    if not isinstance(qnet, nn.Module):
        raise TypeError(f"qnet must be an nn.Module, got {type(qnet).__name__}")
    root = qnet if isinstance(qnet, nn.Sequential) else nn.Sequential(qnet)
    net = _convert(root, "")
    assert isinstance(net, SpikingSequential)
    if unit_spikes:
        _fold_thresholds(net)
    return BIFSNN(net).eval()


def cnn_morph(
    model: nn.Module,
    *,
    levels: int = 8,
    calibration: torch.Tensor | None = None,
) -> BIFSNN:
    """CNN-Morph in one call: a float CNN or a QCNN in, the exact BIF spiking network out.

    A model that already holds :class:`QuantAct` layers and no float ReLU is converted as is;
    otherwise it is quantized first (:func:`quantize_cnn`, steps from ``calibration``). For the
    best accuracy quantize, fine-tune, then call :func:`convert_cnn`.

    Args:
        model: float CNN or QCNN.
        levels: ``L`` for the quantizers inserted into a float model.
        calibration: input batch ``[B, ...]`` initialising the inserted quantizers' steps.

    Returns:
        The :class:`~spike_convert.snn.BIFSNN`.

    Raises:
        ValueError: unsupported layer (named), or a float model without ``calibration``.

    Shapes:
        As :func:`convert_cnn`.
    """
    has_float_act = any(isinstance(m, nn.ReLU | nn.Hardtanh) for m in model.modules())
    if has_float_act:
        if calibration is None:
            raise ValueError("calibration must be given to quantize a float model")
        model = quantize_cnn(model, levels=levels, calibration=calibration)
    return convert_cnn(model)
