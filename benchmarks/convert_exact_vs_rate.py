"""Lossless (BIF, CNN-Morph) vs rate-coded (IF) conversion of the same trained network.

Trains an MLP (or CNN) on the embedded 8x8 UCI digits, quantizes it (L levels, QAT), and reports for
both conversions the smallest number of time steps whose test accuracy is within 0.5 points of the
float ANN, plus the wall time of one full test-set SNN inference at that T.

    uv run python benchmarks/convert_exact_vs_rate.py [--arch cnn] [--levels 8]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import spike_convert as sc


def build(arch: str) -> nn.Module:
    """The float network."""
    if arch == "mlp":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
            nn.Linear(32, 10),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


def timed(fn, *args):
    """Run once to warm up, then time one call."""
    fn(*args)  # warm-up
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    out = fn(*args)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - t


def main() -> None:
    """Train, convert both ways, print the comparison."""
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--levels", type=int, default=8)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    xtr, ytr = sc.digits_split("train")
    xte_cpu, yte_cpu = sc.digits_split("test")
    ann = build(args.arch)
    sc.fit_classifier(ann, xtr, ytr, epochs=args.epochs, lr=3e-3)
    ann.eval()
    q = sc.quantize_cnn(ann, levels=args.levels, calibration=xtr[:256])
    sc.fit_classifier(q, xtr, ytr, epochs=10, lr=1e-3, seed=1)
    q.eval()
    dev = torch.device(args.device)
    ann, q = ann.to(dev), q.to(dev)
    xte, yte = xte_cpu.to(dev), yte_cpu.to(dev)
    acc = lambda logits: 100.0 * float((logits.argmax(-1) == yte).float().mean())  # noqa: E731
    with torch.no_grad():
        ann_acc, q_acc = acc(ann(xte)), acc(q(xte))
    target = ann_acc - 0.5
    exact = sc.convert_cnn(q).to(dev)
    with torch.no_grad():
        res, t_quiet = timed(exact.run, xte)
    t_exact = None
    for T in range(1, 4 * args.levels * 2 + 2):
        r = exact.run(xte, time_steps=T, until_quiet=False)
        if acc(r.output) >= target:
            t_exact = T
            break
    rate = sc.rate_convert(ann, xtr[:512].to(dev))
    t_rate, rate_acc = None, {}
    for T in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512):
        with torch.no_grad():
            rate_acc[T] = acc(rate.run(xte, T))
        if t_rate is None and rate_acc[T] >= target:
            t_rate = T
    print(f"device {dev}, arch {args.arch}, L = {args.levels}, test samples {len(yte)}")
    print(f"ANN {ann_acc:.2f}%  QANN {q_acc:.2f}%  target (ANN - 0.5) {target:.2f}%")
    print(
        f"lossless BIF: until quiet -> {res.steps} steps, acc {acc(res.output):.2f}%, "
        f"max|QANN-SNN| {float((res.output - q(xte).detach()).abs().max()):.2g}, wall {t_quiet * 1e3:.1f} ms"
    )
    if t_exact is not None:
        enc = sc.s_analog_encode(xte, t_exact)
        with torch.no_grad():
            _, w = timed(lambda: exact(enc, until_quiet=False))
        print(f"lossless BIF: fixed T reaching target: T = {t_exact}, wall {w * 1e3:.1f} ms")
    else:
        print("lossless BIF: QANN itself is more than 0.5 points below the ANN")
    print("rate-coded IF accuracy by T: " + ", ".join(f"{k}: {v:.2f}" for k, v in rate_acc.items()))
    if t_rate is not None:
        with torch.no_grad():
            _, w = timed(lambda: rate.run(xte, t_rate))
        print(f"rate-coded IF: T = {t_rate} reaches the target, wall {w * 1e3:.1f} ms")
    else:
        print("rate-coded IF: target not reached up to T = 512")


if __name__ == "__main__":
    main()
