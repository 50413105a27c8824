"""The demo pipeline, as functions the CLI and the tests share.

``run_demo`` is the main job of the toolkit on the embedded UCI digits, end to end across packages:

1. train a LIF spiking MLP directly with surrogate gradients (spike-core) and plot its raster;
2. train the same-shaped ReLU MLP, quantize its activations to ``L`` levels and convert it
   losslessly to a BIF spiking network (spike-convert), reporting ANN, quantized ANN and SNN
   accuracy and the exact conversion error ``max |SNN - QANN|``;
3. count operations and energy of the SNN and of the ANN (spike-energy, 45 nm profile);
4. export the LIF SNN to NIR and read it back (spike-hw);
5. write ``report.md`` with the figures, ``results.json`` with every number, and the weights
   (safetensors) from which the tests recompute those numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spike_cli.data import Split, load_digits_split
from spike_cli.metrics import evaluate
from spike_cli.progress import progress_bar
from spike_cli.reporting import write_report
from spike_core import atomic_write_text

__all__ = [
    "build_ann",
    "convert_ann",
    "evaluate",
    "measure_conversion",
    "measure_energy",
    "run_demo",
    "train_classifier",
]

HIDDEN = 128


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

    A static (ANN) model is trained by passing ``x_seq`` with ``T = 1``.

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


class _Static(nn.Module):
    """Run a batch-major ANN on a time-major ``[1, B, ...]`` tensor (for the shared train loop)."""

    def __init__(self, ann: nn.Module) -> None:
        super().__init__()
        self.ann = ann

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        return self.ann(x_seq[0]).unsqueeze(0)


def build_ann(in_features: int = 64, hidden: int = HIDDEN, num_classes: int = 10) -> nn.Sequential:
    """The ReLU MLP with the same shape as the demo's spiking MLP."""
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


def convert_ann(
    ann: nn.Module, calibration: torch.Tensor, *, levels: int
) -> tuple[nn.Module, nn.Module]:
    """Quantize ``ann``'s activations to ``levels`` steps and convert it to a BIF SNN.

    The SNN emits unit spikes in ``{-1, 0, 1}`` (thresholds folded into the next synapse), so
    operation counters see accumulates.

    Returns:
        ``(qann, snn)``.
    """
    import spike_convert

    qann = spike_convert.quantize_cnn(ann, levels=levels, calibration=calibration)
    return qann, spike_convert.convert_cnn(qann, unit_spikes=True)


def measure_conversion(qann: nn.Module, snn: nn.Module, data: Split) -> dict[str, Any]:
    """Accuracies of the quantized ANN and of the SNN and the exact conversion error on the test set."""
    with torch.no_grad():
        q_out = qann.eval()(data.x_test)
        res = snn.run(data.x_test)  # type: ignore[operator]
    y = data.y_test
    return {
        "qann_accuracy": float((q_out.argmax(-1) == y).float().mean()),
        "snn_converted_accuracy": float((res.output.argmax(-1) == y).float().mean()),
        "conversion_max_abs_error": float((res.output - q_out).abs().max()),
        "conversion_prediction_agreement": float(
            (res.output.argmax(-1) == q_out.argmax(-1)).float().mean()
        ),
        "snn_converted_steps": int(res.steps),
        "snn_converted_quiet": bool(res.quiet),
    }


def measure_energy(ann: nn.Module, snn: nn.Module, x_test: torch.Tensor) -> tuple[Any, Any]:
    """Energy reports (45 nm profile) of the converted SNN and of the ANN, per test sample."""
    import spike_convert
    import spike_energy

    snn_report = spike_energy.estimate_energy(snn.eval(), spike_convert.s_analog_encode(x_test, 1))
    ann_report = spike_energy.estimate_energy(ann.eval(), x_test, time_major=False)
    return snn_report, ann_report


def _save_weights(path: Path, modules: dict[str, nn.Module]) -> None:
    from safetensors.torch import save_file

    tensors = {
        f"{k}.{n}": t.detach().contiguous()
        for k, m in modules.items()
        for n, t in m.state_dict().items()
    }
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path)


def _energy_figure(reports: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from spike_core.plot import save_figure

    fig, ax = plt.subplots(figsize=(6, 3.4))
    values = [r.energy * 1e9 for r in reports.values()]
    ax.bar(list(reports), values, color=["#888888", "#c0392b", "#2e86c1"][: len(values)])
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.2f} nJ", ha="center", va="bottom")
    ax.set(ylabel="energy per sample (nJ, 45 nm)", title="Inference energy on the UCI digits")
    save_figure(fig, path)
    plt.close(fig)


