"""``spike train``'s loop: any registered classifier on an embedded or local data set.

Deterministic by construction: the sample order of epoch ``e`` is a permutation seeded by
``seed + e``, so a run resumed from a checkpoint at (epoch, batch) continues bit for bit. Under
``torchrun`` (``WORLD_SIZE > 1``) the loop joins the process group (gloo on CPU, nccl on CUDA),
wraps the model in DistributedDataParallel and gives each rank an equal shard of every global batch;
rank 0 writes the checkpoints.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spike_cli.checkpoint import load_checkpoint, save_checkpoint
from spike_cli.data import Split, load_digits_split
from spike_cli.metrics import evaluate
from spike_cli.progress import progress_bar

__all__ = ["TrainConfig", "load_dataset", "train"]

DATASETS = ("digits", "digits-images", "npz")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything a training run depends on (flags or a TOML file)."""

    model: str = "spiking-mlp"
    dataset: str = "digits"
    data_path: str | None = None
    epochs: int = 5
    batch_size: int = 64
    lr: float = 3e-3
    time_steps: int = 4
    seed: int = 0
    out: str = "runs/train"
    checkpoint_every: int = 0
    max_steps: int = 0
    model_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field."""
        for name in ("epochs", "batch_size", "time_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        if self.dataset == "npz" and not self.data_path:
            raise ValueError(
                "dataset 'npz' needs data_path (an .npz with x_train, y_train, x_test, y_test)"
            )


def load_dataset(cfg: TrainConfig) -> Split:
    """The data of ``cfg``: the embedded digits, or a local ``.npz`` with four arrays."""
    if cfg.dataset in ("digits", "digits-images"):
        return load_digits_split(seed=0, images=cfg.dataset == "digits-images")
    path = Path(cfg.data_path or "")
    if not path.is_file():
        raise FileNotFoundError(f"data_path {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except (KeyError, ValueError, OSError) as exc:
        raise ValueError(
            f"{path}: expected an .npz with x_train, y_train, x_test, y_test ({exc})"
        ) from exc
    x_tr, x_te = (torch.as_tensor(arrays[k], dtype=torch.float32) for k in ("x_train", "x_test"))
    y_tr, y_te = (torch.as_tensor(arrays[k], dtype=torch.int64) for k in ("y_train", "y_test"))
    if len(x_tr) != len(y_tr) or len(x_te) != len(y_te):
        raise ValueError(f"{path}: x and y lengths differ")
    return Split(x_tr, y_tr, x_te, y_te)


def fit_to_model(data: Split, model: nn.Module, *, model_name: str) -> Split:
    """Adapt the embedded digits to the input a model expects (from its ``example_input``).

    Vector models (``[T, B, F]``) take the 64 pixels when ``F == 64``; image models
    (``[T, B, C, H, W]``) take the digits resized to ``H x W`` (bilinear) and repeated over ``C``
    channels. Other inputs (point clouds, token ids, recordings) have their own commands.

    Raises:
        ValueError: naming the model and the input it expects when the digits cannot fit it.
    """
    example = getattr(model, "example_input", None)
    if example is None:
        return data
    shape = tuple(example(batch_size=1, time_steps=1).shape)
    x = data.x_train
    if len(shape) == 3 and x.dim() == 2 and shape[2] == x.shape[1]:
        return data
    if len(shape) == 5:
        c, h, w = shape[2:]

        def fit(images: torch.Tensor) -> torch.Tensor:
            images = images.reshape(len(images), 1, 8, 8)
            if (h, w) != (8, 8):
                images = nn.functional.interpolate(
                    images, size=(h, w), mode="bilinear", align_corners=False
                )
            return images.expand(-1, c, -1, -1).contiguous()

        return Split(fit(data.x_train), data.y_train, fit(data.x_test), data.y_test)
    raise ValueError(
        f"model {model_name!r} expects input {list(shape)} ([T, B, ...]); the embedded digits fit "
        "vector models with 64 features and image models only. Use dataset 'npz' with matching "
        "arrays, or the model's own command (spike pointcloud, spike bmi, spike generate, ...)"
    )


def _dist_info() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend=backend)
    if torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def train(cfg: TrainConfig, *, resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train ``cfg.model`` on ``cfg.dataset``; return per-epoch metrics and the final model.

    Returns:
        ``{"history": [{"epoch", "loss", "test_accuracy"}...], "model": nn.Module, "steps": int}``.
    """
    import spike_core

    cfg.validate()
    rank, world = _dist_info()
    if cfg.batch_size % world:
        raise ValueError(f"batch_size {cfg.batch_size} must be divisible by the world size {world}")
    torch.manual_seed(cfg.seed)
    data = load_dataset(cfg)
    model = spike_core.create_model(cfg.model, **cfg.model_overrides)
    if cfg.dataset != "npz":
        data = fit_to_model(data, model, model_name=cfg.model)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    out = Path(cfg.out)
    epoch, start_batch, step, history = 0, 0, 0, []
    if resume:
        st = load_checkpoint(out / "checkpoints", model=model, optimizer=opt)
        epoch, start_batch, step, history = st["epoch"], st["batch"], st["step"], st["history"]
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model)
    x_train = spike_core.direct_encode(data.x_train, cfg.time_steps)
    x_test = spike_core.direct_encode(data.x_test, cfg.time_steps)
    n = data.y_train.numel()
    per_epoch = (n + cfg.batch_size - 1) // cfg.batch_size
    state = dataclasses.asdict(cfg)
    with progress_bar(
        total=cfg.epochs * per_epoch, desc=cfg.model, enabled=progress and rank == 0
    ) as bar:
        bar.update(epoch * per_epoch + start_batch)
        while epoch < cfg.epochs:
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed + epoch))
            net.train()
            for b in range(start_batch, per_epoch):
                idx = perm[b * cfg.batch_size : (b + 1) * cfg.batch_size]
                idx = idx[rank::world]  # this rank's shard of the global batch
                loss = nn.functional.cross_entropy(net(x_train[:, idx]).mean(0), data.y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
                last = b + 1 == per_epoch
                if (
                    cfg.checkpoint_every
                    and step % cfg.checkpoint_every == 0
                    and rank == 0
                    and not last
                ):
                    save_checkpoint(
                        out / "checkpoints",
                        step=step,
                        model=model,
                        optimizer=opt,
                        state={**state, "epoch": epoch, "batch": b + 1, "history": history},
                    )
                if cfg.max_steps and step >= cfg.max_steps:
                    return {"history": history, "model": model, "steps": step}
            acc = evaluate(model, x_test, data.y_test)
            history.append({"epoch": epoch + 1, "loss": loss.item(), "test_accuracy": acc})
            if rank == 0:
                print(
                    f"epoch {epoch + 1}/{cfg.epochs}  loss {loss.item():.4f}  test accuracy {acc:.4f}"
                )
            epoch, start_batch = epoch + 1, 0
            if rank == 0 and cfg.checkpoint_every:
                save_checkpoint(
                    out / "checkpoints",
                    step=step,
                    model=model,
                    optimizer=opt,
                    state={**state, "epoch": epoch, "batch": 0, "history": history},
                )
    return {"history": history, "model": model, "steps": step}
