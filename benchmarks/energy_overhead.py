"""Forward-time overhead of counting synaptic operations with ``spike_energy.Counter``.

Two mid-sized spiking models at CIFAR size (input ``[T, B, 3, 32, 32]``, eval mode, no grad):

* ``cnn``: a VGG-style spiking CNN, four conv-BN-LIF-maxpool blocks (64-128-256-256 channels) and
  a two-layer spiking head, 1.49 M parameters;
* ``spikformer``: a Spikformer-like net: a conv-BN-LIF stem (3-64-128 channels, two max-pools to
  8x8 tokens), two blocks of spiking self-attention (spiking Q, K, V from Linear-BN-LIF, the
  products ``Q K^T`` and ``(Q K^T) V`` between spike tensors, 8 heads) and a spiking MLP
  (ratio 4), dim 128, 0.47 M parameters.

Plain and counted forwards alternate (after warm-up runs) so both see the same machine load;
the medians and their ratio are printed. The counted forward includes entering the ``Counter``,
the forward, and building the report.

Usage::

    uv run python benchmarks/energy_overhead.py                      # both models, B=32, T=4
    uv run python benchmarks/energy_overhead.py --model cnn --repeats 15 --threads 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

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


class _LinearBNLIF(nn.Module):
    """Linear, BatchNorm over the feature axis and LIF on ``[T, B, N, D]`` tokens."""

    def __init__(self, *, d_in: int, d_out: int) -> None:
        super().__init__()
        self.fc = SeqToBatch(nn.Linear(d_in, d_out, bias=False))
        self.bn = nn.BatchNorm1d(d_out)
        self.lif = LIF(tau_mem=2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        y = self.bn(y.flatten(0, 2)).view_as(y)
        return self.lif(y)


class _SpikingAttention(nn.Module):
    """Spiking self-attention: spike Q, K, V; ``(Q K^T) V * scale``; LIF; projection."""

    def __init__(self, *, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = _LinearBNLIF(d_in=dim, d_out=dim)
        self.k = _LinearBNLIF(d_in=dim, d_out=dim)
        self.v = _LinearBNLIF(d_in=dim, d_out=dim)
        self.attn_lif = LIF(tau_mem=2.0, v_threshold=0.5)
        self.proj = _LinearBNLIF(d_in=dim, d_out=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T, B, N, D = x.shape
        h = self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(T, B, N, h, D // h).permute(0, 1, 3, 2, 4)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        a = (q @ k.transpose(-2, -1)) @ v * 0.125
        a = self.attn_lif(a.permute(0, 1, 3, 2, 4).reshape(T, B, N, D))
        return self.proj(a)


class _Block(nn.Module):
    def __init__(self, *, dim: int, heads: int) -> None:
        super().__init__()
        self.attn = _SpikingAttention(dim=dim, heads=heads)
        self.mlp = nn.Sequential(
            _LinearBNLIF(d_in=dim, d_out=4 * dim), _LinearBNLIF(d_in=4 * dim, d_out=dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)


class _Spikformer(nn.Module):
    def __init__(self, *, dim: int = 128, depth: int = 2, heads: int = 8) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            SeqToBatch(nn.Conv2d(3, dim // 2, 3, padding=1, bias=False)),
            SeqToBatch(nn.BatchNorm2d(dim // 2)),
            LIF(tau_mem=2.0),
            SeqToBatch(nn.MaxPool2d(2)),
            SeqToBatch(nn.Conv2d(dim // 2, dim, 3, padding=1, bias=False)),
            SeqToBatch(nn.BatchNorm2d(dim)),
            LIF(tau_mem=2.0),
            SeqToBatch(nn.MaxPool2d(2)),
        )
        self.blocks = nn.Sequential(*(_Block(dim=dim, heads=heads) for _ in range(depth)))
        self.head = SeqToBatch(nn.Linear(dim, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.stem(x)  # [T, B, C, 8, 8]
        tokens = f.flatten(3).permute(0, 1, 3, 2)  # [T, B, 64, C]
        return self.head(self.blocks(tokens).mean(2))


def spikformer() -> nn.Module:
    """The Spikformer-like net described in the module docstring (eval mode)."""
    return _Spikformer().eval()


MODELS: dict[str, Callable[[], nn.Module]] = {"cnn": spiking_cnn, "spikformer": spikformer}


def measure(model: nn.Module, x: torch.Tensor, repeats: int, warmup: int) -> tuple[float, float]:
    """Median plain and counted forward times (alternating runs)."""
    sync = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)

    def plain() -> None:
        with torch.no_grad():
            model(x)

    def counted() -> None:
        with Counter(model) as c, torch.no_grad():
            model(x)
        c.report()

    for _ in range(warmup):
        plain()
        counted()
    tp, tc = [], []
    for _ in range(repeats):
        for fn, out in ((plain, tp), (counted, tc)):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            out.append(time.perf_counter() - t0)
    return statistics.median(tp), statistics.median(tc)


def main() -> None:
    """Time each model's forward with and without counting; print the ratio."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=[*MODELS, "all"], default="all")
    p.add_argument("--device", default="cpu")
    p.add_argument("--T", type=int, default=4)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads (CPU)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"torch {torch.__version__}, device {dev}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    for name in MODELS if a.model == "all" else [a.model]:
        torch.manual_seed(0)
        model = MODELS[name]().to(dev)
        x = torch.rand(a.T, a.batch, 3, 32, 32, device=dev)
        t_plain, t_count = measure(model, x, a.repeats, a.warmup)
        n = sum(q.numel() for q in model.parameters())
        print(
            f"{name}: {n / 1e6:.2f} M params, input {tuple(x.shape)}, median of {a.repeats}: "
            f"forward {t_plain * 1e3:.1f} ms, counted {t_count * 1e3:.1f} ms, "
            f"ratio {t_count / t_plain:.3f} ({(t_count / t_plain - 1) * 100:+.1f} %)"
        )


if __name__ == "__main__":
    main()
