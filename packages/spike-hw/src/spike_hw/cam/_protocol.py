"""Operations (learn, recall) as IN spike rasters and output decoding (spec §4.5-4.6)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "CAMOperation",
    "decode_output",
    "flag_map_protocol",
    "functional_protocol",
    "learn",
    "operations_to_spikes",
    "recall_content",
    "recall_cue",
    "stress_protocol",
]


@dataclass(frozen=True)
class CAMOperation:
    """One CAM operation.

    Attributes:
        t: start step.
        kind: ``"learn"``, ``"recall_cue"`` or ``"recall_content"``.
        cue: the cue index (``None`` for recall by content).
        content: content neuron indices (empty for recall by cue).
    """

    t: int
    kind: str
    cue: int | None = None
    content: tuple[int, ...] = ()


def learn(t: int, cue: int, content: Iterable[int]) -> CAMOperation:
    """A learn operation (cue and content together for 3 steps).

    Args:
        t: start step.
        cue: cue index.
        content: content bit indices.

    Returns:
        The operation.
    """
    return CAMOperation(t, "learn", cue, tuple(content))


def recall_cue(t: int, cue: int) -> CAMOperation:
    """A recall by cue (one spike).

    Args:
        t: start step.
        cue: cue index.

    Returns:
        The operation.
    """
    return CAMOperation(t, "recall_cue", cue)


def recall_content(t: int, content: Iterable[int]) -> CAMOperation:
    """A recall by content (one spike on each fragment neuron).

    Args:
        t: start step.
        content: the fragment's content bit indices.

    Returns:
        The operation.
    """
    return CAMOperation(t, "recall_content", None, tuple(content))


def operations_to_spikes(
    ops: Sequence[CAMOperation],
    *,
    cue_size: int,
    content_size: int,
    steps: int,
    learn_steps: int = 3,
) -> torch.Tensor:
    """IN spike raster of a protocol.

    Args:
        ops: the operations.
        cue_size: number of cues ``c``.
        content_size: number of content bits ``m``.
        steps: raster length ``T``.
        learn_steps: consecutive steps a learn operation holds its spikes.

    Returns:
        ``[T, c + m]`` float64 0/1 raster (time-major): cue ``i`` is column ``i``, content bit
        ``j`` column ``c + j``.

    Raises:
        ValueError: for an unknown kind, an index out of range or a time outside ``[0, T)``.
    """
    x = torch.zeros(steps, cue_size + content_size, dtype=torch.float64)
    for op in ops:
        if op.kind not in ("learn", "recall_cue", "recall_content"):
            raise ValueError(f"unknown operation kind {op.kind!r}")
        hold = learn_steps if op.kind == "learn" else 1
        if not (op.t >= 0 and op.t + hold <= steps):
            raise ValueError(f"operation at t={op.t} does not fit in steps={steps}")
        cols = []
        if op.kind != "recall_content":
            if op.cue is None or not 0 <= op.cue < cue_size:
                raise ValueError(f"cue must be in [0, {cue_size}), got {op.cue!r}")
            cols.append(op.cue)
        if op.kind != "recall_cue":
            for j in op.content:
                if not 0 <= j < content_size:
                    raise ValueError(f"content bit must be in [0, {content_size}), got {j!r}")
                cols.append(cue_size + j)
        x[op.t : op.t + hold, cols] = 1.0
    return x


def decode_output(
    out: torch.Tensor, *, cue_size: int, start: int, stop: int
) -> tuple[set[int], set[int]]:
    """Cue and content sets the OUT population shows in a window.

    Args:
        out: ``[T, c + m]`` OUT raster (time-major).
        cue_size: number of cues ``c``.
        start: first step of the window.
        stop: one past the last step.

    Returns:
        ``(cues, content bits)`` that spiked in ``[start, stop)``.
    """
    active = out[start:stop].any(0)
    idx = torch.nonzero(active).flatten().tolist()
    return {i for i in idx if i < cue_size}, {i - cue_size for i in idx if i >= cue_size}


def functional_protocol() -> tuple[list[CAMOperation], int]:
    """The functional test of §4.6.1 (c = 5, m = 10): ``(operations, steps)``."""
    ops = [
        learn(0, 0, (0, 1, 8, 9)),
        learn(10, 4, (1, 5, 6)),
        learn(20, 3, (4, 5, 6, 8)),
        recall_cue(30, 0),
        recall_content(40, (6,)),
        recall_content(50, (0, 4)),
        learn(60, 3, (1, 3, 4, 8)),
        recall_cue(70, 3),
        recall_content(80, (6,)),
    ]
    return ops, 90


def _bits(value: int, width: int) -> tuple[int, ...]:
    return tuple(j for j in range(width) if value >> j & 1)


def stress_protocol(
    *, cue_size: int = 5, content_size: int = 10, spacing: int = 14, passes: int = 3
) -> tuple[list[CAMOperation], int]:
    """The "pyramidal sequence, content addressable" stress test of §4.6.2.

    Pass ``k`` learns cue ``i`` with ``binary(i + 1)`` (complemented on odd passes), then recalls
    every cue and every content neuron in order.

    Args:
        cue_size: ``c``.
        content_size: ``m``.
        spacing: steps per operation.
        passes: learning passes (3 in the spec: 60 operations).

    Returns:
        ``(operations, steps)``; the first operation starts at ``t = 1``.
    """
    ops: list[CAMOperation] = []
    full = (1 << content_size) - 1
    t = 1
    for k in range(passes):
        for i in range(cue_size):
            value = i + 1 if k % 2 == 0 else full - (i + 1)
            ops.append(learn(t, i, _bits(value, content_size)))
            t += spacing
        for i in range(cue_size):
            ops.append(recall_cue(t, i))
            t += spacing
        for j in range(content_size):
            ops.append(recall_content(t, (j,)))
            t += spacing
    return ops, t + 2


FLAG_MAP = (0, 5, 1, 3, 0, 3, 4, 5, 0, 5, 4, 3, 2, 4, 4, 3)


def flag_map_protocol() -> tuple[list[CAMOperation], int]:
    """The flag-based state map of §4.6.3 (c = 16 cells, m = 6 states): ``(ops, steps)``."""
    ops = [learn(7 * i, i, (state,)) for i, state in enumerate(FLAG_MAP)]
    ops += [
        recall_content(112, (1, 2, 4)),
        recall_content(118, (3,)),
        recall_content(124, (5,)),
        recall_content(130, (0,)),
    ]
    return ops, 140
