"""Regenerate the figures of the documentation: ``uv run python docs/gen_figures.py``.

Every PNG under ``docs/figures/`` is produced here from seeded inputs, so the pictures in the guides
can always be rebuilt from the code they show.
"""

from __future__ import annotations

from pathlib import Path

import torch

from spike_core import LIF, rate_encode, simulate
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


if __name__ == "__main__":
    main()