def run_demo(
    *,
    out: Path,
    epochs: int = 15,
    time_steps: int = 4,
    levels: int = 8,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the demo end to end and write the report into ``out``.

    Args:
        out: report folder (created).
        epochs: training epochs of the directly trained SNN and of the ANN.
        time_steps: simulation steps of the directly trained SNN.
        levels: quantization levels ``L`` of the converted network.
        seed: random seed.
        progress: show progress bars.

    Returns:
        Every number of the report (also in ``out/results.json``) plus ``"report"``, its path.
    """
    import matplotlib.pyplot as plt

    import spike_core
    import spike_hw
    from spike_core.plot import raster_plot

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    data = load_digits_split(seed=seed)
    with progress_bar(total=5, desc="spike demo", enabled=progress) as stages:
        # 1. Direct training of a LIF network with surrogate gradients.
        snn = spike_core.create_model("spiking-mlp", hidden=(HIDDEN,), time_steps=time_steps)
        x_train = spike_core.direct_encode(data.x_train, time_steps).contiguous()
        x_test = spike_core.direct_encode(data.x_test, time_steps).contiguous()
        losses = train_classifier(
            snn, x_train, data.y_train, epochs=epochs, seed=seed, progress=progress, desc="LIF SNN"
        )
        snn_acc = evaluate(snn, x_test, data.y_test)
        with spike_core.SpikeMonitor(snn, record=True) as mon, torch.no_grad():
            snn.eval()(x_test[:, :1])
        plt.close(
            raster_plot(
                next(iter(mon.records.values()))[0],
                out / "raster.png",
                title="LIF hidden-layer spikes, first test digit",
            )
        )
        with spike_core.SpikeMonitor(snn) as rates, torch.no_grad():
            snn(x_test)
        stages.update(1)

        # 2. ANN -> quantized ANN -> lossless BIF SNN.
        torch.manual_seed(seed)
        ann = build_ann()
        train_classifier(
            _Static(ann),
            data.x_train.unsqueeze(0),
            data.y_train,
            epochs=epochs,
            seed=seed,
            progress=progress,
            desc="ReLU ANN",
        )
        with torch.no_grad():
            ann_acc = float((ann.eval()(data.x_test).argmax(-1) == data.y_test).float().mean())
        qann, bif_snn = convert_ann(ann, data.x_train[:512], levels=levels)
        conversion = measure_conversion(qann, bif_snn, data)
        stages.update(1)

        # 3. Energy of both.
        snn_report, ann_report = measure_energy(ann, bif_snn, data.x_test)
        import spike_energy

        lif_report = spike_energy.estimate_energy(snn.eval(), x_test)
        _energy_figure(
            {
                "ReLU ANN": ann_report,
                "converted SNN": snn_report,
                f"LIF SNN (T={time_steps})": lif_report,
            },
            out / "energy.png",
        )
        stages.update(1)

        # 4. NIR export of the LIF network, and the read-back check.
        chain = nn.Sequential(snn.get_submodule("features"), snn.get_submodule("head"))
        graph = spike_hw.to_nir(chain, input_shape=(64,))
        spike_hw.write_nir(graph, out / "lif_snn.nir")
        back = spike_hw.from_nir(graph)
        with torch.no_grad():
            nir_diff = float((back(x_test[:, :64]) - chain(x_test[:, :64])).abs().max())
        try:
            spike_hw.to_nir(bif_snn.net, input_shape=(64,))  # type: ignore[arg-type]
            bif_nir = "exported"
        except ValueError as exc:
            bif_nir = f"not expressible in NIR: {exc}"
        stages.update(1)

        # 5. Report.
        _save_weights(out / "weights.safetensors", {"snn": snn, "ann": ann, "qann": qann})
        results: dict[str, Any] = {
            "seed": seed,
            "epochs": epochs,
            "time_steps": time_steps,
            "levels": levels,
            "snn_train_losses": losses,
            "snn_accuracy": snn_acc,
            "snn_hidden_firing_rate": next(iter(rates.firing_rates().values())),
            "ann_accuracy": ann_acc,
            **conversion,
            "snn_energy_j": snn_report.energy,
            "snn_acs": snn_report.acs,
            "snn_macs": snn_report.macs,
            "lif_snn_energy_j": lif_report.energy,
            "lif_snn_acs": lif_report.acs,
            "lif_snn_macs": lif_report.macs,
            "ann_energy_j": ann_report.energy,
            "ann_macs": ann_report.macs,
            "energy_ratio_ann_over_snn": ann_report.energy / snn_report.energy,
            "nir_file": "lif_snn.nir",
            "nir_nodes": sorted(graph.nodes),
            "nir_roundtrip_max_abs_diff": nir_diff,
            "bif_snn_nir": bif_nir,
        }
        atomic_write_text(out / "results.json", json.dumps(results, indent=2))
        report = write_report(
            out,
            results,
            figures={"LIF hidden-layer raster": "raster.png", "Energy per sample": "energy.png"},
        )
        stages.update(1)
    results["report"] = report
    return results
