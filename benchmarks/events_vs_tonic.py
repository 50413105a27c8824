"""Events/s of frame and voxel-grid conversion, spike-cam against Tonic, on one event stream.

Run: uv run python benchmarks/events_vs_tonic.py [--events 10000000] [--bins 16]
     [--repeats 7] [--threads 1]

Tonic (GPL-3.0) is only a benchmark/test-time peer (extra ``spike-cam[test]``); spike_cam never
imports it. Fairness:

- Same events: one random time-sorted stream; Tonic gets the canonical structured array (its
  own input format), spike-cam the ``[N, 4]`` int64 tensor view of it (conversion not timed).
  Tonic's voxel grid rewrites the polarity column in place, so each Tonic call gets a fresh
  copy, made outside the timed region.
- Same output: the calls are the exact mappings of ``tests/test_vs_tonic.py``, so both sides
  produce the same frames / voxel grid, and the script checks that before timing.
- Tonic's fastest path: ``tonic.functional.to_frame_numpy`` / ``to_voxel_grid_numpy`` are what
  its ``ToFrame`` / ``ToVoxelGrid`` transforms call, minus the transform wrapper.
- Validation: each side does its own checks inside the timed call (spike-cam checks every
  coordinate and polarity against the sensor; Tonic's ``np.add.at`` bounds-checks its indices).
- Repeats: the two sides alternate, ``--repeats`` times each; medians are reported (the best
  run in brackets), with the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from spike_cam import events_to_tensor, make_events, to_frames, voxel_grid


def _timed(fn: Callable[[], object], prep: Callable[[], None] | None = None) -> float:
    if prep is not None:
        prep()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    """Time both libraries, alternating, and print events/s and the ratio of medians."""
    try:
        import tonic.functional as tf
    except ImportError as e:
        raise SystemExit("needs Tonic: uv sync --all-packages --all-extras (extra 'test')") from e
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--bins", type=int, default=16)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=1, help="torch threads (Tonic's numpy: 1)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    n, nb, size = a.events, a.bins, (128, 128, 2)
    ev = make_events(
        np.sort(rng.integers(0, 10_000_000, n)),
        rng.integers(0, 128, n),
        rng.integers(0, 128, n),
        rng.integers(0, 2, n),
    )
    et = events_to_tensor(ev)
    w = int(ev["t"][-1] - ev["t"][0]) // nb  # Tonic's n_time_bins bin length
    fresh: list[np.ndarray] = [ev.copy()]

    def refresh() -> None:
        fresh[0] = ev.copy()

    cases = (
        (
            "frames",
            lambda: to_frames(et, size, bin_us=w)[:nb],
            lambda: tf.to_frame_numpy(fresh[0], size, n_time_bins=nb),
        ),
        (
            "voxel grid",
            lambda: voxel_grid(et, size, nb + 1)[:nb],
            lambda: tf.to_voxel_grid_numpy(fresh[0], size, n_time_bins=nb)[:, 0],
        ),
    )
    print(
        f"{n:,} events, 128 x 128, {nb} bins, CPU ({os.cpu_count()} cores), torch threads "
        f"{torch.get_num_threads()}, median of {a.repeats} (best in brackets), "
        f"load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for name, ours, theirs in cases:
        refresh()
        mine, ref = ours().numpy(), theirs()
        if name == "frames":
            assert np.array_equal(mine, ref.astype(np.float32)), "frames differ from Tonic's"
        else:
            np.testing.assert_allclose(mine, ref, atol=1e-4)
        t_ours: list[float] = []
        t_theirs: list[float] = []
        for _ in range(a.repeats):
            t_ours.append(_timed(ours))
            t_theirs.append(_timed(theirs, refresh))
        mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
        print(
            f"{name:10s}  spike-cam {n / mo / 1e6:6.1f} M ev/s [{n / min(t_ours) / 1e6:6.1f}]   "
            f"Tonic {n / mt / 1e6:5.1f} M ev/s [{n / min(t_theirs) / 1e6:5.1f}]   "
            f"ratio of medians {mt / mo:4.1f}x",
            flush=True,
        )
    print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
