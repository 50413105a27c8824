"""SpikeGPT checkpoints as safetensors files (weights + config + optional character vocabulary).

The config and the vocabulary travel in the file's string metadata, so a checkpoint is
self-describing and loads without pickle.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import torch

from spike_seq.charlm import CharTokenizer
from spike_seq.spikegpt import SpikeGPT, SpikeGPTConfig

__all__ = ["load_spikegpt", "save_spikegpt"]

_FORMAT = "spike-seq/spikegpt/1"


def save_spikegpt(
    path: str | Path, model: SpikeGPT, tokenizer: CharTokenizer | None = None
) -> Path:
    """Write ``model`` (and ``tokenizer``) to a safetensors file atomically (temp file + rename).

    Args:
        path: destination file.
        model: the model.
        tokenizer: the character vocabulary, stored with the weights.

    Returns:
        The path written.
    """
    from safetensors.torch import save_file

    path = Path(path)
    meta = {"format": _FORMAT, "config": json.dumps(dataclasses.asdict(model.config))}
    if tokenizer is not None:
        meta["chars"] = json.dumps(tokenizer.chars)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=meta)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_spikegpt(
    path: str | Path, *, device: str | torch.device = "cpu"
) -> tuple[SpikeGPT, CharTokenizer | None]:
    """Load a checkpoint written by :func:`save_spikegpt`.

    Args:
        path: the safetensors file.
        device: where to put the model.

    Returns:
        ``(model in eval mode, tokenizer or None)``.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the file is not a readable SpikeGPT checkpoint.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(
            f"checkpoint {str(path)!r} is not a readable safetensors file: {exc}"
        ) from None
    if meta.get("format") != _FORMAT or "config" not in meta:
        raise ValueError(
            f"checkpoint {str(path)!r} is not a SpikeGPT checkpoint (format {meta.get('format')!r})"
        )
    try:
        config = SpikeGPTConfig(**json.loads(meta["config"]))
        chars = json.loads(meta["chars"]) if "chars" in meta else None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint {str(path)!r} has corrupt metadata: {exc}") from None
    model = SpikeGPT(dataclasses.replace(config, init="torch"))  # weights are overwritten
    model.config = config
    try:
        model.load_state_dict(tensors)
    except RuntimeError as exc:
        raise ValueError(f"checkpoint {str(path)!r} does not match its config: {exc}") from None
    model = model.to(device).eval()
    tok = CharTokenizer(chars) if chars is not None else None
    return model, tok
