"""WISDM smartwatch activity data: raw-format reader, windowing, a synthetic stand-in, training.

The WISDM Smartphone and Smartwatch Activity and Biometrics data set (51 subjects, 18
activities, 20 Hz) stores one text file per subject, device and sensor, e.g.
``raw/watch/accel/data_1600_accel_watch.txt``, with one sample per line::

    subject,activity_code,timestamp,x,y,z;

Nothing is downloaded: point :func:`load_wisdm_watch` at a local copy, or use
:func:`synthetic_activity_dataset` (generated, so a model trains out of the box).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from spike_core import to_time_major
from spike_core._validation import check_tensor

__all__ = [
    "HAND_ORIENTED_ACTIVITIES",
    "WISDM_ACTIVITIES",
    "load_wisdm_watch",
    "read_wisdm_raw",
    "synthetic_activity_dataset",
    "train_classifier",
    "window_signals",
]

WISDM_ACTIVITIES: dict[str, str] = {
    "A": "walking",
    "B": "jogging",
    "C": "stairs",
    "D": "sitting",
    "E": "standing",
    "F": "typing",
    "G": "brushing teeth",
    "H": "eating soup",
    "I": "eating chips",
    "J": "eating pasta",
    "K": "drinking from cup",
    "L": "eating sandwich",
    "M": "kicking (soccer ball)",
    "O": "playing catch (tennis ball)",
    "P": "dribbling (basketball)",
    "Q": "writing",
    "R": "clapping",
    "S": "folding clothes",
}
"""Activity codes of the WISDM 2019 data set (there is no code ``N``)."""

HAND_ORIENTED_ACTIVITIES: tuple[str, ...] = ("P", "O", "F", "Q", "R", "G", "S")
"""NeHAR subset 2 (hand-oriented, general): dribbling, catch, typing, writing, clapping,
brushing teeth, folding clothes; class index = position in this tuple."""


def read_wisdm_raw(path: str | Path) -> dict[tuple[int, str], torch.Tensor]:
    """Read one raw WISDM sensor file.

    Args:
        path: a ``data_<subject>_<sensor>_<device>.txt`` file.

    Returns:
        ``{(subject, activity_code): samples}`` with samples ``[N, 3]`` (float32, x y z) in
        timestamp order.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file and line of a malformed record or an unknown activity code.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"WISDM file {str(path)!r} does not exist")
    rows: dict[tuple[int, str], list[tuple[int, float, float, float]]] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            fields = text.rstrip(";").split(",")
            if len(fields) != 6:
                raise ValueError(
                    f"{path}:{lineno}: expected 6 comma-separated fields, got {len(fields)}"
                )
            try:
                subject, code = int(fields[0]), fields[1].strip()
                stamp = int(fields[2])
                xyz = tuple(float(f) for f in fields[3:])
            except ValueError:
                raise ValueError(f"{path}:{lineno}: malformed record {text!r}") from None
            if code not in WISDM_ACTIVITIES:
                raise ValueError(f"{path}:{lineno}: unknown activity code {code!r}")
            if not all(math.isfinite(v) for v in xyz):
                raise ValueError(f"{path}:{lineno}: non-finite sample {text!r}")
            rows.setdefault((subject, code), []).append((stamp, *xyz))  # type: ignore[arg-type]
    return {
        key: torch.tensor([r[1:] for r in sorted(vals)], dtype=torch.float32)
        for key, vals in rows.items()
    }


def window_signals(
    signal: torch.Tensor, *, window: int = 40, stride: int | None = None
) -> torch.Tensor:
    """Cut a ``[N, C]`` signal into windows ``[W, window, C]`` (non-overlapping by default).

    Args:
        signal: samples ``[N, C]``.
        window: samples per window (40 = 2 s at 20 Hz).
        stride: step between window starts (default ``window``).

    Returns:
        Windows, batch-major ``[W, window, C]`` (convert with ``to_time_major`` for models).
    """
    check_tensor(signal, "signal")
    if signal.dim() != 2:
        raise ValueError(f"signal must have shape [N, C], got {tuple(signal.shape)}")
    stride = window if stride is None else stride
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window}, {stride}")
    if signal.shape[0] < window:
        return signal.new_zeros(0, window, signal.shape[1])
    return signal.unfold(0, window, stride).transpose(1, 2).contiguous()


