"""``EnergyReport``: per-layer operations and energy, as a table, dict, JSON, CSV or bar chart."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from typing import Any

from spike_core import atomic_write_bytes, atomic_write_text
from spike_energy._io import si
from spike_energy.profiles import HardwareProfile, get_profile
from spike_energy.records import LayerRecord

__all__ = ["EnergyReport"]


@dataclasses.dataclass
class EnergyReport:
    """Operation counts and energy of one model on one input, per sample.

    ``E_SNN = e_mac * MACs + e_ac * ACs`` (the Yao convention when counted in ``"yao"`` mode:
    ``E_MAC * FL_1 + E_AC * T * sum_n fr_n * FL_n``) and the ANN counterpart
    ``E_ANN = e_mac * sum_n FL_n`` (the same layers with real activations, one pass).

    Args:
        layers: per-layer records in call order.
        mode: the counting convention used.
        T: time steps.
        samples: the number the raw counts were divided by.
        profile: hardware profile (name or object).
        first_layer: the first-layer rule used.
        include: extra costs counted into ACs/MACs.
        notes: remarks (uncounted modules, no spiking layers...).
        memory: optional :class:`~spike_energy.MemoryModel`.

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> from spike_energy import estimate_energy
        >>> r = estimate_energy(nn.Conv2d(3, 64, 3, padding=1), torch.full((1, 3, 32, 32), 0.5))
        >>> r.macs, round(r.energy * 1e6, 4)
        (1769472.0, 8.1396)
    """

    layers: list[LayerRecord]
    mode: str = "yao"
    T: int = 1
    samples: int = 1
    profile: str | HardwareProfile = "45nm"
    first_layer: str = "once"
    include: tuple[str, ...] = ()
    notes: list[str] = dataclasses.field(default_factory=list)
    memory: Any = None

    def __post_init__(self) -> None:
        self.profile = get_profile(self.profile)

    # ----------------------------------------------------------------------------- totals
    @property
    def hw(self) -> HardwareProfile:
        """The resolved :class:`HardwareProfile`."""
        assert isinstance(self.profile, HardwareProfile)
        return self.profile

    def _sum(self, field: str, category: str | None = None) -> float:
        return float(
            sum(
                getattr(r, field) for r in self.layers if category is None or r.category == category
            )
        )

    @property
    def acs(self) -> float:
        """Total accumulates per sample."""
        return self._sum("acs")

    @property
    def macs(self) -> float:
        """Total multiply-accumulates per sample."""
        return self._sum("macs")

    @property
    def dense(self) -> float:
        """Dense synaptic operations per sample over all time steps."""
        return self._sum("dense", "synaptic")

    @property
    def fl(self) -> float:
        """Dense synaptic operations for one time step (``sum_n FL_n``)."""
        return self._sum("fl", "synaptic")

    @property
    def neuron_updates(self) -> float:
        """Membrane updates per sample."""
        return self._sum("neuron_updates", "neuron")

    @property
    def params(self) -> int:
        """Parameters of the counted modules."""
        return int(self._sum("params"))

    def layer_energy(self, record: LayerRecord) -> float:
        """Compute energy of one record in joules (``e_mac * macs + e_ac * acs``).

        Args:
            record: a record of this report.

        Returns:
            Joules per sample.
        """
        return self.hw.energy(macs=record.macs, acs=record.acs)

    @property
    def energy(self) -> float:
        """Compute energy per sample in joules."""
        return self.hw.energy(macs=self.macs, acs=self.acs)

    @property
    def energy_ann(self) -> float:
        """Energy of the ANN counterpart (``e_mac * sum_n FL_n``), joules per sample."""
        return self.hw.e_mac * self.fl

    @property
    def memory_energy(self) -> float:
        """Memory-access energy in joules per sample (0 without a memory model)."""
        if self.memory is None:
            return 0.0
        return float(sum(self.memory.layer_energy(r, self.T) for r in self.layers))

    @property
    def total_energy(self) -> float:
        """Compute plus memory energy, joules per sample."""
        return self.energy + self.memory_energy

    def with_profile(self, profile: str | HardwareProfile) -> EnergyReport:
        """The same counts under another hardware profile.

        Args:
            profile: profile name or object.

        Returns:
            A new report.
        """
        return dataclasses.replace(self, profile=get_profile(profile))

    # ----------------------------------------------------------------------------- export
    def summary(self) -> dict[str, Any]:
        """Totals as a dict."""
        return {
            "acs": self.acs,
            "macs": self.macs,
            "dense": self.dense,
            "fl": self.fl,
            "neuron_updates": self.neuron_updates,
            "params": self.params,
            "energy_j": self.energy,
            "energy_ann_j": self.energy_ann,
            "memory_energy_j": self.memory_energy,
            "total_energy_j": self.total_energy,
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole report as a JSON-serialisable dict."""
        hw = self.hw
        layers = []
        for r in self.layers:
            d = r.to_dict()
            d["energy_j"] = self.layer_energy(r)
            if self.memory is not None:
                d["memory_energy_j"] = self.memory.layer_energy(r, self.T)
            layers.append(d)
        return {
            "mode": self.mode,
            "T": self.T,
            "samples": self.samples,
            "first_layer": self.first_layer,
            "include": list(self.include),
            "profile": {"name": hw.name, "e_mac": hw.e_mac, "e_ac": hw.e_ac},
            "memory": dataclasses.asdict(self.memory) if self.memory is not None else None,
            "totals": self.summary(),
            "layers": layers,
            "notes": list(self.notes),
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """Serialise to JSON, and write it atomically to ``path`` if given.

        Args:
            path: optional output file.
            indent: JSON indentation.

        Returns:
            The JSON text.
        """
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            atomic_write_text(path, text + "\n")
        return text

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """One CSV row per layer (all record fields plus ``energy_j``), written if ``path``.

        Args:
            path: optional output file.

        Returns:
            The CSV text.
        """
        rows = self.to_dict()["layers"]
        fields = [f.name for f in dataclasses.fields(LayerRecord)] + ["energy_j"]
        if self.memory is not None:
            fields.append("memory_energy_j")
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    def table(self) -> str:
        """A plain-text table of the layers and totals."""
        head = ("layer", "type", "in", "rate", "FL/step", "ACs", "MACs", "energy", "params")
        rows = []
        for r in self.layers:
            if r.category == "neuron":
                rate = f"out {r.out_rate:.3f}"
                kind = "neuron"
            elif r.category == "uncounted":
                rate, kind = "-", "UNCOUNTED"
            else:
                rate, kind = f"{r.in_rate:.3f}", r.kind + ("*" if r.first else "")
            rows.append(
                (
                    r.name,
                    r.type,
                    kind,
                    rate,
                    si(r.fl) if r.category == "synaptic" else "-",
                    si(r.acs),
                    si(r.macs),
                    si(self.layer_energy(r), "J"),
                    si(r.params),
                )
            )
        rows.append(
            (
                "total",
                "",
                "",
                "",
                si(self.fl),
                si(self.acs),
                si(self.macs),
                si(self.energy, "J"),
                si(self.params),
            )
        )
        widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
        ]
        hw = self.hw
        lines.append("")
        lines.append(
            f"mode={self.mode}  T={self.T}  per sample (/{self.samples})  profile={hw.name} "
            f"(E_MAC {hw.e_mac * 1e12:.3g} pJ, E_AC {hw.e_ac * 1e12:.3g} pJ)"
            + ("  * first layer counted once" if self.first_layer == "once" else "")
        )
        ratio = self.energy_ann / self.energy if self.energy else float("inf")
        lines.append(
            f"E_SNN = {si(self.energy, 'J')}   E_ANN = {si(self.energy_ann, 'J')}   "
            f"ANN/SNN = {ratio:.3g}x"
        )
        if self.memory is not None:
            lines.append(
                f"memory energy = {si(self.memory_energy, 'J')}   "
                f"compute + memory = {si(self.total_energy, 'J')}"
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path: str | os.PathLike[str] | None = None, *, ann: bool = True) -> Any:
        """Per-layer energy bar chart (SNN, and the ANN counterpart when ``ann``).

        Args:
            path: write the figure (PNG/SVG by extension) atomically when given.
            ann: draw the ANN counterpart's bars beside the SNN's.

        Returns:
            The matplotlib ``Figure``.

        Raises:
            ImportError: without matplotlib (``pip install spike-energy[plot]``).
        """
        try:
            import matplotlib as mpl

            mpl.use("Agg") if path is not None and mpl.get_backend() == "" else None
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "plotting needs matplotlib: pip install 'spike-energy[plot]'"
            ) from exc
        syn = [r for r in self.layers if r.category == "synaptic"]
        names = [r.name for r in syn]
        snn = [self.layer_energy(r) * 1e9 for r in syn]
        width = 0.4 if ann else 0.8
        fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(syn) + 2), 3.5))
        xs = list(range(len(syn)))
        ax.bar([x - width / 2 if ann else x for x in xs], snn, width, label="SNN")
        if ann:
            ax.bar(
                [x + width / 2 for x in xs],
                [self.hw.e_mac * r.fl * 1e9 for r in syn],
                width,
                label="ANN",
            )
        ax.set_xticks(xs, names, rotation=45, ha="right")
        ax.set_ylabel("energy per sample (nJ)")
        ax.set_title(f"{self.mode} convention, T={self.T}, {self.hw.name}")
        ax.legend()
        fig.tight_layout()
        if path is not None:
            buf = io.BytesIO()
            suffix = os.fspath(path).rsplit(".", 1)[-1].lower()
            fig.savefig(buf, format=suffix if suffix in ("png", "svg", "pdf") else "png")
            atomic_write_bytes(path, buf.getvalue())
        return fig
