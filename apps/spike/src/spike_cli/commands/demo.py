"""``spike demo``: the main job, end to end on the embedded UCI digits."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = "Train a spiking network on the embedded UCI digits and write a report with figures."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``spike demo``."""
    parser.add_argument("--out", type=Path, default=Path("spike-report"), help="report folder")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs of the SNN")
    parser.add_argument("--time-steps", type=int, default=4, help="simulation steps T")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Train, evaluate, plot; print where the report is."""
    from spike_cli.pipeline import run_demo

    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    if args.time_steps < 1:
        raise ValueError(f"--time-steps must be >= 1, got {args.time_steps}")
    start = time.perf_counter()
    result = run_demo(
        out=args.out,
        epochs=args.epochs,
        time_steps=args.time_steps,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(f"SNN test accuracy: {result['snn_accuracy']:.4f}")
    print(f"Report: {result['report']}  ({time.perf_counter() - start:.1f} s)")
    return 0
