"""The Bit Budget view (Shen et al., *Are Conventional SNNs Really Efficient?*, CVPR 2024).

Project definitions derived from the paper's abstract (its exact equations are unconfirmed):

* bit budget per synapse ``BB = b_w * b_s * T`` (weight bits, spike/activation bits, steps);
* compute bit-operations ``BitOps_l = FL_l * b_w * b_s * T`` and the sparsity-aware
  ``BitOps_eff_l = BitOps_l * rho_l`` (``rho_l``: fraction of non-zero inputs);
* storage ``sum_l #weights_l * b_w + sum_l #activations_l * b_s * T`` bits;
* a neuron with ``b_s``-bit spikes over ``T`` steps expresses ``T (2^b_s - 1) + 1`` counts, i.e.
  ``log2(T (2^b_s - 1) + 1)`` equivalent activation bits.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterable
from typing import Any, NamedTuple

from spike_energy._io import si
from spike_energy.records import LayerRecord
from spike_energy.report import EnergyReport

__all__ = [
    "BitBudgetTable",
    "BitSpec",
    "bit_budget",
    "bit_budget_sweep",
    "bitops",
    "equivalent_bits",
    "spike_bits",
    "storage_bits",
]


class BitSpec(NamedTuple):
    """A point of the bit-budget space: weight bits, spike bits, time steps.

    Attributes:
        b_w: weight bits.
        b_s: spike/activation bits.
        T: time steps (1 for ANNs).
    """

    b_w: int
    b_s: int
    T: int


def _check_pos(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def bit_budget(b_w: int | BitSpec, b_s: int | None = None, T: int | None = None) -> int:
    """Bit budget per synapse ``BB = b_w * b_s * T``.

    Args:
        b_w: weight bits, or a :class:`BitSpec` (then omit ``b_s`` and ``T``).
        b_s: spike/activation bits.
        T: time steps.

    Returns:
        The bit budget.

    Examples:
        >>> [bit_budget(*s) for s in [(1, 1, 4), (2, 2, 1), (4, 1, 1)]]
        [4, 4, 4]
    """
    if isinstance(b_w, tuple):
        b_w, b_s, T = b_w
    if b_s is None or T is None:
        raise ValueError("bit_budget needs b_w, b_s and T (or one BitSpec)")
    return _check_pos(b_w, "b_w") * _check_pos(b_s, "b_s") * _check_pos(T, "T")


def spike_bits(kind: str = "binary", levels: int | None = None) -> int:
    """Bits of one spike/activation value.

    Args:
        kind: ``"binary"`` (1), ``"ternary"`` (2), ``"integer"`` (``ceil(log2(levels + 1))``,
            spikes ``0..levels``) or ``"real"`` (32, full precision).
        levels: ``D`` for integer spikes.

    Returns:
        Bits.

    Examples:
        >>> spike_bits("integer", levels=4)
        3
    """
    if kind == "binary":
        return 1
    if kind == "ternary":
        return 2
    if kind == "real":
        return 32
    if kind == "integer":
        _check_pos(levels, "levels")
        assert levels is not None
        return max(1, math.ceil(math.log2(levels + 1)))
    raise ValueError(f"kind must be binary, ternary, integer or real, got {kind!r}")


def equivalent_bits(T: int, b_s: int = 1) -> float:
    """Equivalent activation bits of ``b_s``-bit spikes over ``T`` steps.

    Args:
        T: time steps.
        b_s: spike bits.

    Returns:
        ``log2(T * (2**b_s - 1) + 1)``.

    Examples:
        >>> round(equivalent_bits(4, 1), 4)
        2.3219
    """
    return math.log2(_check_pos(T, "T") * (2 ** _check_pos(b_s, "b_s") - 1) + 1)


def _record_bits(r: LayerRecord, b_s: int | str) -> int:
    if b_s != "auto":
        return _check_pos(b_s, "b_s")
    if r.kind == "binary":
        return 1
    if r.kind == "integer":
        return spike_bits("integer", levels=max(1, round(r.in_max)))
    return 32


def bitops(
    report: EnergyReport, b_w: int, b_s: int | str = "auto", T: int | None = None
) -> dict[str, Any]:
    """Compute bit-operations of a report's synaptic layers.

    Args:
        report: an :class:`EnergyReport`.
        b_w: weight bits.
        b_s: spike bits, or ``"auto"``: 1 for binary inputs, ``ceil(log2(max+1))`` for integer
            spikes, 32 for real inputs.
        T: time steps (default: the report's).

    Returns:
        ``{"layers": {name: (bitops, bitops_eff)}, "bitops": total, "bitops_eff": total}``.
    """
    _check_pos(b_w, "b_w")
    T = _check_pos(T if T is not None else report.T, "T")
    layers = {}
    for r in report.layers:
        if r.category != "synaptic":
            continue
        dense = r.fl * b_w * _record_bits(r, b_s) * T
        layers[r.name] = (dense, dense * r.in_density)
    return {
        "layers": layers,
        "bitops": sum(v[0] for v in layers.values()),
        "bitops_eff": sum(v[1] for v in layers.values()),
    }


def storage_bits(
    report: EnergyReport, b_w: int, b_s: int | str = "auto", T: int | None = None
) -> float:
    """Storage bit budget: weights ``* b_w`` plus input activations ``* b_s * T``.

    Args:
        report: an :class:`EnergyReport`.
        b_w: weight bits.
        b_s: activation bits or ``"auto"`` (see :func:`bitops`).
        T: time steps (default: the report's).

    Returns:
        Bits.
    """
    _check_pos(b_w, "b_w")
    T = _check_pos(T if T is not None else report.T, "T")
    total = 0.0
    for r in report.layers:
        if r.category == "synaptic":
            total += r.params * b_w + r.in_elements * _record_bits(r, b_s) * T
    return total


@dataclasses.dataclass
class BitBudgetTable:
    """Rows of a bit-budget sweep; prints as a table and exports to CSV.

    Attributes:
        rows: one dict per configuration with keys ``b_w, b_s, T, BB, equivalent_bits,
            accuracy, bitops, bitops_eff, e_yao_j, e_bit_j``.
    """

    rows: list[dict[str, Any]]

    def to_csv(self) -> str:
        """The rows as CSV text."""
        buf = io.StringIO()
        w = csv.DictWriter(
            buf, fieldnames=list(self.rows[0]) if self.rows else [], lineterminator="\n"
        )
        w.writeheader()
        w.writerows(self.rows)
        return buf.getvalue()

    def __str__(self) -> str:
        head = ["b_w", "b_s", "T", "BB", "eq.bits", "acc", "BitOps", "BitOps_eff", "E_Yao", "E_bit"]
        body = [
            [
                str(r["b_w"]),
                str(r["b_s"]),
                str(r["T"]),
                str(r["BB"]),
                f"{r['equivalent_bits']:.3g}",
                "-" if r["accuracy"] is None else f"{r['accuracy']:.4g}",
                si(r["bitops"]) if r["bitops"] is not None else "-",
                si(r["bitops_eff"]) if r["bitops_eff"] is not None else "-",
                si(r["e_yao_j"], "J") if r["e_yao_j"] is not None else "-",
                si(r["e_bit_j"], "J") if r["e_bit_j"] is not None else "-",
            ]
            for r in self.rows
        ]
        widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [head, *body]
        )


def bit_budget_sweep(
    points: Iterable[BitSpec | tuple[Any, ...]],
    *,
    report: EnergyReport | None = None,
    accuracy: dict[BitSpec, float] | None = None,
    e_bit: float | None = None,
) -> BitBudgetTable:
    """Tabulate bit budgets, bit-operations and energies for a sweep of configurations.

    Args:
        points: ``BitSpec`` or ``(b_w, b_s, T)`` or ``(b_w, b_s, T, report)`` tuples; a
            per-point report (measured at that configuration) overrides ``report``.
        report: the report whose layers give ``FL`` and densities (optional).
        accuracy: measured accuracy per ``BitSpec`` (optional; shown in the table).
        e_bit: joules per bit-operation for the energy proxy ``E_bit = e_bit * BitOps_eff``
            (no paper value is confirmed; omitted when ``None``).

    Returns:
        A :class:`BitBudgetTable`.

    Examples:
        >>> t = bit_budget_sweep([(1, 1, 4), (2, 2, 1), (4, 1, 1)])
        >>> [r["BB"] for r in t.rows]
        [4, 4, 4]
    """
    rows = []
    for p in points:
        spec = BitSpec(*p[:3])
        rep = p[3] if len(p) > 3 else report
        bb = bit_budget(spec)
        ops = bitops(rep, spec.b_w, spec.b_s, spec.T) if rep is not None else None
        rows.append(
            {
                "b_w": spec.b_w,
                "b_s": spec.b_s,
                "T": spec.T,
                "BB": bb,
                "equivalent_bits": equivalent_bits(spec.T, spec.b_s),
                "accuracy": (accuracy or {}).get(spec),
                "bitops": ops["bitops"] if ops else None,
                "bitops_eff": ops["bitops_eff"] if ops else None,
                "e_yao_j": rep.energy if rep is not None else None,
                "e_bit_j": e_bit * ops["bitops_eff"] if ops and e_bit is not None else None,
            }
        )
    return BitBudgetTable(rows)
