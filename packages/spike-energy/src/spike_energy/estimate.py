"""Top-level entry points: ``estimate_energy`` and the energy helpers of the spec."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from spike_energy.counter import Counter
from spike_energy.memory import MemoryModel
from spike_energy.profiles import HardwareProfile
from spike_energy.report import EnergyReport

__all__ = ["energy", "energy_ann", "estimate_energy", "to_mj"]


def estimate_energy(
    model: nn.Module,
    inputs: Any,
    *,
    mode: str = "yao",
    profile: str | HardwareProfile = "45nm",
    T: int | None = None,
    first_layer: str = "once",
    time_major: bool | None = None,
    samples: int | None = None,
    include: Iterable[str] = (),
    memory: MemoryModel | None = None,
) -> EnergyReport:
    """Run ``model`` once on ``inputs`` and report its operations and energy per sample.

    The forward pass runs under ``torch.no_grad`` in the model's current train/eval mode; the
    outputs and the RNG state are those of an uncounted pass.

    Args:
        model: any ``nn.Module``.
        inputs: a tensor, or a tuple of positional arguments for ``model``.
        mode: ``"yao"``, ``"syops"`` or ``"neurobench"`` (see :class:`Counter`).
        profile: hardware profile name (see :func:`list_profiles`) or object.
        T: time steps (default: inferred, see :class:`Counter`).
        first_layer: ``"once"`` or ``"per_step"``.
        time_major: whether the input is ``[T, B, ...]`` (default: inferred from the model).
        samples: per-sample divisor override.
        include: extra costs to count (``"bias"``, ``"norm"``, ``"pool"``, ``"neuron"``).
        memory: optional :class:`MemoryModel`.

    Returns:
        The :class:`EnergyReport`.

    Raises:
        ValueError: when the model's forward fails on ``inputs`` (wrong shape), naming the
            input shape and the model's error.

    Shapes:
        ``inputs``: ``[T, B, ...]`` for time-major (spiking) models, ``[B, ...]`` otherwise.

    Examples:
        >>> from torch import nn
        >>> r = estimate_energy(nn.Linear(8, 3), torch.full((1, 8), 2.0), time_major=False)
        >>> r.acs, r.macs
        (48.0, 0.0)
    """
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    counter = Counter(
        model,
        mode=mode,
        T=T,
        first_layer=first_layer,
        time_major=time_major,
        samples=samples,
        include=include,
    )
    shapes = [tuple(a.shape) for a in args if isinstance(a, torch.Tensor)]
    with counter, torch.no_grad():
        try:
            model(*args)
        except (RuntimeError, IndexError, ValueError) as exc:
            raise ValueError(
                f"forward of {type(model).__name__} failed on inputs of shape "
                f"{shapes if len(shapes) != 1 else shapes[0]}: {exc}"
            ) from exc
    return counter.report(profile, memory=memory)


def energy(report: EnergyReport, e_mac: float = 4.6e-12, e_ac: float = 0.9e-12) -> float:
    """Energy of a report's counts in joules: ``e_mac * MACs + e_ac * ACs``.

    Args:
        report: an :class:`EnergyReport`.
        e_mac: joules per multiply-accumulate.
        e_ac: joules per accumulate.

    Returns:
        Joules per sample.
    """
    return e_mac * report.macs + e_ac * report.acs


def energy_ann(report: EnergyReport, e_mac: float = 4.6e-12) -> float:
    """Energy of the ANN counterpart: ``e_mac * sum_n FL_n`` (every layer dense, one pass).

    Args:
        report: an :class:`EnergyReport` (of the SNN or of the ANN itself).
        e_mac: joules per multiply-accumulate.

    Returns:
        Joules per sample.
    """
    return e_mac * report.fl


def to_mj(joules: float) -> float:
    """Convert joules to millijoules."""
    return joules * 1e3
