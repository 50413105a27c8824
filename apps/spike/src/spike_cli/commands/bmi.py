"""``spike bmi``: train a BMI decoder on reaching data and compare R² with and without filters."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "bmi"
HELP = "Train a neural decoder on (synthetic or local .mat) reaching data; R² with and without Bessel filters."

_MODELS = ("snn-streaming", "snn-3d", "ann", "ann-3d", "lstm", "lstm-streaming")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: data source, decoder, training budget, filter selection and the figure."""
    parser.add_argument("--model", choices=_MODELS, default="snn-streaming", help="decoder")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="a local NeuroBench .mat file (default: the embedded synthetic data set)",
    )
    parser.add_argument("--channels", type=_positive_int, default=96, help="synthetic channels")
    parser.add_argument("--duration", type=float, default=240.0, help="synthetic seconds")
    parser.add_argument("--steps", type=_positive_int, default=300, help="training steps")
    parser.add_argument(
        "--window", type=_positive_int, default=200, help="bins per training window"
    )
    parser.add_argument("--batch-size", type=_positive_int, default=16, help="windows per step")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and training")
    parser.add_argument(
        "--select",
        action="store_true",
        help="also choose a Bessel filter on the validation split (small grid)",
    )
    parser.add_argument(
        "--max-latency-ms", type=float, default=None, help="latency budget for --select"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bmi_decoding.png"), help="PNG of decoded vs true velocity"
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")
    parser.add_argument("--threads", type=_positive_int, default=None, help="torch CPU threads")


def run(args: argparse.Namespace) -> int:
    """Train, evaluate on the test split, print the table and write the figure."""
    import torch

    import spike_bmi as sb

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.data is not None:
        session: sb.ReachingSession = sb.PrimateReaching(args.data)
        source = str(args.data)
    else:
        if args.duration <= 0:
            raise ValueError(f"--duration must be positive, got {args.duration}")
        cfg = sb.SyntheticReachingConfig(
            n_channels=args.channels, duration_s=args.duration, seed=args.seed
        )
        session = sb.synthetic_session(cfg)
        source = f"synthetic ({args.channels} channels, {args.duration:g} s)"
    model = sb.build_decoder(args.model, input_dim=session.n_channels)
    print(f"data: {source}; decoder: {args.model} ({model.num_parameters():,} parameters)")
    losses = sb.train_decoder(
        model,
        session,
        steps=args.steps,
        window=args.window,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
    )
    print(f"trained {args.steps} steps: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    filters = [sb.bessel_filter("low_latency"), sb.bessel_filter("high_accuracy")]
    if args.select:
        xv, yv = session.split("val")
        choice = sb.select_filter(
            sb.decode(model, xv),
            yv,
            orders=(2, 4, 6),
            cutoffs=(2.0, 3.0, 5.0, 8.0),
            blocks=(10, 25, 50),
            max_latency_ms=args.max_latency_ms,
        )
        filters.append(choice.filter.with_options(name=f"selected-{choice.filter.name}"))
    rows, traces = sb.evaluate_decoder(model, session, filters=filters)
    print(
        f"{'filter':<44}{'R2':>8}{'R2 x':>8}{'R2 y':>8}{'dR2':>8}{'lat ms':>8}{'MAC/bin':>9}{'ops/bin':>9}"
    )
    for r in rows:
        print(
            f"{r.name:<44}{r.r2:>8.4f}{r.r2_per_axis[0]:>8.4f}{r.r2_per_axis[1]:>8.4f}"
            f"{r.delta:>+8.4f}{r.latency_ms:>8.0f}{r.filter_macs_per_bin:>9}{r.decoder_ops:>9}"
        )
    if not args.no_plot:
        shown = {k: v for k, v in traces.items() if k in ("raw", "bessel-high-accuracy")}
        path = sb.plot_decoding(
            traces["true"], shown, args.out, title=f"{args.model} on {source} (test split)"
        )
        print(f"figure: {path}")
    return 0
