"""Optional memory-access energy model (a project design; not taken from a paper).

Per layer and sample:

* every synaptic operation (AC or MAC) reads one weight of ``b_w`` bits;
* every neuron update reads and writes its membrane potential (``2 * b_v`` bits);
* every emitted spike writes its address (``b_addr`` bits).

The energy per bit is looked up from the size class of the memory holding the data (Horowitz
45 nm, per 64-bit access scaled per bit): up to 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ, larger
DRAM 1.3 nJ (the low end of 1.3-2.6 nJ).
"""

from __future__ import annotations

import dataclasses

from spike_energy.profiles import HOROWITZ_45NM
from spike_energy.records import LayerRecord

__all__ = ["MemoryModel"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class MemoryModel:
    """Memory-access energy per layer.

    Args:
        b_w: weight bits.
        b_v: membrane-potential bits.
        b_addr: bits written per emitted spike (its address).
        levels: ``(capacity_bytes, joules_per_64_bit_access)`` size classes, ascending; data
            larger than the last class uses ``dram_per_64bit``.
        dram_per_64bit: energy of a 64-bit DRAM access.

    Examples:
        >>> MemoryModel().energy_per_bit(4096) * 64
        1e-11
    """

    b_w: int = 32
    b_v: int = 16
    b_addr: int = 32
    levels: tuple[tuple[int, float], ...] = (
        (8 * 1024, HOROWITZ_45NM["sram_8kb_64bit"]),
        (32 * 1024, HOROWITZ_45NM["sram_32kb_64bit"]),
        (1024 * 1024, HOROWITZ_45NM["sram_1mb_64bit"]),
    )
    dram_per_64bit: float = HOROWITZ_45NM["dram_64bit_low"]

    def __post_init__(self) -> None:
        for f in ("b_w", "b_v", "b_addr"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{f} must be a positive int, got {v!r}")

    def energy_per_bit(self, size_bytes: float) -> float:
        """Joules per bit accessed in a memory holding ``size_bytes``.

        Args:
            size_bytes: the data size that decides the memory class.

        Returns:
            Energy per bit in joules.
        """
        for capacity, e64 in self.levels:
            if size_bytes <= capacity:
                return e64 / 64
        return self.dram_per_64bit / 64

    def layer_energy(self, record: LayerRecord, T: int) -> float:
        """Memory-access energy of one layer record, per sample.

        Args:
            record: the layer's record.
            T: time steps of the run (the neuron state is ``neuron_updates / T`` values).

        Returns:
            Joules.
        """
        energy = 0.0
        if record.category == "synaptic" and record.params:
            weight_bytes = record.params * self.b_w / 8
            reads = record.acs + record.macs
            energy += reads * self.b_w * self.energy_per_bit(weight_bytes)
        if record.category == "neuron":
            state_bytes = record.neuron_updates / max(T, 1) * self.b_v / 8
            e_bit = self.energy_per_bit(state_bytes)
            energy += record.neuron_updates * 2 * self.b_v * e_bit
            energy += record.spikes_out * self.b_addr * e_bit
        return energy
