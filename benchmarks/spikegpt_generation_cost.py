"""Per-token cost of SpikeGPT generation in recurrent form at position 10 and position 1000.

The recurrent state is O(L C), so the time per token does not grow with the position. For
contrast, re-running the parallel form over the whole prefix costs O(T) per new token.

Usage: ``uv run python benchmarks/spikegpt_generation_cost.py [--width 256]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from spike_seq import SpikeGPT, SpikeGPTConfig


@torch.no_grad()
def main() -> None:
    """Time ``step`` around positions 10 and 1000 (median of a window of tokens)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = SpikeGPTConfig(
        vocab_size=64, n_layer=a.layers, n_embd=a.width, ctx_len=1100, init="torch"
    )
    model = SpikeGPT(cfg).eval()
    tokens = torch.randint(0, 64, (1100,))
    warm = None
    for t in range(100):  # warm-up: allocator, kernel selection, JIT
        _, warm = model.step(tokens[t : t + 1], warm)
    model(tokens[:10].unsqueeze(1))
    early, late = [], []
    for _ in range(a.repeats):  # fresh state each time; medians over all repeats
        state, times = None, []
        for t in range(1011):
            t0 = time.perf_counter()
            _, state = model.step(tokens[t : t + 1], state)
            times.append(time.perf_counter() - t0)
        early += times[5:16]  # positions 5..15
        late += times[995:1006]  # positions 995..1005
    near10, near1000 = statistics.median(early), statistics.median(late)
    print(f"recurrent step, position ~10:   {near10 * 1e3:.3f} ms/token")
    print(f"recurrent step, position ~1000: {near1000 * 1e3:.3f} ms/token")
    for T in (10, 1000):
        t0 = time.perf_counter()
        model(tokens[:T].unsqueeze(1))
        print(f"parallel re-run of a {T}-token prefix: {(time.perf_counter() - t0) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
