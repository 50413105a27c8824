"""Train L2MU on the embedded synthetic activity data and report test accuracy.

Usage: ``uv run python packages/spike-seq/benchmarks/train_l2mu.py [--epochs 6] [--neuron lif]``
"""

from __future__ import annotations

import argparse
import time

import torch

from spike_core import to_time_major
from spike_seq import L2MUClassifier, L2MUConfig, synthetic_activity_dataset, train_classifier


def main() -> None:
    """Train on seed-0 windows, test on seed-1 windows (same classes, new noise)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--neuron", choices=["lif", "cuba"], default="lif")
    p.add_argument("--input-module", action="store_true", help="use the encoding-free input module")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y = synthetic_activity_dataset(60, seed=0)
    xt, yt = synthetic_activity_dataset(30, seed=1)
    cfg = L2MUConfig(
        hidden_size=40,
        memory_size=16,
        neuron=a.neuron,
        input_module=(32, 32, 32) if a.input_module else (),
    )
    model = L2MUClassifier(cfg)
    t0 = time.perf_counter()
    losses = train_classifier(model, x, y, epochs=a.epochs, lr=5e-3)
    model.eval()
    with torch.no_grad():
        acc = (model(to_time_major(xt)).sum(0).argmax(-1) == yt).float().mean().item()
    print(f"L2MU ({a.neuron}, input module {a.input_module}): {model.num_parameters():,} params")
    print(f"loss per epoch: {[round(v, 3) for v in losses]}")
    print(f"test accuracy {acc:.3f} (chance {1 / 7:.3f}), {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
