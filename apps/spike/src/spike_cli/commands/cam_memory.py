"""``spike cam-memory``: run a hippocampal CA3 CAM experiment (spike-hw, spec §4.6)."""

from __future__ import annotations

import argparse
import math

NAME = "cam-memory"
HELP = "Run a CA3 content-addressable-memory experiment (functional, stress, flag-map)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Experiment name and the open STDP choices."""
    parser.add_argument("--experiment", default="functional", help="functional, stress or flag-map")
    parser.add_argument(
        "--stdp-window", type=float, default=1.0, help="STDP pairing window in ms (inf: none)"
    )
    parser.add_argument(
        "--stdp-post-delay", type=int, default=1, help="steps added to post spike times in STDP"
    )


def run(args: argparse.Namespace) -> int:
    """Print every recall next to its expected output; exit 1 if any differs."""
    from spike_hw.cam import CAMConfig, run_experiment

    if math.isnan(args.stdp_window) or args.stdp_window < 0:
        raise ValueError(f"--stdp-window must be >= 0, got {args.stdp_window}")
    cfg = CAMConfig(stdp_window=args.stdp_window, stdp_post_delay=args.stdp_post_delay)
    rows = run_experiment(args.experiment, cfg)
    for r in rows:
        mark = "ok  " if r["ok"] else "DIFF"
        exp = f"cues {r['expected_cues']}"
        if r["expected_content"] is not None:
            exp += f" content {r['expected_content']}"
        print(
            f"{mark} t={r['t']:4d} {r['kind']:<14} {r['query']!s:<12} -> cues {r['cues']} "
            f"content {r['content']}   (expected {exp})"
        )
    good = sum(r["ok"] for r in rows)
    print(f"{good}/{len(rows)} recalls as expected")
    return 0 if good == len(rows) else 1
