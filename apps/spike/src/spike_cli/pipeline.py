"""The demo pipeline, as a function the CLI and the tests share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spike_cli.data import load_digits_split
from spike_cli.progress import progress_bar
from spike_cli.reporting import write_report

__all__ = ["evaluate", "run_demo", "train_classifier"]


def evaluate(
    model: nn.Module, x_seq: torch.Tensor, y: torch.Tensor, batch_size: int = 512
) -> float:
    """Accuracy of ``model`` (output ``[T, B, K]`` averaged over T) on time-major ``x_seq``."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, y.numel(), batch_size):
            out = model(x_seq[:, i : i + batch_size]).mean(0)
            correct += int((out.argmax(-1) == y[i : i + batch_size]).sum())
    return correct / y.numel()


def train_classifier(
    model: nn.Module,
    x_seq: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
    desc: str = "train",
) -> list[float]:
    """Train on time-major ``x_seq`` ``[T, N, ...]`` with cross-entropy on the time-averaged output.

    Returns:
        The mean loss of each epoch.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    n = y.numel()
    steps = epochs * ((n + batch_size - 1) // batch_size)
    with progress_bar(total=steps, desc=desc, enabled=progress) as bar:
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for i in range(0, n, batch_size):
                idx = perm[i : i + batch_size]
                loss = nn.functional.cross_entropy(model(x_seq[:, idx]).mean(0), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * idx.numel()
                bar.update(1)
            losses.append(total / n)
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    return losses


def run_demo(
    *, out: Path, epochs: int = 15, time_steps: int = 4, seed: int = 0, progress: bool = True
) -> dict[str, Any]:
    """Train a LIF network on the UCI digits, evaluate it, write figures and a report.

    Returns:
        The numbers of the report (also written to ``out/results.json``).
    """
    import spike_core
    from spike_core.plot import raster_plot

    torch.manual_seed(seed)
    data = load_digits_split(seed=seed)
    model = spike_core.create_model("spiking-mlp", time_steps=time_steps)
    x_train = spike_core.direct_encode(data.x_train, time_steps).contiguous()
    x_test = spike_core.direct_encode(data.x_test, time_steps).contiguous()
    losses = train_classifier(
        model, x_train, data.y_train, epochs=epochs, seed=seed, progress=progress, desc="SNN"
    )
    acc = evaluate(model, x_test, data.y_test)
    out.mkdir(parents=True, exist_ok=True)
    with spike_core.SpikeMonitor(model, record=True) as mon:
        model.eval()
        with torch.no_grad():
            model(x_test[:, :1])
    hidden = next(iter(mon.records.values()))[0]
    raster = raster_plot(hidden, out / "raster.png", title="Hidden-layer spikes, first test digit")
    import matplotlib.pyplot as plt

    plt.close(raster)
    results: dict[str, Any] = {
        "time_steps": time_steps,
        "epochs": epochs,
        "train_losses": losses,
        "snn_accuracy": acc,
        "hidden_firing_rate": mon.firing_rates(),
        "num_parameters": spike_core.count_parameters(model),
    }
    report = write_report(out, results, figures={"Hidden-layer raster": "raster.png"})
    (out / "results.json").write_text(json.dumps(results, indent=2))
    results["report"] = report
    return results
