"""The three §4.6 experiments as one call: recalled sets against the expected ones."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import torch

from spike_hw.cam._network import CAMConfig
from spike_hw.cam._protocol import (
    CAMOperation,
    decode_output,
    flag_map_protocol,
    functional_protocol,
    operations_to_spikes,
    stress_protocol,
)
from spike_hw.cam._simulator import CAMSimulator

__all__ = ["EXPERIMENTS", "run_experiment"]

EXPERIMENTS = ("functional", "stress", "flag-map")

_FUNCTIONAL = {
    30: ({0}, {0, 1, 8, 9}),
    40: ({3, 4}, {6}),
    50: ({0, 3}, {0, 4}),
    70: ({3}, {1, 3, 4, 8}),
    80: ({4}, {6}),
}
_FLAG_MAP = [{2, 6, 10, 12, 13, 14}, {3, 5, 11, 15}, {1, 7, 9}, {0, 4, 8}]
# output window per recall, relative to the operation's start step
_WINDOWS = {"functional": (0, 10), "stress": (0, 14), "flag-map": (3, 9)}


def experiment_setup(
    name: str, config: CAMConfig | None = None
) -> tuple[CAMConfig, list[CAMOperation], torch.Tensor]:
    """The configuration, operations and IN raster of one §4.6 experiment.

    Args:
        name: ``"functional"``, ``"stress"`` or ``"flag-map"``.
        config: a :class:`CAMConfig` (its sizes are replaced by the experiment's).

    Returns:
        ``(config, operations, [T, c + m] IN raster)`` (time-major).

    Raises:
        ValueError: for an unknown experiment name.
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {EXPERIMENTS}, got {name!r}")
    base = config if config is not None else CAMConfig()
    c, m = (16, 6) if name == "flag-map" else (5, 10)
    cfg = dataclasses.replace(base, cue_size=c, content_size=m)
    if name == "functional":
        ops, steps = functional_protocol()
    elif name == "stress":
        ops, steps = stress_protocol(cue_size=c, content_size=m)
    else:
        ops, steps = flag_map_protocol()
    return cfg, ops, operations_to_spikes(ops, cue_size=c, content_size=m, steps=steps)


def compare_recalls(
    name: str, ops: list[CAMOperation], out: torch.Tensor, *, cue_size: int, latency: int = 0
) -> list[dict[str, Any]]:
    """Decode every recall of an experiment from the OUT raster and compare with the expected.

    Args:
        name: the experiment.
        ops: its operations.
        out: ``[T, c + m]`` OUT raster (time-major).
        cue_size: ``c``.
        latency: steps the output windows are shifted by (a simulator whose synapses act one
            step later per hop shows the same outputs later).

    Returns:
        One dict per recall (see :func:`run_experiment`).
    """
    lo, hi = _WINDOWS[name]
    memory: dict[int, set[int]] = {}
    rows: list[dict[str, Any]] = []
    queries = 0
    for op in ops:
        if op.kind == "learn":
            memory[cast(int, op.cue)] = set(op.content)
            continue
        start = op.t + lo + latency
        cues, content = decode_output(out, cue_size=cue_size, start=start, stop=start + hi - lo)
        exp_content: set[int] | None
        if name == "functional":
            exp_cues, exp_content = _FUNCTIONAL[op.t]
        elif name == "stress":
            if op.kind == "recall_cue":
                cue = cast(int, op.cue)
                exp_cues, exp_content = {cue}, memory[cue]
            else:
                exp_cues = {i for i, bits in memory.items() if op.content[0] in bits}
                exp_content = set(op.content)
        else:
            exp_cues, exp_content = _FLAG_MAP[queries], None
        queries += 1
        ok = cues == exp_cues and (exp_content is None or content == exp_content)
        rows.append(
            {
                "t": op.t,
                "kind": op.kind,
                "query": op.cue if op.kind == "recall_cue" else tuple(op.content),
                "cues": sorted(cues),
                "content": sorted(content),
                "expected_cues": sorted(exp_cues),
                "expected_content": None if exp_content is None else sorted(exp_content),
                "ok": ok,
            }
        )
    return rows


def run_experiment(name: str, config: CAMConfig | None = None) -> list[dict[str, Any]]:
    """Run one experiment of §4.6 and compare every recall with its expected output.

    Args:
        name: ``"functional"`` (§4.6.1), ``"stress"`` (§4.6.2) or ``"flag-map"`` (§4.6.3).
        config: a :class:`CAMConfig` (its sizes are replaced by the experiment's).

    Returns:
        One dict per recall: ``t``, ``kind``, ``query`` (cue or content bits), ``cues`` and
        ``content`` recalled, ``expected_cues``, ``expected_content`` (``None`` when not
        checked) and ``ok``.

    Raises:
        ValueError: for an unknown experiment name.
    """
    cfg, ops, x = experiment_setup(name, config)
    out = CAMSimulator(config=cfg).run(x)["OUT"]
    return compare_recalls(name, ops, out, cue_size=cfg.cue_size)
