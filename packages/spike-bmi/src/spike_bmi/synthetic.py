"""The embedded synthetic reaching data set: cosine-tuned Poisson neurons driving a cursor.

Trajectories. Self-paced reaches like the Zenodo task: a reach ``i`` starts when target ``i``
appears and moves the cursor along a minimum-jerk path
``p(s) = p0 + (p1 - p0) (10 s^3 - 15 s^4 + 6 s^5)``, ``s = t / D``, taking a fraction
``move_fraction`` of its slot, then holds. Targets are either centre-out (centre, then one of 8
peripheral targets at ``radius_mm``, back to the centre, ...), random targets on an 8 x 8 grid
(``grid_spacing_mm``), or a mix (from the centre go out; from elsewhere return to the centre or
jump to a random grid target with equal chance).

Neurons. Unit ``u`` on channel ``c`` fires as an inhomogeneous Poisson process with rate
``r(t) = max(0, b + m |v(t + lead)| cos(theta(t + lead) - theta_pd))`` (Georgopoulos cosine
tuning to the velocity ``lead_s`` seconds ahead, as motor cortex leads movement). Unit 0 of every
channel is the unsorted "hash" unit: its depth is ``hash_gain`` times smaller. A fraction
``1 - tuned_fraction`` of channels is untuned noise. Spike times are drawn per 4 ms sample
(``Poisson(r dt)`` spikes, uniform within the sample).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from spike_bmi._preprocess import SAMPLE_PERIOD
from spike_bmi.matfile import RawReaching, write_reaching_mat

__all__ = ["SyntheticReachingConfig", "make_fake_reaching_mat", "simulate_reaching"]


@dataclass(frozen=True, kw_only=True)
class SyntheticReachingConfig:
    """Parameters of :func:`simulate_reaching` (defaults: the embedded data set).

    Attributes:
        n_channels: recording channels (96 like Indy).
        n_units: units per channel including the hash unit.
        duration_s: recording length in seconds.
        n_reaches: number of reaches (= target segments); ``None``: ``duration_s / mean_slot_s``.
        task: ``"center-out"``, ``"random"`` or ``"mixed"``.
        mean_slot_s: mean time from one target onset to the next.
        move_fraction: fraction of a slot spent moving (the rest is a hold).
        radius_mm: distance of centre-out targets.
        grid_spacing_mm: spacing of the 8 x 8 random-target grid.
        baseline_hz: range of baseline rates ``b``.
        depth_hz_per_mm_s: range of modulation depths ``m`` in Hz per mm/s.
        hash_gain: the hash unit's depth divisor.
        tuned_fraction: fraction of channels that are tuned.
        lead_s: how far neurons lead the movement.
        t0: time of the first sample in seconds.
        seed: random seed.
    """

    n_channels: int = 96
    n_units: int = 2
    duration_s: float = 240.0
    n_reaches: int | None = None
    task: str = "mixed"
    mean_slot_s: float = 1.2
    move_fraction: float = 0.6
    radius_mm: float = 80.0
    grid_spacing_mm: float = 20.0
    baseline_hz: tuple[float, float] = (10.0, 30.0)
    depth_hz_per_mm_s: tuple[float, float] = (0.02, 0.06)
    hash_gain: float = 4.0
    tuned_fraction: float = 0.6
    lead_s: float = 0.1
    t0: float = 1.0
    seed: int = 0


_TASKS = ("center-out", "random", "mixed")


def _targets(cfg: SyntheticReachingConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    grid = (np.arange(8) - 3.5) * cfg.grid_spacing_mm
    angles = np.arange(8) * (2 * math.pi / 8)
    ring = cfg.radius_mm * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    out = np.zeros((n, 2))
    cur = np.zeros(2)
    for i in range(n):
        at_centre = bool(np.allclose(cur, 0.0))
        if cfg.task == "random" or (cfg.task == "mixed" and not at_centre and rng.random() < 0.5):
            nxt = cur
            while np.allclose(nxt, cur):
                nxt = np.array([rng.choice(grid), rng.choice(grid)])
        elif at_centre:
            nxt = ring[rng.integers(8)]
        else:
            nxt = np.zeros(2)
        out[i] = nxt
        cur = nxt
    return out


def _trajectory(
    cfg: SyntheticReachingConfig, k: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    weights = rng.uniform(0.7, 1.3, size=n)
    bounds = np.round(np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum() * k).astype(int)
    targets = _targets(cfg, n, rng)
    cursor = np.zeros((k, 2))
    target = np.zeros((k, 2))
    pos = np.zeros(2)
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        target[a:b] = targets[i]
        move = max(1, round((b - a) * cfg.move_fraction))
        s = np.minimum(np.arange(1, b - a + 1) / move, 1.0)[:, None]
        shape = 10 * s**3 - 15 * s**4 + 6 * s**5
        cursor[a:b] = pos + (targets[i] - pos) * shape
        pos = targets[i].copy()
    return cursor, target


def simulate_reaching(
    config: SyntheticReachingConfig | None = None, **overrides: object
) -> RawReaching:
    """Generate one synthetic session in the layout of the Zenodo files.

    Args:
        config: generator parameters (default :class:`SyntheticReachingConfig`).
        **overrides: fields of the config to replace.

    Returns:
        A :class:`RawReaching` with ``t``, ``cursor_pos``/``target_pos`` (``[2, K]``, mm),
        ``finger_pos`` (``[3, K]``, cm) and ``spikes[u][c]`` spike times.

    Raises:
        ValueError: for an unknown task or a duration too short for the reaches.

    Examples:
        >>> raw = simulate_reaching(n_channels=4, duration_s=4.0, n_reaches=3)
        >>> raw.cursor_pos.shape[0], raw.n_channels
        (2, 4)
    """
    cfg = replace(config or SyntheticReachingConfig(), **overrides)  # type: ignore[arg-type]
    if cfg.task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}, got {cfg.task!r}")
    if cfg.n_channels < 1 or cfg.n_units < 1:
        raise ValueError("n_channels and n_units must be >= 1")
    k = round(cfg.duration_s / SAMPLE_PERIOD)
    n = (
        cfg.n_reaches
        if cfg.n_reaches is not None
        else max(1, round(cfg.duration_s / cfg.mean_slot_s))
    )
    if n < 1 or k < 4 * n:
        raise ValueError(f"duration_s={cfg.duration_s} is too short for {n} reaches")
    rng = np.random.default_rng(cfg.seed)
    t = cfg.t0 + SAMPLE_PERIOD * np.arange(k)
    cursor, target = _trajectory(cfg, k, n, rng)
    vel = np.gradient(cursor, axis=0) / SAMPLE_PERIOD  # mm/s
    lead = round(cfg.lead_s / SAMPLE_PERIOD)
    vel_lead = np.concatenate([vel[lead:], np.repeat(vel[-1:], lead, axis=0)], axis=0)
    speed = np.linalg.norm(vel_lead, axis=1)
    heading = np.arctan2(vel_lead[:, 1], vel_lead[:, 0])
    tuned = rng.random(cfg.n_channels) < cfg.tuned_fraction
    spikes: list[list[np.ndarray]] = [[] for _ in range(cfg.n_units)]
    for c in range(cfg.n_channels):
        for u in range(cfg.n_units):
            base = rng.uniform(*cfg.baseline_hz)
            depth = rng.uniform(*cfg.depth_hz_per_mm_s) if tuned[c] else 0.0
            if u == 0:
                depth /= cfg.hash_gain
            pd = rng.uniform(0, 2 * math.pi)
            rate = np.maximum(0.0, base + depth * speed * np.cos(heading - pd))
            counts = rng.poisson(rate * SAMPLE_PERIOD)
            idx = np.repeat(np.arange(k), counts)
            times = t[idx] + rng.uniform(0.0, SAMPLE_PERIOD, size=idx.size)
            spikes[u].append(np.sort(times))
    finger = np.concatenate([cursor.T / 10.0, np.zeros((1, k))], axis=0)
    names = tuple(f"elec{c + 1:03d}" for c in range(cfg.n_channels))
    return RawReaching(t, cursor.T.copy(), target.T.copy(), spikes, finger, names, "synthetic")


def make_fake_reaching_mat(
    path: str | os.PathLike[str],
    n_channels: int = 4,
    n_units: int = 2,
    duration_s: float = 8.0,
    n_reaches: int = 6,
    seed: int = 0,
) -> Path:
    """Write a small synthetic session as a MATLAB v7.3 ``.mat`` file in the Zenodo layout.

    At least one spike cell is written empty the MATLAB way (the last unit of the last channel),
    so loaders meet ``MATLAB_empty``. The file name should contain ``indy`` or ``loco``.

    Args:
        path: destination file.
        n_channels: channels.
        n_units: units per channel.
        duration_s: recording length.
        n_reaches: number of reaches (= target segments).
        seed: random seed.

    Returns:
        The written path.
    """
    raw = simulate_reaching(
        n_channels=n_channels,
        n_units=n_units,
        duration_s=duration_s,
        n_reaches=n_reaches,
        seed=seed,
        task="random",
    )
    raw.spikes[-1][-1] = np.zeros(0)
    return write_reaching_mat(raw, path)
