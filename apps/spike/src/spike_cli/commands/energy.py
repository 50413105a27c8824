"""``spike energy``: operations and energy of a registered model, as a table (and CSV/JSON/PNG)."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

NAME = "energy"
HELP = "Count synaptic operations and estimate the energy of a registered model on an input."


def _ints(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(v) for v in text.replace("x", ",").split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints, got {text!r}") from None
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return dims


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``spike energy``."""
    parser.add_argument("model", help="registered model name (see `spike info`)")
    parser.add_argument(
        "--input-shape",
        type=_ints,
        help="per-step sample shape, e.g. 2,128,128 (input is [T, B, *shape]); "
        "default: the model's example input",
    )
    parser.add_argument("--timesteps", "-T", type=int, default=4, help="time steps T")
    parser.add_argument("--batch-size", type=int, default=1, help="batch size B")
    parser.add_argument(
        "--spike-rate",
        type=float,
        help="random binary spikes with this rate instead of uniform [0, 1) values",
    )
    parser.add_argument(
        "--weights", type=Path, help="weights file (.safetensors or state dict .pt)"
    )
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="config override"
    )
    parser.add_argument("--mode", default="yao", choices=("yao", "syops", "neurobench"))
    parser.add_argument("--profile", default="45nm", help="hardware profile (default 45nm)")
    parser.add_argument("--first-layer", default="once", choices=("once", "per_step"))
    parser.add_argument(
        "--include", default="", help="extra costs: comma list of bias,norm,pool,neuron"
    )
    parser.add_argument("--memory", action="store_true", help="add memory-access energy")
    parser.add_argument("--csv", type=Path, help="write the per-layer table as CSV")
    parser.add_argument("--json", type=Path, help="write the report as JSON")
    parser.add_argument("--png", type=Path, help="write the per-layer energy bar chart")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input")


def _overrides(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--config expects KEY=VALUE, got {item!r}")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _load_weights(model: Any, path: Path) -> None:
    import torch

    if not path.is_file():
        raise FileNotFoundError(f"--weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"--weights {path} does not hold a state dict")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(f"--weights {path} does not match the model: {exc}") from exc


def _input(model: Any, args: argparse.Namespace, time_major: bool) -> Any:
    import torch

    if args.input_shape is None:
        if not hasattr(model, "example_input"):
            raise ValueError(f"model {args.model!r} has no example input: pass --input-shape")
        x = model.example_input(batch_size=args.batch_size, time_steps=args.timesteps)
        if args.spike_rate is None:
            return x
        shape = tuple(x.shape)
    else:
        lead = (args.timesteps, args.batch_size) if time_major else (args.batch_size,)
        shape = lead + args.input_shape
    g = torch.Generator().manual_seed(args.seed)
    u = torch.rand(shape, generator=g)
    return (u < args.spike_rate).float() if args.spike_rate is not None else u


def run(args: argparse.Namespace) -> int:
    """Build the model, count one forward pass, print the table and write the files."""
    import torch

    import spike_core
    from spike_energy import Counter, MemoryModel, get_profile

    if args.timesteps < 1 or args.batch_size < 1:
        raise ValueError("--timesteps and --batch-size must be >= 1")
    if args.spike_rate is not None and not 0 <= args.spike_rate <= 1:
        raise ValueError(f"--spike-rate must be in [0, 1], got {args.spike_rate}")
    get_profile(args.profile)
    include = tuple(v.strip() for v in args.include.split(",") if v.strip())
    torch.manual_seed(args.seed)
    model = spike_core.create_model(args.model, **_overrides(args.config)).eval()
    if args.weights is not None:
        _load_weights(model, args.weights)
    counter = Counter(model, mode=args.mode, first_layer=args.first_layer, include=include)
    x = _input(model, args, counter.time_major)
    with counter, torch.no_grad():
        try:
            model(x)
        except (RuntimeError, IndexError, ValueError) as exc:
            raise ValueError(
                f"model {args.model!r} failed on input of shape {tuple(x.shape)}: {exc}"
            ) from exc
    report = counter.report(args.profile, memory=MemoryModel() if args.memory else None)
    print(f"{args.model}: input {tuple(x.shape)}")
    print(report.table())
    if args.csv:
        report.to_csv(args.csv)
        print(f"CSV: {args.csv}")
    if args.json:
        report.to_json(args.json)
        print(f"JSON: {args.json}")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        report.plot(args.png)
        print(f"PNG: {args.png}")
    return 0
