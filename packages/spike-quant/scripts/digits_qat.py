"""4-bit quantization-aware training of a small spiking CNN on the UCI digits, vs its float twin.

Run: ``uv run python packages/spike-quant/scripts/digits_qat.py [--epochs 40] [--seeds 0 1 2]``.
The 8x8 images (integer intensities 0..16, scikit-learn's bundled copy, no download) are the
integer input codes (``input_scale = 1/16``). Both networks use stateless IE-LIF neurons (T = 1);
the quantized one has 4-bit per-channel LSQ weights in every layer and is also evaluated through
its integer export (``integer_forward``), which must give the same predictions.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from spike_core import SeqToBatch
from spike_quant import IELIF, export_integer, integer_forward, quantize


def load_digits_split(seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Integer images ``[N, 1, 8, 8]`` and labels, 75/25 stratified split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(d.target)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    return xtr, xte, ytr, yte


def build(bits: int | None, seed: int) -> nn.Sequential:
    """The spiking CNN; ``bits=None`` is the full-precision twin."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        SeqToBatch(nn.Conv2d(1, 16, 3, padding=1)),
        SeqToBatch(nn.BatchNorm2d(16)),
        IELIF(),
        SeqToBatch(nn.Conv2d(16, 32, 3, stride=2, padding=1)),
        SeqToBatch(nn.BatchNorm2d(32)),
        IELIF(),
        SeqToBatch(nn.Flatten()),
        nn.Linear(32 * 16, 10),
    )
    return net if bits is None else quantize(net, bits=bits)


def train_eval(bits: int | None, *, epochs: int, seed: int) -> tuple[float, nn.Sequential]:
    """Train with Adam and return (test accuracy in %, model)."""
    xtr, xte, ytr, yte = load_digits_split(seed)
    net = build(bits, seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 64):
            idx = perm[i : i + 64]
            logits = net((xtr[idx] / 16).unsqueeze(0)).mean(0)  # [T=1, B, ...] -> [B, 10]
            loss = nn.functional.cross_entropy(logits, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    net.eval()
    with torch.no_grad():
        pred = net((xte / 16).unsqueeze(0)).mean(0).argmax(1)
    return 100.0 * float((pred == yte).float().mean()), net


def integer_accuracy(net: nn.Sequential, seed: int) -> float:
    """Test accuracy (%) of the integer export of a quantized ``net``."""
    _, xte, _, yte = load_digits_split(seed)
    out = integer_forward(export_integer(net, input_scale=1 / 16), xte.unsqueeze(0).long())
    return 100.0 * float((out["output"][0].argmax(1) == yte).float().mean())


def main() -> None:
    """Print float vs 4-bit accuracy per seed and on average."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    torch.set_num_threads(1)
    fp, q4, qi = [], [], []
    for seed in args.seeds:
        a_fp, _ = train_eval(None, epochs=args.epochs, seed=seed)
        a_q, net = train_eval(4, epochs=args.epochs, seed=seed)
        a_i = integer_accuracy(net, seed)
        fp.append(a_fp)
        q4.append(a_q)
        qi.append(a_i)
        print(f"seed {seed}: float {a_fp:.2f}%  4-bit {a_q:.2f}%  4-bit integer export {a_i:.2f}%")
    n = len(args.seeds)
    print(
        f"mean over {n} seeds: float {sum(fp) / n:.2f}%  4-bit {sum(q4) / n:.2f}%  "
        f"integer {sum(qi) / n:.2f}%  gap {sum(fp) / n - sum(q4) / n:+.2f} points"
    )


if __name__ == "__main__":
    main()
