"""``spike info``: installed Spike packages, registered models and kernel backends."""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

NAME = "info"
HELP = "List installed Spike packages, registered models and available kernel backends."

_PACKAGES = (
    "spike-core",
    "spike-quant",
    "spike-convert",
    "spike-vision",
    "spike-3d",
    "spike-seq",
    "spike-bmi",
    "spike-energy",
    "spike-hw",
    "spike-cam",
    "spike-cli",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""
    del parser


def run(args: argparse.Namespace) -> int:
    """Print the three lists."""
    del args
    import spike_core

    print("Packages:")
    for name in _PACKAGES:
        try:
            print(f"  {name:<14} {version(name)}")
        except PackageNotFoundError:
            print(f"  {name:<14} (not installed)")
    models = spike_core.list_models()
    print(f"Models ({len(models)}):")
    for name in models:
        e = spike_core.model_entry(name)
        n = f"{e.num_params:,}" if e.num_params else "-"
        print(f"  {name:<32} {e.family:<18} {n:>14} params")
    print("Kernel backends: " + ", ".join(spike_core.available_backends()))
    return 0
