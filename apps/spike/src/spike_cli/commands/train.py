"""``spike train``: train a registered model on an embedded or local data set."""

from __future__ import annotations

import argparse
import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

NAME = "train"
HELP = "Train a registered model (config from a TOML file or flags), with atomic checkpoints and --resume."

_FLAGS = {
    "model": str,
    "dataset": str,
    "data_path": str,
    "epochs": int,
    "batch_size": int,
    "lr": float,
    "time_steps": int,
    "seed": int,
    "out": str,
    "checkpoint_every": int,
    "max_steps": int,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags mirror :class:`spike_cli.training.TrainConfig`; flags override the TOML file."""
    parser.add_argument(
        "--config", type=Path, help="TOML file with TrainConfig keys ([model] table for overrides)"
    )
    for name, typ in _FLAGS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=typ, default=None)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="model config override, e.g. --set hidden=[256] --set num_classes=10",
    )
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoints")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key, tuple(parsed) if isinstance(parsed, list) else parsed


def config_from_args(args: argparse.Namespace) -> Any:
    """Merge the TOML file (if any) and the flags into a TrainConfig."""
    from spike_cli.training import TrainConfig

    values: dict[str, Any] = {}
    overrides: dict[str, Any] = {}
    if args.config is not None:
        if not args.config.is_file():
            raise FileNotFoundError(f"--config {args.config} does not exist")
        try:
            doc = tomllib.loads(args.config.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"--config {args.config}: {exc}") from exc
        overrides.update(
            {k: tuple(v) if isinstance(v, list) else v for k, v in doc.pop("model", {}).items()}
        )
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ValueError(f"--config {args.config}: unknown keys {unknown}")
        values.update(doc)
    values.update({k: getattr(args, k) for k in _FLAGS if getattr(args, k) is not None})
    overrides.update(dict(_parse_override(s) for s in args.overrides))
    return TrainConfig(**values, model_overrides=overrides)


def run(args: argparse.Namespace) -> int:
    """Train and print the metrics of every epoch."""
    from spike_cli.training import train

    cfg = config_from_args(args)
    result = train(cfg, resume=args.resume, progress=not args.quiet)
    if result["history"]:
        print(
            f"final test accuracy {result['history'][-1]['test_accuracy']:.4f} after {result['steps']} steps"
        )
    return 0
