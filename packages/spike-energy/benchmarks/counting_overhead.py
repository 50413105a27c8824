"""Forward-time overhead of counting with spike-energy on a mid-sized spiking CNN.

Run: uv run python packages/spike-energy/benchmarks/counting_overhead.py [--device cuda]
Prints the median forward time without and with a Counter, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from spike_core import LIF, SeqToBatch
from spike_energy import Counter


def spiking_cnn(width: int = 64) -> nn.Module:
    """Four conv-BN-LIF-pool blocks and a two-layer spiking head (32x32 input)."""

    def block(cin: int, cout: int) -> list[nn.Module]:
        return [
            SeqToBatch(nn.Conv2d(cin, cout, 3, padding=1, bias=False)),
            SeqToBatch(nn.BatchNorm2d(cout)),
            LIF(tau_mem=2.0),
            SeqToBatch(nn.MaxPool2d(2)),
        ]

    return nn.Sequential(
        *block(3, width),
        *block(width, 2 * width),
        *block(2 * width, 4 * width),
        *block(4 * width, 4 * width),
        SeqToBatch(nn.Flatten()),
        SeqToBatch(nn.Linear(4 * width * 2 * 2, 512)),
        LIF(tau_mem=2.0),
        SeqToBatch(nn.Linear(512, 10)),
    ).eval()


def timed(fn, repeats: int, sync) -> float:
    """Median wall time of ``fn`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    """Time the forward pass with and without counting; print the ratio."""
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--T", type=int, default=4)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--width", type=int, default=64, help="channels of the first block")
    a = p.parse_args()
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = spiking_cnn(a.width).to(dev)
    x = torch.rand(a.T, a.batch, 3, 32, 32, device=dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def plain() -> None:
        with torch.no_grad():
            model(x)

    def counted() -> None:
        with Counter(model) as c, torch.no_grad():
            model(x)
        c.report()

    plain()
    counted()
    t_plain = timed(plain, a.repeats, sync)
    t_count = timed(counted, a.repeats, sync)
    n = sum(p.numel() for p in model.parameters())
    print(f"model: spiking CNN, {n / 1e6:.2f} M params, input {tuple(x.shape)}, device {dev}")
    print(f"forward {t_plain * 1e3:.1f} ms, counted {t_count * 1e3:.1f} ms")
    print(f"overhead ratio {t_count / t_plain:.3f} ({(t_count / t_plain - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
