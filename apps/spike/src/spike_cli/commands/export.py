"""``spike export``: export a registered (optionally trained) model to NIR or to a PyNN script."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "Export a registered model (with optional weights) to a NIR file or a PyNN script."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Model name, target format, output file and export options."""
    parser.add_argument("model", help="registered model name (see `spike info`)")
    parser.add_argument("--to", choices=("nir", "pynn"), required=True, help="target format")
    parser.add_argument("--output", "-o", required=True, help="file to write (.nir or .py)")
    parser.add_argument("--weights", help="state dict to load (.safetensors or .pt/.pth)")
    parser.add_argument(
        "--input-shape", help="one sample's shape without T and B, e.g. 1,8,8 (default: model's)"
    )
    parser.add_argument("--dt", type=float, default=1e-4, help="time step in seconds (1e-4)")


def _load_weights(model: object, path: Path) -> None:
    import torch

    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict")
    model.load_state_dict(state)  # type: ignore[attr-defined]


def _shape(text: str | None, model: object) -> tuple[int, ...]:
    if text:
        try:
            shape = tuple(int(s) for s in text.split(","))
        except ValueError as exc:
            raise ValueError(f"--input-shape must be comma-separated ints, got {text!r}") from exc
        if not shape or min(shape) < 1:
            raise ValueError(f"--input-shape must be positive, got {text!r}")
        return shape
    example = getattr(model, "example_input", None)
    if example is None:
        raise ValueError("model has no example_input: pass --input-shape")
    return tuple(example(1, 1).shape[2:])


def run(args: argparse.Namespace) -> int:
    """Build the model, load weights, export, and print a one-line summary."""
    import spike_core

    if args.model not in spike_core.list_models():
        raise ValueError(f"unknown model {args.model!r}; see `spike info` for registered models")
    model = spike_core.create_model(args.model)
    if args.weights:
        _load_weights(model, Path(args.weights))
    model.eval()
    shape = _shape(args.input_shape, model)
    out = Path(args.output)
    from spike_hw import to_nir, write_nir

    graph = to_nir(model, input_shape=shape, dt=args.dt)
    if args.to == "nir":
        write_nir(graph, out)
    else:
        from spike_hw import nir_to_pynn_script

        text = nir_to_pynn_script(graph, dt=args.dt)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(out)
    print(f"wrote {out} ({args.to}, {len(graph.nodes)} nodes, dt={args.dt:g} s)")
    return 0