def load_wisdm_watch(
    root: str | Path,
    *,
    subjects: list[int] | None = None,
    activities: tuple[str, ...] = HAND_ORIENTED_ACTIVITIES,
    window: int = 40,
    stride: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Smartwatch accelerometer + gyroscope windows of a local WISDM copy.

    Reads ``root/raw/watch/accel/data_<s>_accel_watch.txt`` and the matching gyroscope file.
    Per subject and activity, the two streams are paired sample by sample in timestamp order and
    truncated to the shorter one (the exact alignment used by the papers is unconfirmed).

    Args:
        root: the data set directory (holding ``raw/``).
        subjects: subject ids (default: every accelerometer file found).
        activities: activity codes to keep; the class index is the position here.
        window: samples per window.
        stride: step between windows (default: non-overlapping).

    Returns:
        ``(windows [N, window, 6], labels [N], subject_ids [N])``; channels are accel xyz then
        gyro xyz, batch-major (time-major conversion happens at the training boundary).

    Raises:
        FileNotFoundError: when a needed file is missing.
        ValueError: for malformed files or when no window is found.
    """
    root = Path(root) / "raw" / "watch"
    unknown = [a for a in activities if a not in WISDM_ACTIVITIES]
    if unknown:
        raise ValueError(f"unknown activity codes {unknown}; expected codes of WISDM_ACTIVITIES")
    if subjects is None:
        subjects = sorted(
            int(p.name.split("_")[1]) for p in (root / "accel").glob("data_*_accel_watch.txt")
        )
    xs, ys, ss = [], [], []
    for s in subjects:
        acc = read_wisdm_raw(root / "accel" / f"data_{s}_accel_watch.txt")
        gyr = read_wisdm_raw(root / "gyro" / f"data_{s}_gyro_watch.txt")
        for label, code in enumerate(activities):
            a, g = acc.get((s, code)), gyr.get((s, code))
            if a is None or g is None:
                continue
            n = min(len(a), len(g))
            w = window_signals(torch.cat([a[:n], g[:n]], dim=1), window=window, stride=stride)
            xs.append(w)
            ys.append(torch.full((len(w),), label, dtype=torch.long))
            ss.append(torch.full((len(w),), s, dtype=torch.long))
    if not xs or sum(len(x) for x in xs) == 0:
        raise ValueError(f"no {window}-sample windows of activities {activities} under {root}")
    return torch.cat(xs), torch.cat(ys), torch.cat(ss)


def synthetic_activity_dataset(
    num_per_class: int = 60,
    *,
    num_classes: int = 7,
    window: int = 40,
    channels: int = 6,
    noise: float = 0.3,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A generated stand-in for smartwatch HAR windows (no download; deterministic under ``seed``).

    Each class has its own dominant frequency, per-channel amplitudes and phase offsets (like
    the periodic wrist motions of clapping or dribbling; fixed, independent of ``seed``); every
    window draws a random phase, a random amplitude scale (0.7-1.3) and Gaussian noise, so
    different seeds give train and test sets of the same task.

    Args:
        num_per_class: windows per class.
        num_classes: number of classes.
        window: samples per window (40 = 2 s at 20 Hz).
        channels: sensor channels (6: accel + gyro xyz).
        noise: noise standard deviation.
        seed: generator seed.

    Returns:
        ``(windows [N, window, channels], labels [N])``, batch-major, classes interleaved.
    """
    if min(num_per_class, num_classes, window, channels) < 1:
        raise ValueError("num_per_class, num_classes, window and channels must be >= 1")
    proto = torch.Generator().manual_seed(1234)  # class prototypes: the same for every seed
    t = torch.arange(window, dtype=torch.float32) / 20.0  # seconds at 20 Hz
    freqs = torch.linspace(0.5, 4.0, num_classes)
    amps = 0.5 + torch.rand(num_classes, channels, generator=proto)
    phases = 2 * math.pi * torch.rand(num_classes, channels, generator=proto)
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_classes).repeat(num_per_class)
    n = labels.numel()
    shift = 2 * math.pi * torch.rand(n, 1, 1, generator=g)
    scale = 0.7 + 0.6 * torch.rand(n, 1, 1, generator=g)
    arg = (
        2 * math.pi * freqs[labels].view(n, 1, 1) * t.view(1, window, 1)
        + phases[labels].unsqueeze(1)
        + shift
    )
    x = scale * amps[labels].unsqueeze(1) * torch.sin(arg)
    x = x + noise * torch.randn(n, window, channels, generator=g)
    return x, labels


def train_classifier(
    model: nn.Module,
    windows: torch.Tensor,
    labels: torch.Tensor,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    lr: float = 5e-3,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train a spike-count classifier (cross-entropy on output spike counts, Adam).

    Args:
        model: maps time-major ``[T, B, C]`` to output spikes ``[T, B, K]``.
        windows: batch-major windows ``[N, T, C]`` (converted to time-major per batch).
        labels: ``[N]``.
        epochs: passes over the data.
        batch_size: windows per step.
        lr: Adam learning rate.
        seed: shuffling seed.
        progress: called as ``progress(epoch, mean_loss)``.

    Returns:
        Mean training loss per epoch.
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999))
    g = torch.Generator().manual_seed(seed)
    history = []
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(labels), generator=g)
        total, steps = 0.0, 0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            counts = model(to_time_major(windows[idx])).sum(0)
            loss = nn.functional.cross_entropy(counts, labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
            steps += 1
        history.append(total / steps)
        if progress is not None:
            progress(epoch, history[-1])
    return history
