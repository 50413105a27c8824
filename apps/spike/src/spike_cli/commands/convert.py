"""``spike convert``: train (or load) a network on embedded digits, quantize, convert losslessly.

Tasks: ``digits`` (8x8 UCI digits as images: an MLP or a small CNN, CNN-Morph) and ``s-digits`` /
``ps-digits`` (the digits read pixel by pixel, 64 elements, plain or permuted: an Elman ReLU RNN,
RNN-Morph). Prints ANN, quantized-ANN and SNN accuracy, the maximum absolute output difference
between the quantized ANN and the SNN, and the simulation time steps; ``--baseline`` adds the
rate-coded conversion's accuracy at several ``T``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import cast

NAME = "convert"
HELP = "Train or load a small ANN on embedded digits, convert it losslessly to a BIF SNN, compare."

_TASKS = ("digits", "s-digits", "ps-digits")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``spike convert``."""
    parser.add_argument("--task", choices=_TASKS, default="digits", help="dataset (default digits)")
    parser.add_argument(
        "--arch", choices=("mlp", "cnn"), default="mlp", help="network for --task digits"
    )
    parser.add_argument(
        "--levels", type=int, default=None, help="quantization steps L (8 digits, 16 sequences)"
    )
    parser.add_argument("--epochs", type=int, default=None, help="float training epochs")
    parser.add_argument("--qat-epochs", type=int, default=None, help="quantization-aware epochs")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units (default 64)")
    parser.add_argument("--lr", type=float, default=None, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--dtype", choices=("float32", "float64"), default="float64", help="SNN/QANN dtype"
    )
    parser.add_argument("--weights", type=Path, default=None, help="load ANN+QANN safetensors")
    parser.add_argument("--save", type=Path, default=None, help="save ANN+QANN safetensors")
    parser.add_argument(
        "--baseline", action="store_true", help="also run the rate-coded conversion (digits)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")


