"""Atomic training checkpoints: safetensors weights + a JSON state, published by a pointer file.

A checkpoint at step ``n`` is two files, ``step-<n>.safetensors`` (model and optimizer tensors, the
RNG state) and ``step-<n>.json`` (epoch, step, optimizer hyper-parameters, config). Each is written
to a temporary file and renamed; only then is ``latest.json`` replaced (also by rename) to point at
them. A run killed at any instant therefore leaves either the previous checkpoint or the new one
referenced, never a half-written file. Loading uses safetensors (no pickle).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

__all__ = ["load_checkpoint", "save_checkpoint"]

_KEEP = 2


def _atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with Path(tmp).open("rb") as f:
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_json(path: Path, obj: Any) -> None:
    _atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(obj, indent=2)))


def save_checkpoint(
    folder: Path,
    *,
    step: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
) -> Path:
    """Write the checkpoint of ``step`` into ``folder`` and publish it; returns the weights path.

    Args:
        folder: checkpoint folder (created).
        step: global optimizer step.
        model: the model (its ``state_dict`` is saved).
        optimizer: the optimizer (tensor state to safetensors, the rest to JSON).
        state: JSON-serialisable training state (epoch, position, config...).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    opt_meta: dict[str, Any] = {"param_groups": opt["param_groups"], "state": {}}
    for idx, pstate in opt["state"].items():
        opt_meta["state"][str(idx)] = []
        for name, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{idx}.{name}"] = value.detach().contiguous().cpu()
                opt_meta["state"][str(idx)].append(name)
            else:
                raise TypeError(f"optimizer state {name!r} is not a tensor; cannot checkpoint it")
    tensors["rng.torch"] = torch.get_rng_state()
    name = f"step-{step:08d}"
    weights = folder / f"{name}.safetensors"
    _atomic(weights, lambda tmp: save_file(tensors, tmp))
    _write_json(folder / f"{name}.json", {"step": step, "optimizer": opt_meta, **state})
    _write_json(folder / "latest.json", {"name": name, "step": step})
    for old in sorted(folder.glob("step-*.safetensors"))[:-_KEEP]:
        old.unlink(missing_ok=True)
        old.with_suffix(".json").unlink(missing_ok=True)
    return weights


def load_checkpoint(
    folder: Path, *, model: nn.Module, optimizer: torch.optim.Optimizer | None = None
) -> dict[str, Any]:
    """Restore the latest checkpoint of ``folder`` into ``model`` (and ``optimizer``).

    Returns:
        The JSON state saved with it.

    Raises:
        FileNotFoundError: when ``folder`` holds no published checkpoint.
        ValueError: when the checkpoint is corrupt or does not match the model.
    """
    pointer = folder / "latest.json"
    if not pointer.is_file():
        raise FileNotFoundError(f"no checkpoint in {folder} (missing latest.json)")
    try:
        name = json.loads(pointer.read_text())["name"]
        state = json.loads((folder / f"{name}.json").read_text())
        tensors = load_file(str(folder / f"{name}.safetensors"))
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"corrupt checkpoint in {folder}: {exc}") from exc
    model_sd = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(model_sd)
    except RuntimeError as exc:
        raise ValueError(f"checkpoint in {folder} does not match the model: {exc}") from exc
    if optimizer is not None:
        meta = state["optimizer"]
        opt_state = {
            int(idx): {n: tensors[f"optim.{idx}.{n}"] for n in names}
            for idx, names in meta["state"].items()
        }
        optimizer.load_state_dict({"state": opt_state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    return state
