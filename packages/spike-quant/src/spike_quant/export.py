"""Integer export of a quantized feed-forward network, and its integer-arithmetic forward.

:func:`export_integer` walks an ``nn.Sequential`` (``SeqToBatch`` wrappers and nested
sequentials are unwrapped) of quantized layers, eval-mode BatchNorm, stateless integer neurons
and flattens, and returns a plain dict::

    {"format": "spike-quant-int", "version": 1, "input_scale": float,
     "layers": [
        {"kind": "linear" | "conv1d" | "conv2d", "name", "weight": int32 codes, "bits",
         "scale": float64 [C_out] (LSQ steps), "bias": float64 [C_out] or None,
         "stride", "padding", "dilation", "groups"},
        {"kind": "batchnorm", "name", "mean", "var", "weight", "bias" (float64 [C]), "eps"},
        {"kind": "int_neuron", "name", "levels", "input_scale", "norm", "rounding"},
        {"kind": "flatten", "name"}]}

:func:`integer_forward` runs it on integer inputs (value = code * ``input_scale``). Every layer
computes an exact integer accumulation ``acc = W_int * k`` (int64); scales enter only after it:

* ``arithmetic="exact"`` applies ``acc * (alpha * s_in) + b`` and the BatchNorm in float64. For
  step sizes representable in float32 (any model trained in float32) this equals the
  fake-quantized float64 forward of the model **bit for bit** (every product of codes and steps
  is exact in float64, so summation order does not matter).
* ``arithmetic="fixed"`` is integer-only: per output channel ``M = s_neuron * alpha * s_in * g``
  and ``B`` (bias and BatchNorm folded, ``g = gamma / sqrt(var + eps)``) become
  ``m_q = round(M 2^F)``, ``b_q = round(B 2^F)``, the membrane is ``u_q = acc m_q + b_q`` and the
  count is ``clip(round(u_q / 2^F), 0, D)`` by shifts (half up or half to even). This is the
  arithmetic of a digital core and of spike-hw's event-driven backend; it agrees with ``exact``
  except where ``u`` lies within ``|acc| 2^-F`` of a rounding boundary.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from spike_core import IntLIF, SeqToBatch
from spike_core._validation import check_tensor
from spike_quant.layers import QConv1d, QConv2d, QLinear, QuantizedLayer

__all__ = ["export_integer", "fixed_point_params", "integer_forward", "round_shift"]

_FORMAT = "spike-quant-int"


def _leaves(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    if isinstance(module, SeqToBatch):
        return _leaves(module.module, prefix)
    if isinstance(module, nn.Sequential):
        out = []
        for name, child in module.named_children():
            out.extend(_leaves(child, f"{prefix}.{name}" if prefix else name))
        return out
    return [(prefix, module)]


def _conv_meta(m: nn.Module) -> dict[str, Any]:
    return {
        "stride": list(m.stride),  # type: ignore[arg-type]
        "padding": list(m.padding),  # type: ignore[arg-type]
        "dilation": list(m.dilation),  # type: ignore[arg-type]
        "groups": int(m.groups),  # type: ignore[arg-type]
    }


@torch.no_grad()
def export_integer(model: nn.Module, *, input_scale: float = 1.0) -> dict[str, Any]:
    """Export a quantized feed-forward network as integer codes plus scales (module docstring).

    Args:
        model: an ``nn.Sequential`` (possibly nested, ``SeqToBatch``-wrapped) of ``QLinear``,
            ``QConv1d``, ``QConv2d``, ``BatchNorm1d/2d`` (running statistics are used),
            stateless ``IntLIF`` neurons (IE-LIF, MultiSpike, ``beta = 0``), ``Flatten``,
            ``Identity`` and ``Dropout``.
        input_scale: real value of one input code (``x = x_int * input_scale``).

    Returns:
        A plain dict of int32/float64 tensors, numbers and strings.

    Raises:
        TypeError: for a layer outside the list above (named in the message).
        ValueError: for a leaky integer neuron (``beta > 0``), a bad step size or input_scale.
    """
    if not input_scale > 0:
        raise ValueError(f"input_scale must be > 0, got {input_scale!r}")
    layers: list[dict[str, Any]] = []
    for name, m in _leaves(model, ""):
        if isinstance(m, QuantizedLayer):
            if not isinstance(m, QLinear | QConv1d | QConv2d):
                raise TypeError(f"layer {name!r}: {type(m).__name__} has no integer export")
            m.weight_quant.check_step()
            kind = {QLinear: "linear", QConv1d: "conv1d", QConv2d: "conv2d"}[type(m)]
            entry: dict[str, Any] = {
                "kind": kind,
                "name": name,
                "weight": m.integer_weight().to(torch.int32).cpu(),
                "bits": m.w_bits,
                "scale": m.weight_scale().double().cpu(),
                "bias": None if m.bias is None else m.bias.detach().double().cpu(),
            }
            if kind != "linear":
                entry.update(_conv_meta(m))
            layers.append(entry)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            if m.running_mean is None or m.running_var is None:
                raise ValueError(f"layer {name!r}: BatchNorm without running statistics")
            c = m.num_features
            layers.append(
                {
                    "kind": "batchnorm",
                    "name": name,
                    "mean": m.running_mean.double().cpu(),
                    "var": m.running_var.double().cpu(),
                    "weight": (m.weight if m.affine else torch.ones(c)).detach().double().cpu(),
                    "bias": (m.bias if m.affine else torch.zeros(c)).detach().double().cpu(),
                    "eps": float(m.eps),
                }
            )
        elif isinstance(m, IntLIF):
            if m.beta != 0.0:
                raise ValueError(f"layer {name!r}: only stateless integer neurons (beta=0) export")
            layers.append(
                {
                    "kind": "int_neuron",
                    "name": name,
                    "levels": m.levels,
                    "input_scale": m.input_scale,
                    "norm": m.norm,
                    "rounding": m.rounding,
                }
            )
        elif isinstance(m, nn.Flatten):
            layers.append({"kind": "flatten", "name": name})
        elif isinstance(m, nn.Identity | nn.Dropout):
            continue
        else:
            raise TypeError(
                f"layer {name!r}: {type(m).__name__} is not supported by export_integer "
                "(QLinear, QConv1d, QConv2d, BatchNorm, stateless IntLIF, Flatten)"
            )
    return {"format": _FORMAT, "version": 1, "input_scale": float(input_scale), "layers": layers}


def check_export(export: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate an export dict's header and return its layer list.

    Raises:
        ValueError: if the dict is not a spike-quant integer export.
    """
    if not isinstance(export, dict) or export.get("format") != _FORMAT:
        raise ValueError("export must be a dict produced by spike_quant.export_integer")
    layers = export.get("layers")
    if not isinstance(layers, list):
        raise ValueError("export['layers'] must be a list")
    return layers


