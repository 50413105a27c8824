"""``spike demo``: the main job, end to end on the embedded UCI digits."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = "The main job on the embedded UCI digits: train, quantize, convert losslessly, count energy, export to NIR, report."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``spike demo``."""
    parser.add_argument("--out", type=Path, default=Path("spike-report"), help="report folder")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs of the SNN")
    parser.add_argument("--time-steps", type=int, default=4, help="simulation steps T")
    parser.add_argument(
        "--levels", type=int, default=8, help="quantization levels L of the converted ANN"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Train, evaluate, plot; print where the report is."""
    from spike_cli.pipeline import run_demo

    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    if args.levels < 1:
        raise ValueError(f"--levels must be >= 1, got {args.levels}")
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
    print(f"LIF SNN (surrogate gradients) test accuracy: {result['snn_accuracy']:.4f}")
    print(
        f"ReLU ANN {result['ann_accuracy']:.4f} | quantized ANN (L={args.levels}) {result['qann_accuracy']:.4f}"
        f" | converted SNN {result['snn_converted_accuracy']:.4f}"
        f" | max |SNN - QANN| = {result['conversion_max_abs_error']:.2e}"
    )
    print(
        f"Energy per sample (45 nm): ANN {result['ann_energy_j'] * 1e9:.3f} nJ,"
        f" converted SNN {result['snn_energy_j'] * 1e9:.3f} nJ"
    )
    print(
        f"NIR: {args.out / result['nir_file']} (round-trip max diff {result['nir_roundtrip_max_abs_diff']:.1e})"
    )
    print(f"Report: {result['report']}  ({time.perf_counter() - start:.1f} s)")
    return 0
