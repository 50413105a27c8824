"""``quantize``: swap the float layers of any model for LSQ-quantized twins, in place.

``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d`` and ``nn.Conv3d`` become :class:`~spike_quant.QLinear`
and ``QConvNd`` holding the same weights (step sizes initialised from them); every other module
is kept. Optionally the binary spiking neurons of spike-core (LIF, PLIF, IF, CuBa-LIF, ALIF) are
replaced by stateless integer neurons (IE-LIF or MultiSpike), which is how a Meta-SpikeFormer
becomes a QSD-Transformer backbone. Layers that carry weights but have no quantized twin
(transposed convolutions, embeddings, recurrent layers, ``nn.MultiheadAttention``, ...) raise a
``TypeError`` naming the layer, unless listed in ``skip``.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from spike_core import ALIF, IF, LIF, PLIF, CubaLIF
from spike_quant.layers import QConv1d, QConv2d, QConv3d, QLinear, QuantizedLayer
from spike_quant.lsq import lsq_range
from spike_quant.neurons import IELIF, MultiSpike

__all__ = ["quantize", "quantized_layers"]

_CONVS: dict[type, type] = {nn.Conv1d: QConv1d, nn.Conv2d: QConv2d, nn.Conv3d: QConv3d}
_UNSUPPORTED = (
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
    nn.Embedding,
    nn.EmbeddingBag,
    nn.RNNBase,
    nn.MultiheadAttention,
    nn.Bilinear,
)
_BINARY_NEURONS = (LIF, PLIF, IF, CubaLIF, ALIF)
_NEURONS = {"ie_lif": IELIF, "multispike": MultiSpike}


def _swap(module: nn.Module, *, bits: int, per_channel: bool, act_params: bool) -> nn.Module | None:
    if type(module) is not nn.Linear and type(module) not in _CONVS:
        return None
    q: dict[str, Any] = {"w_bits": bits, "per_channel": per_channel, "act_params": act_params}
    weight = cast(torch.Tensor, module.weight)
    bias = cast("torch.Tensor | None", module.bias)
    dev, dtype = weight.device, weight.dtype
    new: QuantizedLayer
    if type(module) is nn.Linear:
        lin = cast(nn.Linear, module)
        new = QLinear(
            in_features=lin.in_features,
            out_features=lin.out_features,
            bias=bias is not None,
            device=dev,
            dtype=dtype,
            **q,
        )
    elif type(module) in _CONVS:
        m = cast(nn.Conv1d | nn.Conv2d | nn.Conv3d, module)
        if m.padding_mode != "zeros":
            raise TypeError(f"padding_mode={m.padding_mode!r} is not supported (only 'zeros')")
        new = _CONVS[type(m)](
            in_channels=m.in_channels,
            out_channels=m.out_channels,
            kernel_size=m.kernel_size,
            stride=m.stride,
            padding=m.padding,
            dilation=m.dilation,
            groups=m.groups,
            bias=bias is not None,
            device=dev,
            dtype=dtype,
            **q,
        )
    else:
        return None
    with torch.no_grad():
        new.weight.copy_(weight)
        new_bias = cast("torch.Tensor | None", new.bias)
        if bias is not None and new_bias is not None:
            new_bias.copy_(bias)
        new.weight_quant.initialize(new.weight)
    new.train(module.training)
    return new


def _ancestors(model: nn.Module, name: str) -> list[nn.Module]:
    parts = name.split(".") if name else []
    out, mod = [], model
    for part in parts[:-1]:
        mod = getattr(mod, part)
        out.append(mod)
    return out


def quantize(
    model: nn.Module,
    *,
    bits: int = 4,
    per_channel: bool = True,
    act_params: bool = False,
    neurons: str | None = None,
    levels: int = 4,
    skip: tuple[str, ...] = (),
) -> nn.Module:
    """Quantize every linear/conv layer of ``model`` in place and return it.

    Args:
        model: any module (a bare ``nn.Linear``/``nn.Conv*`` is returned as its quantized twin).
        bits: weight bits in ``[2, 16]`` (signed LSQ codes; 1 bit has no signed code).
        per_channel: one step size per output channel (QSD) or one per tensor.
        act_params: add QSD's dead activation-quantizer parameters to every quantized layer.
        neurons: ``None`` keeps neurons; ``"ie_lif"`` or ``"multispike"`` replaces every binary
            spike-core neuron (LIF, PLIF, IF, CuBa-LIF, ALIF) by that stateless integer neuron.
        levels: ``D`` of the integer neurons.
        skip: qualified module names (as in ``named_modules``) to leave in float.

    Returns:
        The transformed model (same object unless ``model`` itself was swapped).

    Raises:
        ValueError: for ``bits`` outside ``[2, 16]`` or an unknown ``neurons`` name.
        TypeError: for a layer with weights and no quantized twin (named in the message).

    Examples:
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> net = quantize(net, bits=4)
        >>> type(net[0]).__name__, net[0].w_bits
        ('QLinear', 4)
    """
    lsq_range(bits, signed=True)
    if neurons is not None and neurons not in _NEURONS:
        raise ValueError(f"neurons must be None or one of {sorted(_NEURONS)}, got {neurons!r}")
    skip_set = set(skip)

    def skipped(name: str) -> bool:
        return any(name == s or name.startswith(s + ".") for s in skip_set)

    for name, mod in model.named_modules():
        if skipped(name) or isinstance(mod, QuantizedLayer):
            continue
        if any(isinstance(p, QuantizedLayer) for p in _ancestors(model, name)):
            continue
        if isinstance(mod, _UNSUPPORTED) or (
            isinstance(mod, nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d)
            and type(mod) not in (nn.Linear, *_CONVS)
        ):
            where = name or "<model>"
            raise TypeError(
                f"quantize: layer {where!r} of type {type(mod).__name__} is not supported "
                "(supported: Linear, Conv1d, Conv2d, Conv3d); pass skip=({where!r},) to keep it float"
            )

    def visit(parent: nn.Module, prefix: str) -> None:
        for child_name, child in list(parent.named_children()):
            full = f"{prefix}.{child_name}" if prefix else child_name
            if full in skip_set:
                continue
            new = None
            if not isinstance(child, QuantizedLayer):
                new = _swap(child, bits=bits, per_channel=per_channel, act_params=act_params)
            if new is None and neurons is not None and isinstance(child, _BINARY_NEURONS):
                new = _NEURONS[neurons](levels=levels)
            if new is not None:
                setattr(parent, child_name, new)
            else:
                visit(child, full)

    root = _swap(model, bits=bits, per_channel=per_channel, act_params=act_params)
    if root is not None:
        return root
    visit(model, "")
    return model


def quantized_layers(model: nn.Module) -> list[tuple[str, QuantizedLayer]]:
    """Every quantized layer of ``model`` with its qualified name, in module order.

    Args:
        model: any module.

    Returns:
        ``[(name, layer), ...]``.
    """
    return [(n, m) for n, m in model.named_modules() if isinstance(m, QuantizedLayer)]
