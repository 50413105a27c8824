"""``spike models``: registered models, by family, with their parameter counts."""

from __future__ import annotations

import argparse

NAME = "models"
HELP = "List registered models (optionally one family) with their parameter counts."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``spike models``."""
    parser.add_argument("--family", help="only this family (e.g. spikformer, e3dsnn)")
    parser.add_argument(
        "--count", action="store_true", help="also build each model on the meta device and count"
    )


def run(args: argparse.Namespace) -> int:
    """Print one row per model."""
    import spike_core

    names = spike_core.list_models(args.family)
    if not names:
        families = sorted({spike_core.model_entry(n).family for n in spike_core.list_models()})
        raise ValueError(f"no models in family {args.family!r}; families: {families}")
    header = f"{'model':<34} {'family':<20} {'params (spec)':>15}"
    print(header + (f" {'params (built)':>15}" if args.count else ""))
    for name in names:
        e = spike_core.model_entry(name)
        spec = f"{e.num_params:,}" if e.num_params else "-"
        row = f"{name:<34} {e.family:<20} {spec:>15}"
        if args.count:
            row += f" {spike_core.meta_parameter_count(name):>15,}"
        print(row)
    return 0
