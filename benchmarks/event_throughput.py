"""Events/s of frame and voxel-grid conversion on a synthetic 10M-event stream.

Run: uv run python benchmarks/event_throughput.py [--events 10000000] [--device cpu]
     [--repeats 7] [--threads 1]
Medians of ``--repeats`` runs after one warm-up. The comparison with Tonic (a test-time peer
only) is ``benchmarks/events_vs_tonic.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from spike_cam import to_frames, voxel_grid


def main() -> None:
    """Time ``to_frames`` and ``voxel_grid`` on a random time-sorted stream."""
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    n = a.events
    t = torch.sort(torch.randint(0, 10_000_000, (n,), generator=g)).values
    ev = torch.stack(
        [
            t,
            torch.randint(0, 128, (n,), generator=g),
            torch.randint(0, 128, (n,), generator=g),
            torch.randint(0, 2, (n,), generator=g),
        ],
        1,
    ).to(a.device)
    for name, fn in (
        ("to_frames(n_bins=16)", lambda: to_frames(ev, (128, 128), n_bins=16)),
        ("voxel_grid(n_bins=16)", lambda: voxel_grid(ev, (128, 128), 16)),
    ):
        fn()
        times = []
        for _ in range(a.repeats):
            if ev.is_cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if ev.is_cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        dt = statistics.median(times)
        print(
            f"{name}: {n / dt / 1e6:.1f} M events/s (median {dt * 1e3:.0f} ms for {n:,} events, "
            f"{a.device}, {torch.get_num_threads()} thread(s))"
        )


if __name__ == "__main__":
    main()
