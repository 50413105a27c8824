"""Train SpikePoint or SpikMamba (small configs) on the embedded synthetic gestures, on CPU.

Run: uv run python packages/spike-cam/examples/train_synthetic.py --model spikepoint
     uv run python packages/spike-cam/examples/train_synthetic.py --model spikmamba
Prints the test accuracy (6 classes, chance 16.7 %).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from spike_cam import (
    GESTURES,
    SpikePoint,
    SpikePointConfig,
    SpikMamba,
    SpikMambaConfig,
    SyntheticGestures,
    to_frames,
    to_points,
)

SIZE = 32


def points(ev: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A 128-point cloud of a recording."""
    return to_points(ev, (SIZE, SIZE), 128, generator=g)


def frames(ev: torch.Tensor) -> torch.Tensor:
    """Three-channel frames ``[3, T, H, W]``: OFF, ON and total counts, scaled to [0, 1]."""
    f = to_frames(ev, (SIZE, SIZE), n_bins=4)  # [T, 2, H, W]
    f = torch.cat([f, f.sum(1, keepdim=True)], dim=1)
    return (f / f.amax().clamp_min(1)).permute(1, 0, 2, 3)


def main() -> None:
    """Train and report test accuracy."""
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=("spikepoint", "spikmamba"), default="spikepoint")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pool", choices=("max", "mean"), default="mean")
    p.add_argument("--coord-mode", choices=("abs_min", "abs", "signed_split"), default="abs")
    p.add_argument("--time-steps", type=int, default=8)
    p.add_argument("--lr", type=float, default=3e-3)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    train = SyntheticGestures(samples_per_class=24, size=SIZE, frames=24, seed=1)
    test = SyntheticGestures(samples_per_class=8, size=SIZE, frames=24, seed=2)
    if a.model == "spikepoint":
        model: nn.Module = SpikePoint(
            SpikePointConfig(
                num_classes=len(GESTURES),
                num_points=128,
                groups=32,
                k=8,
                time_steps=a.time_steps,
                local_widths=(16, 32),
                pool=a.pool,
                coord_mode=a.coord_mode,
                global_widths=(64, 64),
            )
        )

        def enc(ev: torch.Tensor) -> torch.Tensor:
            return points(ev, g)
    else:
        model = SpikMamba(
            SpikMambaConfig(
                num_classes=len(GESTURES),
                frames=4,
                img_size=SIZE,
                patch=4,
                dim=32,
                heads=4,
                mlp_hidden=64,
                mamba_layers=1,
                sla_depth=1,
                drop_path=0.0,
            )
        )
        enc = frames
    xtr = torch.stack([enc(x) for x, _ in train])
    ytr = torch.tensor([y for _, y in train])
    xte = torch.stack([enc(x) for x, _ in test])
    yte = torch.tensor([y for _, y in test])
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    start = time.perf_counter()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(perm), 16):
            idx = perm[i : i + 16]
            loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(-1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}  test accuracy {acc:.3f}")
    print(
        f"{a.model}: final test accuracy {acc:.3f} (chance {1 / len(GESTURES):.3f}), {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
