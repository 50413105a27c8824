"""Model size and energy accounting for mixed bit widths (plain numbers, usable by spike-energy).

Paper-style size ("MB" of float32-equivalent parameters)::

    size = sum_p numel(p) * bits(p) / 32 / 1e6

Energy (45 nm, 32-bit figures of Horowitz 2014 used by the spiking-transformer papers)::

    E = E_MAC * FLOPs(first layer) + E_AC * sum_l fr_l * T * D_l * FLOPs_l

where ``D_l`` is the number of virtual steps of an integer-spike input (``levels``, 1 for binary
spikes) and ``fr_l`` the binary firing rate per virtual step. Scaling of the AC energy with the
weight bit width is a parameter (``bit_scaling``): ``"none"`` (default, as the papers count) or
``"linear"`` (``E_AC * bits / 32``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import torch
from torch import nn

from spike_quant.layers import QuantizedLayer

__all__ = [
    "E_AC_PJ",
    "E_MAC_PJ",
    "mixed_bit_energy",
    "model_bytes",
    "model_size_fp32_equiv",
    "quantized_layer_summary",
]

E_MAC_PJ = 4.6
E_AC_PJ = 0.9

_KERNEL_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _kernel_bits(model: nn.Module) -> dict[int, int]:
    """``id(weight) -> bits`` for every conv/linear kernel (32 for float layers)."""
    out: dict[int, int] = {}
    for m in model.modules():
        if isinstance(m, QuantizedLayer):
            out[id(m.weight)] = m.w_bits
        elif isinstance(m, _KERNEL_TYPES):
            out[id(m.weight)] = 32
    return out


def model_size_fp32_equiv(model: nn.Module, *, scope: str = "kernels") -> float:
    """Float32-equivalent parameter count in millions, ``sum numel * bits / 32 / 1e6``.

    Args:
        model: any module (float layers count 32 bits per weight).
        scope: ``"kernels"`` counts conv/linear kernels only (QSD's convention, which reproduces
            its 1.8 / 3.9 / 6.8 sizes); ``"all"`` also counts every other parameter at 32 bits.

    Returns:
        The size in "MB" as the papers report it (millions of fp32-equivalent parameters).

    Raises:
        ValueError: for an unknown ``scope``.
    """
    if scope not in ("kernels", "all"):
        raise ValueError(f"scope must be 'kernels' or 'all', got {scope!r}")
    bits = _kernel_bits(model)
    total = 0.0
    for p in model.parameters():
        if id(p) in bits:
            total += p.numel() * bits[id(p)] / 32
        elif scope == "all":
            total += p.numel()
    return total / 1e6


def model_bytes(model: nn.Module) -> int:
    """True storage in bytes: quantized kernels packed at their bit width, the rest as stored.

    Args:
        model: any module.

    Returns:
        ``sum ceil(numel * bits / 8)`` over quantized kernels plus ``numel * element_size`` over
        every other parameter and buffer.
    """
    q = {id(m.weight): m.w_bits for m in model.modules() if isinstance(m, QuantizedLayer)}
    total = 0
    for p in model.parameters():
        total += -(-p.numel() * q[id(p)] // 8) if id(p) in q else p.numel() * p.element_size()
    for b in model.buffers():
        total += b.numel() * b.element_size()
    return total


def quantized_layer_summary(model: nn.Module, example_input: torch.Tensor) -> list[dict[str, Any]]:
    """Per conv/linear layer: name, weight bits, synaptic operations and input firing rate.

    Runs one forward pass with hooks (``torch.no_grad``). ``flops`` counts multiply-accumulates
    of one sample at one time step (``numel(output) / batch * fan_in``); ``input_rate`` is the
    fraction of non-zero inputs; ``input_mean`` the mean input value (for integer spikes this is
    the mean count divided by the neuron's ``norm``).

    Args:
        model: the network.
        example_input: one input batch (``[T, B, ...]`` for time-major models).

    Returns:
        A list of plain dicts ``{"name", "kind", "weight_bits", "flops", "input_rate",
        "input_mean", "calls"}`` in call order (numbers are Python ints/floats).
    """
    rows: dict[str, dict[str, Any]] = {}
    handles = []

    def hook(name: str, mod: nn.Module):
        def fn(_m: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
            x = inp[0]
            w = cast(torch.Tensor, mod.weight)
            fan_in = w[0].numel() if not isinstance(mod, nn.Linear) else w.shape[1]
            if isinstance(mod, nn.Linear):
                samples = max(out.numel() // out.shape[-1], 1)
                per_sample = out.shape[-1] * fan_in
            else:
                samples = out.shape[0]
                per_sample = out[0].numel() * fan_in
            row = rows.setdefault(
                name,
                {
                    "name": name,
                    "kind": type(mod).__name__,
                    "weight_bits": getattr(mod, "w_bits", 32),
                    "flops": int(per_sample),
                    "input_rate": 0.0,
                    "input_mean": 0.0,
                    "calls": 0,
                    "_samples": 0,
                },
            )
            row["input_rate"] += float((x != 0).float().mean()) * samples
            row["input_mean"] += float(x.float().mean()) * samples
            row["_samples"] += samples
            row["calls"] += 1

        return fn

    for name, mod in model.named_modules():
        if isinstance(mod, _KERNEL_TYPES):
            handles.append(mod.register_forward_hook(hook(name, mod)))
    try:
        with torch.no_grad():
            model(example_input)
    finally:
        for h in handles:
            h.remove()
    out = []
    for row in rows.values():
        n = max(row.pop("_samples"), 1)
        row["input_rate"] /= n
        row["input_mean"] /= n
        out.append(row)
    return out


def mixed_bit_energy(
    layers: Iterable[Mapping[str, Any]],
    *,
    time_steps: int,
    e_mac_pj: float = E_MAC_PJ,
    e_ac_pj: float = E_AC_PJ,
    bit_scaling: str = "none",
    first_layer_mac: bool = True,
) -> dict[str, Any]:
    """Energy in picojoules of one inference for layers with mixed weight bits and spike levels.

    Args:
        layers: dicts with ``"flops"`` (MACs per sample per step), ``"weight_bits"`` (default
            32), ``"firing_rate"`` (binary spikes per input per virtual step) and ``"levels"``
            (virtual steps per real step, 1 for binary spikes); an optional ``"name"``.
        time_steps: real time steps ``T``.
        e_mac_pj: energy of one MAC.
        e_ac_pj: energy of one accumulate (32-bit).
        bit_scaling: ``"none"`` or ``"linear"`` (AC energy times ``weight_bits / 32``).
        first_layer_mac: the first layer receives real-valued input and is charged as MACs.

    Returns:
        ``{"total_pj": float, "mac_pj": float, "ac_pj": float, "layers": [{"name", "energy_pj",
        "ops"}, ...]}`` (plain Python numbers).

    Raises:
        ValueError: for bad ``time_steps``, ``bit_scaling`` or a layer with negative values.
    """
    if not isinstance(time_steps, int) or time_steps < 1:
        raise ValueError(f"time_steps must be a positive int, got {time_steps!r}")
    if bit_scaling not in ("none", "linear"):
        raise ValueError(f"bit_scaling must be 'none' or 'linear', got {bit_scaling!r}")
    mac = ac = 0.0
    rows = []
    for i, layer in enumerate(layers):
        flops = float(layer["flops"])
        bits = int(layer.get("weight_bits", 32))
        rate = float(layer.get("firing_rate", 1.0))
        levels = int(layer.get("levels", 1))
        if flops < 0 or rate < 0 or levels < 1 or not 1 <= bits <= 32:
            raise ValueError(f"layer {i} has invalid flops/firing_rate/levels/weight_bits: {layer}")
        if i == 0 and first_layer_mac:
            ops = flops * time_steps
            e = e_mac_pj * ops
            mac += e
        else:
            ops = rate * time_steps * levels * flops
            scale = bits / 32 if bit_scaling == "linear" else 1.0
            e = e_ac_pj * scale * ops
            ac += e
        rows.append({"name": str(layer.get("name", i)), "energy_pj": e, "ops": ops})
    return {"total_pj": mac + ac, "mac_pj": mac, "ac_pj": ac, "layers": rows}
