"""The embedded synthetic data set, training, filter selection and the SNN filter gain."""

from pathlib import Path

import numpy as np
import pytest
import torch

from spike_bmi import (
    SyntheticReachingConfig,
    bessel_filter,
    build_decoder,
    evaluate_decoder,
    filter_gain,
    paired_significance,
    plot_decoding,
    r2_score,
    select_filter,
    simulate_reaching,
    synthetic_session,
    train_decoder,
)
from spike_bmi.train import _runs


def test_generator_is_seeded_and_shaped() -> None:
    a = simulate_reaching(n_channels=5, n_units=3, duration_s=6.0, n_reaches=5, seed=3)
    b = simulate_reaching(n_channels=5, n_units=3, duration_s=6.0, n_reaches=5, seed=3)
    assert a.cursor_pos.shape == (2, 1500)
    assert a.target_pos.shape == (2, 1500)
    assert a.finger_pos is not None
    assert a.finger_pos.shape == (3, 1500)
    assert (a.n_units, a.n_channels) == (3, 5)
    np.testing.assert_array_equal(a.spikes[1][2], b.spikes[1][2])
    assert np.allclose(np.diff(a.t), 0.004)
    a.validate()


@pytest.mark.parametrize("task", ["center-out", "random", "mixed"])
def test_targets_and_minimum_jerk_reaches(task: str) -> None:
    cfg = SyntheticReachingConfig(n_channels=2, duration_s=20.0, n_reaches=16, task=task, seed=1)
    raw = simulate_reaching(cfg)
    starts = np.concatenate(
        [[0], np.nonzero(np.abs(np.diff(raw.target_pos, axis=1)).sum(0))[0] + 1]
    )
    assert len(starts) == 16
    targets = raw.target_pos[:, starts].T
    radius = np.linalg.norm(targets, axis=1)
    if task == "center-out":
        assert np.allclose(radius[1::2], 0.0)
        assert np.allclose(radius[0::2], cfg.radius_mm)
    if task == "random":
        grid = (np.arange(8) - 3.5) * cfg.grid_spacing_mm
        assert np.isin(targets, grid).all()
    # the cursor ends each reach on its target and starts from rest
    ends = np.concatenate([starts[1:], [raw.t.size]]) - 1
    np.testing.assert_allclose(raw.cursor_pos[:, ends].T, targets, atol=1e-9)
    vel = np.gradient(raw.cursor_pos, axis=1)
    assert np.abs(vel[:, starts[1:]]).max() < 0.05 * np.abs(vel).max()


def test_neurons_are_cosine_tuned_to_velocity() -> None:
    cfg = SyntheticReachingConfig(
        n_channels=1,
        n_units=1,
        duration_s=200.0,
        tuned_fraction=1.0,
        hash_gain=1.0,
        seed=4,
        lead_s=0.0,
    )
    raw = simulate_reaching(cfg)
    counts = np.histogram(raw.spikes[0][0], bins=np.append(raw.t, raw.t[-1] + 0.004))[0]
    vel = np.gradient(raw.cursor_pos, axis=1).T / 0.004
    # regress counts on [1, vx, vy]: the modulation direction is recovered, baseline positive
    design = np.concatenate([np.ones((vel.shape[0], 1)), vel], axis=1)
    coef = np.linalg.lstsq(design, counts / 0.004, rcond=None)[0]
    depth = np.hypot(coef[1], coef[2])
    lo, hi = cfg.depth_hz_per_mm_s
    assert coef[0] > 0
    assert 0.5 * lo < depth < 1.5 * hi
    with pytest.raises(ValueError, match="task"):
        simulate_reaching(task="spiral")
    with pytest.raises(ValueError, match="too short"):
        simulate_reaching(duration_s=0.1, n_reaches=30)


def test_runs_and_training_errors() -> None:
    assert _runs([1, 2, 3, 7, 8, 10]) == [(1, 4), (7, 9), (10, 11)]
    s = synthetic_session(SyntheticReachingConfig(n_channels=4, duration_s=4.0, n_reaches=4))
    with pytest.raises(ValueError, match="input_dim=6"):
        train_decoder(build_decoder("ann", input_dim=6), s, steps=1)
    with pytest.raises(ValueError, match="no training run"):
        train_decoder(build_decoder("ann", input_dim=4), s, steps=1, window=10_000)


def test_select_filter_respects_budget_and_beats_raw() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(1500) * 0.004
    clean = np.stack([np.sin(2 * np.pi * 0.8 * t), np.cos(2 * np.pi * 1.1 * t)], axis=1)[:, None]
    noisy = clean + 0.6 * rng.standard_normal(clean.shape)
    choice = select_filter(
        noisy, clean, orders=(2, 4), cutoffs=(2.0, 5.0, 20.0), blocks=(5, 10, 50)
    )
    assert choice.evaluated == 18
    assert choice.r2 > choice.r2_raw + 0.1
    assert choice.r2 == pytest.approx(r2_score(choice.filter.apply(noisy), clean))
    tight = select_filter(
        noisy, clean, orders=(2,), cutoffs=(5.0,), blocks=(5, 10, 50), max_latency_ms=40
    )
    assert tight.block == 10
    assert tight.filter.latency_ms() <= 40
    with pytest.raises(ValueError, match="max_latency_ms"):
        select_filter(noisy, clean, blocks=(50,), max_latency_ms=10)
    gain = filter_gain(bessel_filter("high_accuracy"), noisy, clean)
    assert gain.delta > 0
    assert gain.relative_percent == pytest.approx(100 * gain.delta / gain.r2_raw)
    sig = paired_significance(
        [0.5, 0.6, 0.55, 0.62, 0.58, 0.6], [0.55, 0.66, 0.6, 0.65, 0.63, 0.64]
    )
    assert sig["ttest_p"] < 0.01
    assert sig["wilcoxon_p"] < 0.05
    assert sig["mean_delta"] > 0


@pytest.mark.slow
def test_high_accuracy_filter_raises_snn_r2(tmp_path: Path) -> None:
    cfg = SyntheticReachingConfig(
        n_channels=32, duration_s=40.0, depth_hz_per_mm_s=(0.1, 0.2), tuned_fraction=1.0
    )
    s = synthetic_session(cfg)
    for name in ("snn-streaming", "snn-3d"):
        torch.manual_seed(0)
        m = build_decoder(name, input_dim=32)
        losses = train_decoder(m, s, steps=60, window=60, batch_size=8, lr=1e-2)
        assert np.mean(losses[-10:]) < np.mean(losses[:10])
        rows, traces = evaluate_decoder(m, s)
        raw, low, high = rows
        assert raw.r2 > 0.3, name  # the decoder learned something
        assert high.name == "bessel-high-accuracy"
        assert high.r2 > raw.r2, name
        assert (low.latency_ms, high.latency_ms) == (36.0, 196.0)
        assert (low.filter_macs_per_bin, high.filter_macs_per_bin) == (20, 36)
    png = plot_decoding(traces["true"], {"raw": traces["raw"]}, tmp_path / "d.png", max_bins=300)
    assert png.read_bytes()[:4] == b"\x89PNG"
