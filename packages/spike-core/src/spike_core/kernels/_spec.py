"""What a fused kernel needs to know about a neuron: family, integer codes and float parameters.

:func:`describe` turns a spike-core multi-step neuron into a :class:`NeuronSpec`, or ``None`` when
no fused kernel implements it (ALIF, LI, a subclass that overrides the step, a hand-made
surrogate), in which case the backends decline and ``"auto"`` runs the reference loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["SURROGATE_CODES", "NeuronSpec", "describe", "surrogate_constants"]

SURROGATE_CODES = {
    "atan": 0,
    "sigmoid": 1,
    "fast-sigmoid": 2,
    "triangle": 3,
    "rectangular": 4,
    "erf": 5,
}
RESET_CODES = {"hard": 0, "soft": 1, "none": 2}


@dataclass(frozen=True)
class NeuronSpec:
    """A neuron reduced to kernel arguments.

    Args:
        family: ``"lif"`` (LIF, PLIF, IF), ``"cuba"`` or ``"int"``.
        form: LIF charge form (0: ``decay_input``, 1: ``beta`` convention, IF).
        reset: reset code (0 hard, 1 soft, 2 none).
        detach: 1 when the reset is detached.
        sg: surrogate code (:data:`SURROGATE_CODES`).
        floats: ``[k, r, v_leak, v_threshold, v_reset, sg_a, sg_c1, sg_c2, 1, 0, k_syn]`` for the
            LIF family, ``[input_scale, levels, norm, beta, 0.5, 1, 0]`` for the integer LIF.
        decay: PLIF's learned ``dt / tau_mem`` (a 0-d tensor carrying gradient), else ``None``.
        flags: integer-LIF flags ``(half_even, use_norm, use_beta)``.
    """

    family: str
    form: int = 0
    reset: int = 0
    detach: int = 0
    sg: int = 0
    floats: tuple[float, ...] = ()
    decay: torch.Tensor | None = None
    flags: tuple[int, int, int] = (0, 0, 0)


def surrogate_constants(surrogate: Any) -> tuple[int, float, float, float] | None:
    """``(code, a, c1, c2)`` for a built-in surrogate, ``None`` for anything else."""
    from spike_core.surrogate import _TABLE

    name = getattr(surrogate, "name", None)
    if name not in SURROGATE_CODES or surrogate.grad is not _TABLE[name][0]:
        return None
    a = float(surrogate.param)
    c1, c2 = 0.0, 0.0
    if name == "atan":
        c1, c2 = math.pi / 2 * a, a / 2
    elif name == "rectangular":
        c1 = a / 2
    elif name == "erf":
        c1 = a / math.sqrt(math.pi)
    return SURROGATE_CODES[name], a, c1, c2


def describe(neuron: Any) -> NeuronSpec | None:
    """The :class:`NeuronSpec` of ``neuron``, or ``None`` if no fused kernel implements it."""
    from spike_core.neurons.cuba import CubaLIF, _CubaCore
    from spike_core.neurons.if_neuron import IF, _IFCore
    from spike_core.neurons.int_lif import IntLIF, _IntLIFCore
    from spike_core.neurons.lif import LIF, PLIF, _LIFCore

    cls = type(neuron)
    if isinstance(neuron, IntLIF):
        if cls.step is not _IntLIFCore.step:
            return None
        floats: tuple[float, ...] = (
            neuron.input_scale,
            float(neuron.levels),
            neuron.norm,
            neuron.beta,
            0.5,
            1.0,
            0.0,
        )
        flags = (
            int(neuron.rounding == "half_even"),
            int(neuron.norm != 1.0),
            int(neuron.beta != 0),
        )
        return NeuronSpec("int", floats=floats, flags=flags)
    if isinstance(neuron, LIF | PLIF):
        if cls.step is not _LIFCore.step or cls.params is not _LIFCore.params:
            return None
        decay = neuron.decay
        k = 0.0 if isinstance(decay, torch.Tensor) else float(decay)
        family, form = "lif", 0 if neuron.decay_input else 1
        tensor_decay = decay if isinstance(decay, torch.Tensor) else None
        v_leak, ks = neuron.v_leak, 0.0
    elif isinstance(neuron, IF):
        if cls.step is not _IFCore.step or cls.params is not _IFCore.params:
            return None
        family, form, k, tensor_decay, v_leak, ks = "lif", 1, 0.0, None, 0.0, 0.0
    elif isinstance(neuron, CubaLIF):
        if cls.step is not _CubaCore.step or cls.params is not _CubaCore.params:
            return None
        p = neuron.params()
        family, form, k, tensor_decay = "cuba", 0, p.mem_decay, None
        v_leak, ks = p.v_leak, p.syn_decay
    else:
        return None
    sgc = surrogate_constants(neuron.surrogate)
    if sgc is None:
        return None
    code, a, c1, c2 = sgc
    floats = (k, neuron.r, v_leak, neuron.v_threshold, neuron.v_reset, a, c1, c2, 1.0, 0.0, ks)
    return NeuronSpec(
        family,
        form=form,
        reset=RESET_CODES[neuron.reset],
        detach=int(neuron.detach_reset),
        sg=code,
        floats=floats,
        decay=tensor_decay,
    )
