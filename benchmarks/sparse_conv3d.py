"""Sparse (rulebook) vs dense Conv3d on a 64^3 grid at 1 %, 5 % and 20 % occupancy, on CPU.

Run: ``uv run python benchmarks/sparse_conv3d.py [--threads N]``.
Times are medians over repeats of one forward pass (3x3x3, C_in = C_out = 16, batch 1):
``sparse`` with the rulebook cached (the steady state inside a network: one rulebook serves every
layer at a resolution), ``+rulebook`` including its construction. Memory is the tensor footprint
(features/activations, plus coordinates and rulebook for sparse).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from spike_3d import SparseVoxelTensor, SubMConv3d, submanifold_rulebook


def _median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    """Print the sparse vs dense table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--grid", type=int, default=64)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    G, C = args.grid, args.channels
    conv = SubMConv3d(in_channels=C, out_channels=C)
    w = conv.dense_weight().detach().contiguous()
    print(f"grid {G}^3, C {C}, threads {args.threads}, torch {torch.__version__}")
    print(
        f"{'occupancy':>9} {'sites':>7} {'pairs':>8} {'dense ms':>9} {'sparse ms':>9} "
        f"{'+rulebook ms':>12} {'speed-up':>8} {'dense MB':>8} {'sparse MB':>9}"
    )
    ok = True
    for occ in (0.01, 0.05, 0.20):
        active = torch.rand(1, G, G, G, generator=g) < occ
        dense = torch.randn(1, C, G, G, G, generator=g) * active[:, None]
        x = SparseVoxelTensor.from_dense(dense.unsqueeze(0), active)
        with torch.no_grad():
            t_dense = _median_time(lambda d=dense: F.conv3d(d, w, padding=1), args.repeats)
            conv(x)  # builds and caches the rulebook
            t_sparse = _median_time(lambda x=x: conv(x), args.repeats)
            t_build = _median_time(
                lambda x=x: submanifold_rulebook(x.coords, x.spatial_shape), args.repeats
            )
        rb = conv.rulebook(x)
        dense_mb = 2 * dense.numel() * 4 / 2**20
        sparse_mb = (
            2 * x.features.numel() * 4 + x.coords.numel() * 8 + 2 * rb.num_pairs * 8
        ) / 2**20
        speed = t_dense / t_sparse
        print(
            f"{occ:>9.0%} {x.num_sites:>7} {rb.num_pairs:>8} {1e3 * t_dense:>9.2f} {1e3 * t_sparse:>9.2f} "
            f"{1e3 * (t_sparse + t_build):>12.2f} {speed:>7.1f}x {dense_mb:>8.2f} {sparse_mb:>9.2f}"
        )
        if occ == 0.01:
            ok = speed >= 10
    print("1 % occupancy: sparse >= 10x faster than dense:", "PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
