"""Events/s of frame and voxel-grid conversion, spike-cam against Tonic, on one event stream.

Run: uv run python benchmarks/events_vs_tonic.py [--events 10000000] [--repeats 3]
     [--threads 1]
Tonic (GPL-3.0) is only a benchmark/test-time peer (extra ``spike-cam[test]``); spike_cam never
imports it. Both sides get the same stream: Tonic the canonical structured array, spike-cam its
``[N, 4]`` tensor view (conversion not timed). The best of ``--repeats`` runs is reported.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

from spike_cam import events_to_tensor, make_events, to_frames, voxel_grid


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    """Time both libraries and print events/s and the ratio."""
    try:
        import tonic.functional as tf
    except ImportError as e:
        raise SystemExit("needs Tonic: uv sync --all-packages --all-extras (extra 'test')") from e
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--bins", type=int, default=16)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1, help="torch threads (Tonic's numpy: 1)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    n, size = a.events, (128, 128, 2)
    ev = make_events(
        np.sort(rng.integers(0, 10_000_000, n)),
        rng.integers(0, 128, n),
        rng.integers(0, 128, n),
        rng.integers(0, 2, n),
    )
    et = events_to_tensor(ev)
    print(
        f"{n:,} events, 128 x 128, {a.bins} bins, CPU, torch threads {torch.get_num_threads()}, "
        f"best of {a.repeats}"
    )
    cases = (
        (
            "frames",
            lambda: to_frames(et, size, n_bins=a.bins),
            lambda: tf.to_frame_numpy(ev.copy(), size, n_time_bins=a.bins),
        ),
        (
            "voxel grid",
            lambda: voxel_grid(et, size, a.bins),
            lambda: tf.to_voxel_grid_numpy(ev.copy(), size, n_time_bins=a.bins),
        ),
    )
    for name, ours, theirs in cases:
        t_ours, t_theirs = _best(ours, a.repeats), _best(theirs, a.repeats)
        print(
            f"{name:10s}  spike-cam {n / t_ours / 1e6:7.1f} M ev/s   "
            f"Tonic {n / t_theirs / 1e6:6.1f} M ev/s   ratio {t_theirs / t_ours:5.1f}x"
        )


if __name__ == "__main__":
    main()