def _check(args: argparse.Namespace) -> None:
    if args.levels is not None and args.levels < 1:
        raise ValueError(f"--levels must be >= 1, got {args.levels}")
    if args.hidden < 1:
        raise ValueError(f"--hidden must be >= 1, got {args.hidden}")
    for name in ("epochs", "qat_epochs"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 0, got {value}")
    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    if args.weights is not None and not args.weights.exists():
        raise FileNotFoundError(f"--weights file not found: {args.weights}")


def _build(args: argparse.Namespace):
    import torch
    from torch import nn

    import spike_convert as sc

    torch.manual_seed(args.seed)
    h = args.hidden
    if args.task == "digits":
        if args.arch == "mlp":
            return nn.Sequential(
                nn.Flatten(), nn.Linear(64, h), nn.ReLU(), nn.Linear(h, h // 2), nn.ReLU(),
                nn.Linear(h // 2, 10),
            )  # fmt: skip
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(16 * 2 * 2, 10),
        )  # fmt: skip
    return sc.RNNClassifier(input_size=1, hidden_size=h, num_outputs=10)


def _data(args: argparse.Namespace):
    import spike_convert as sc

    if args.task == "digits":
        xtr, ytr = sc.digits_split("train")
        xte, yte = sc.digits_split("test")
        return xtr, ytr, xte, yte, 0
    permuted = args.task == "ps-digits"
    xtr, ytr = sc.sequential_digits("train", permuted=permuted)
    xte, yte = sc.sequential_digits("test", permuted=permuted)
    return xtr, ytr, xte, yte, 1


def _save(path: Path, ann, qann) -> None:
    from safetensors.torch import save_file

    tensors = {f"ann.{k}": v.detach().contiguous().cpu() for k, v in ann.state_dict().items()}
    tensors.update(
        {f"qann.{k}": v.detach().contiguous().cpu() for k, v in qann.state_dict().items()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path, ann, qann) -> None:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"--weights {path} is not a readable safetensors file: {exc}") from exc
    for prefix, module in (("ann.", ann), ("qann.", qann)):
        state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ValueError(
                f"--weights {path} does not match this task/architecture: {exc}"
            ) from exc


def run(args: argparse.Namespace) -> int:
    """Train or load, quantize, convert, evaluate and print the comparison table."""
    _check(args)
    import torch

    import spike_convert as sc

    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    xtr, ytr, xte, yte, bdim = _data(args)
    rnn = args.task != "digits"
    if args.levels is None:
        args.levels = 16 if rnn else 8
    ann = _build(args)
    epochs = args.epochs if args.epochs is not None else 30
    qat_epochs = args.qat_epochs if args.qat_epochs is not None else (0 if rnn else 10)
    lr = args.lr if args.lr is not None else 3e-3
    fit = {
        "batch_dim": bdim,
        "batch_size": 32 if rnn else 64,
        "clip_grad_norm": 1.0 if rnn else None,
    }
    quantize = sc.quantize_rnn if rnn else sc.quantize_cnn
    t0 = time.perf_counter()
    if args.weights is not None:
        qann = quantize(ann, levels=args.levels)
        _load(args.weights, ann, qann)
        source = f"loaded {args.weights}"
    else:
        sc.fit_classifier(ann, xtr, ytr, epochs=epochs, lr=lr, seed=args.seed, **fit)
        ann.eval()
        calib = xtr[:, :256] if rnn else xtr[:256]
        qann = quantize(ann, levels=args.levels, calibration=calib)
        qat_lr = lr / 30 if rnn else lr / 3  # QRNNs lose accuracy under larger QAT steps
        sc.fit_classifier(qann, xtr, ytr, epochs=qat_epochs, lr=qat_lr, seed=args.seed + 1, **fit)
        source = f"trained {epochs} + {qat_epochs} QAT epochs"
    ann.eval()
    qann.eval()
    train_s = time.perf_counter() - t0
    if args.save is not None:
        _save(args.save, ann, qann)
    ann_acc = sc.accuracy(ann, xte, yte, batch_dim=bdim)
    qann = qann.to(dtype)
    xq = xte.to(dtype)
    with torch.no_grad():
        q_out = qann(xq)
    snn = sc.convert_rnn(cast(sc.QRNNClassifier, qann)) if rnn else sc.convert_cnn(qann)
    t1 = time.perf_counter()
    res = snn.run(xq)
    snn_s = time.perf_counter() - t1
    q_acc = 100.0 * float((q_out.argmax(-1) == yte).double().mean())
    s_acc = 100.0 * float((res.output.argmax(-1) == yte).double().mean())
    err = float((res.output - q_out).abs().max())
    name = {"digits": f"8x8 UCI digits, {args.arch}", "s-digits": "S-Digits (length 64), Elman RNN",
            "ps-digits": "PS-Digits (length 64, permuted), Elman RNN"}[args.task]  # fmt: skip
    print(f"spike convert: {name}, L = {args.levels}, {ytr.numel()} train / {yte.numel()} test")
    print(f"  network: {source} ({train_s:.1f} s); SNN/QANN dtype {args.dtype}")
    print(f"  {'model':<28} {'test accuracy':>14}")
    print(f"  {'ANN (float)':<28} {ann_acc:>13.2f}%")
    print(f"  {'QANN (quantized, L=' + str(args.levels) + ')':<28} {q_acc:>13.2f}%")
    print(f"  {'SNN (BIF, converted)':<28} {s_acc:>13.2f}%")
    print(f"  max |QANN - SNN| output: {err:.3g}   quiet: {res.quiet}")
    if isinstance(res, sc.RNNSimulationResult):
        per = res.steps_per_element
        print(
            f"  time steps: {res.steps} per sequence ({len(per)} elements x "
            f"{sum(per) / len(per):.2f} mean, {max(per)} max per element window); "
            f"SNN inference {snn_s:.2f} s"
        )
    else:
        print(f"  time steps: {res.steps} (until quiet); SNN inference {snn_s:.2f} s")
    if args.baseline:
        if rnn:
            raise ValueError("--baseline is available for --task digits only")
        base = sc.rate_convert(ann, xtr[:512])
        cells = []
        for T in (8, 16, 32, 64):
            acc = sc.accuracy(partial(base.run, time_steps=T), xte, yte)
            cells.append(f"T={T}: {acc:.2f}%")
        print("  rate-coded baseline (99.9th percentile norm, IF): " + ", ".join(cells))
    return 0