def accumulate(layer: dict[str, Any], k: torch.Tensor) -> torch.Tensor:
    """Exact integer accumulation ``W_int * k`` (int64) of one linear/conv layer.

    Args:
        layer: a linear/conv entry of an export.
        k: int64 input codes ``[N, in]`` / ``[N, C, L]`` / ``[N, C, H, W]``.

    Returns:
        int64 accumulator ``[N, out, ...]``.
    """
    w = layer["weight"].to(torch.float64)
    x = k.to(torch.float64)  # integers below 2^53: float64 arithmetic is exact here
    if layer["kind"] == "linear":
        y = x @ w.T
    else:
        conv = F.conv1d if layer["kind"] == "conv1d" else F.conv2d
        y = conv(
            x,
            w,
            None,
            layer["stride"],
            layer["padding"],
            layer["dilation"],
            layer["groups"],
        )
    return torch.round(y).to(torch.int64)


def _channel_view(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return t.view(1, -1, *([1] * (like.dim() - 2)))


def round_shift(u: torch.Tensor, frac_bits: int, rounding: str) -> torch.Tensor:
    """``round(u / 2^F)`` on int64 by shifts: ``"half_up"`` or ``"half_even"``.

    Args:
        u: int64 tensor (fixed point with ``frac_bits`` fractional bits).
        frac_bits: ``F`` (>= 1).
        rounding: ``"half_up"`` or ``"half_even"``.

    Returns:
        int64 tensor shaped like ``u``.
    """
    half = 1 << (frac_bits - 1)
    if rounding == "half_up":
        return (u + half) >> frac_bits
    q = u >> frac_bits
    r = u - (q << frac_bits)
    up = (r > half) | ((r == half) & (q % 2 == 1))
    return q + up.to(torch.int64)


def fixed_point_params(
    layers: list[dict[str, Any]], index: int, s_in: float, frac_bits: int
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Integer multiplier, bias and index of the consumer for the synapse layer at ``index``.

    Folds the layer's steps and bias, an optional following BatchNorm and the input scale of an
    optional following integer neuron into ``(m_q [C], b_q [C])`` at ``frac_bits`` fractional
    bits.

    Returns:
        ``(m_q, b_q, next_index)`` where ``next_index`` is the first layer after the folded ones.
    """
    layer = layers[index]
    mult = layer["scale"] * s_in
    bias = layer["bias"] if layer["bias"] is not None else torch.zeros_like(mult)
    j = index + 1
    if j < len(layers) and layers[j]["kind"] == "batchnorm":
        bn = layers[j]
        g = bn["weight"] / torch.sqrt(bn["var"] + bn["eps"])
        mult, bias = mult * g, (bias - bn["mean"]) * g + bn["bias"]
        j += 1
    if j < len(layers) and layers[j]["kind"] == "int_neuron":
        mult, bias = mult * layers[j]["input_scale"], bias * layers[j]["input_scale"]
    scale = float(2**frac_bits)
    return (
        torch.round(mult * scale).to(torch.int64),
        torch.round(bias * scale).to(torch.int64),
        j,
    )


@torch.no_grad()
def integer_forward(
    export: dict[str, Any],
    x: torch.Tensor,
    *,
    arithmetic: str = "exact",
    frac_bits: int = 24,
) -> dict[str, Any]:
    """Run an integer export on integer inputs.

    Args:
        export: the dict of :func:`export_integer`.
        x: integer-valued input codes, time-major ``[T, B, ...]`` (any dtype).
        arithmetic: ``"exact"`` (float64 scales after integer accumulation) or ``"fixed"``
            (integer-only requantization with ``frac_bits`` fractional bits).
        frac_bits: ``F`` for ``"fixed"`` (8..40).

    Returns:
        ``{"output": float64 [T, B, ...] (the last layer's real value), "counts": [int64 spike
        counts [T, B, ...] of every integer neuron, in order], "accumulators": [int64 per
        synapse layer]}``.

    Raises:
        ValueError: for a malformed export, non-integer input or a bad ``arithmetic``.
    """
    layers = check_export(export)
    check_tensor(x, "x")
    if arithmetic not in ("exact", "fixed"):
        raise ValueError(f"arithmetic must be 'exact' or 'fixed', got {arithmetic!r}")
    if not isinstance(frac_bits, int) or not 8 <= frac_bits <= 40:
        raise ValueError(f"frac_bits must be an int in [8, 40], got {frac_bits!r}")
    if x.dim() < 2:
        raise ValueError(f"x must be time-major [T, B, ...], got shape {tuple(x.shape)}")
    if x.is_floating_point() and bool((x != torch.round(x)).any()):
        raise ValueError("x must hold integer codes")
    T = x.shape[0]
    k = x.flatten(0, 1).to(torch.int64)
    s_in = float(export["input_scale"])
    value: torch.Tensor | None = None  # real-valued activations (float64) when not integer
    counts: list[torch.Tensor] = []
    accs: list[torch.Tensor] = []
    i = 0
    while i < len(layers):
        layer = layers[i]
        kind = layer["kind"]
        if kind in ("linear", "conv1d", "conv2d"):
            if value is not None:
                raise ValueError(f"layer {layer['name']!r} receives non-integer input")
            acc = accumulate(layer, k)
            accs.append(acc.unflatten(0, (T, -1)))
            if arithmetic == "fixed":
                m_q, b_q, j = fixed_point_params(layers, i, s_in, frac_bits)
                u_q = acc * _channel_view(m_q, acc) + _channel_view(b_q, acc)
                if j < len(layers) and layers[j]["kind"] == "int_neuron":
                    nrn = layers[j]
                    k = round_shift(u_q, frac_bits, nrn["rounding"]).clamp(0, nrn["levels"])
                    counts.append(k.unflatten(0, (T, -1)))
                    s_in = 1.0 / nrn["norm"]
                    i = j + 1
                else:
                    value = u_q.to(torch.float64) / 2**frac_bits
                    i = j
                continue
            y = acc.to(torch.float64) * _channel_view(layer["scale"] * s_in, acc)
            if layer["bias"] is not None:
                y = y + _channel_view(layer["bias"], acc)
            value = y
        elif kind == "batchnorm":
            if value is None:
                raise ValueError(f"layer {layer['name']!r}: BatchNorm must follow a synapse layer")
            value = F.batch_norm(
                value,
                layer["mean"],
                layer["var"],
                layer["weight"],
                layer["bias"],
                False,
                0.0,
                layer["eps"],
            )
        elif kind == "int_neuron":
            if value is None:
                raise ValueError(f"layer {layer['name']!r}: neuron must follow a synapse layer")
            u = layer["input_scale"] * value
            c = u.clamp(0, layer["levels"])
            k = torch.round(c) if layer["rounding"] == "half_even" else torch.floor(c + 0.5)
            k = k.to(torch.int64)
            counts.append(k.unflatten(0, (T, -1)))
            s_in, value = 1.0 / layer["norm"], None
        elif kind == "flatten":
            if value is None:
                k = k.flatten(1)
            else:
                value = value.flatten(1)
        else:
            raise ValueError(f"unknown layer kind {kind!r} in export")
        i += 1
    out = value if value is not None else k.to(torch.float64) * s_in
    return {"output": out.unflatten(0, (T, -1)), "counts": counts, "accumulators": accs}
