"""The three §4.6 experiments as one call: recalled sets against the expected ones."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from spike_hw.cam._network import CAMConfig
from spike_hw.cam._protocol import (
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
    out = CAMSimulator(config=cfg).run(
        operations_to_spikes(ops, cue_size=c, content_size=m, steps=steps)
    )["OUT"]
    memory: dict[int, set[int]] = {}
    rows: list[dict[str, Any]] = []
    queries = 0
    for op in ops:
        if op.kind == "learn":
            memory[cast(int, op.cue)] = set(op.content)
            continue
        if name == "functional":
            cues, content = decode_output(out, cue_size=c, start=op.t, stop=op.t + 10)
            exp_cues, exp_content = _FUNCTIONAL[op.t]
        elif name == "stress":
            cues, content = decode_output(out, cue_size=c, start=op.t, stop=op.t + 14)
            if op.kind == "recall_cue":
                cue = cast(int, op.cue)
                exp_cues, exp_content = {cue}, memory[cue]
            else:
                exp_cues = {i for i, bits in memory.items() if op.content[0] in bits}
                exp_content = set(op.content)
        else:
            cues, content = decode_output(out, cue_size=c, start=op.t + 3, stop=op.t + 9)
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
