"""Operation counts of sparse convolutions, read from the rulebooks of the last forward pass.

A layer whose input held integer spikes performs accumulates (``AC = Σ_pairs S_in · C_out``);
a layer with real input (the first stem convolution) performs multiply-accumulates
(``MAC = T |P| C_in C_out``). Energy follows the E-3DSNN convention (45 nm: 4.6 pJ per MAC,
0.9 pJ per AC); spike-energy can read the same ``last_*`` attributes itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from spike_3d.conv import _SparseConvBase

__all__ = ["SparseLayerOps", "sparse_conv_ops", "sparse_energy"]


@dataclass(frozen=True)
class SparseLayerOps:
    """Counts of one sparse convolution's last call.

    Attributes:
        name: module name.
        pairs: rulebook pairs ``|P|``.
        spike_input: the input held integer spikes (AC) rather than real values (MAC).
        ac: ``Σ_pairs S_in · C_out``.
        mac: ``T |P| C_in C_out``.
        flops: ``T (2 |P| C_in C_out − N_out C_out)`` (the E-3DSNN script's count).
    """

    name: str
    pairs: int
    spike_input: bool
    ac: float
    mac: float
    flops: float


def sparse_conv_ops(model: nn.Module) -> list[SparseLayerOps]:
    """Per-layer counts of every sparse convolution of ``model`` that has run.

    Args:
        model: a model after one forward pass.

    Returns:
        One :class:`SparseLayerOps` per convolution, in module order.
    """
    out = []
    for name, m in model.named_modules():
        if isinstance(m, _SparseConvBase) and m.last_time_steps:
            ops = m.synaptic_ops()
            out.append(
                SparseLayerOps(
                    name,
                    m.last_rulebook_pairs,
                    m.last_spike_input,
                    ops["ac"],
                    ops["mac"],
                    ops["flops"],
                )
            )
    return out


def sparse_energy(model: nn.Module, *, e_mac: float = 4.6e-12, e_ac: float = 0.9e-12) -> float:
    """Energy in joules of the last forward pass: MACs for real input, ACs for spike input.

    Args:
        model: a model after one forward pass.
        e_mac: joules per multiply-accumulate.
        e_ac: joules per accumulate.

    Returns:
        ``Σ_layers (e_ac · AC if spike input else e_mac · MAC)``.
    """
    return sum(e_ac * r.ac if r.spike_input else e_mac * r.mac for r in sparse_conv_ops(model))
