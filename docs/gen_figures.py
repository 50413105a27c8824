"""Regenerate the figures of the documentation: ``uv run python docs/gen_figures.py``.

Every PNG under ``docs/figures/`` is produced here from seeded inputs, so the pictures in the guides
can always be rebuilt from the code they show.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from spike_core import LIF, SeqToBatch, rate_encode, simulate
from spike_core.plot import membrane_plot, raster_plot

OUT = Path(__file__).parent / "figures"


def main() -> None:
    torch.manual_seed(0)
    OUT.mkdir(exist_ok=True)
    x = rate_encode(torch.linspace(0.1, 0.9, 40), 60) * 2.5  # [T=60, N=40]
    spikes, _ = simulate(LIF(tau_mem=2.0), x.unsqueeze(1))
    raster_plot(spikes, OUT / "lif_raster.png", title="LIF spikes, rate-coded input (40 neurons)")
    current = 1.1 + 0.4 * torch.rand(60, 1, 3)  # noisy constant currents
    _, states = simulate(LIF(tau_mem=4.0), current)
    membrane_plot(
        states.v,
        OUT / "lif_membrane.png",
        v_threshold=1.0,
        max_traces=3,
        title="LIF membrane after reset, noisy constant current (tau_mem = 4)",
    )

    # spike-energy's worked example (docs/packages/spike-energy.md), drawn as its bar chart.
    from spike_energy import estimate_energy

    torch.manual_seed(0)
    ann = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    snn = nn.Sequential(
        SeqToBatch(ann[0]),
        LIF(tau_mem=2.0, v_threshold=0.2),
        SeqToBatch(ann[2]),
        LIF(tau_mem=2.0, v_threshold=0.2),
        SeqToBatch(ann[4]),
    )
    x = torch.rand(8, 64) * 4
    estimate_energy(snn, x.expand(4, 8, 64)).plot(OUT / "energy_bars.png")


if __name__ == "__main__":
    main()
