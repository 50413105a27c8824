"""Block-bidirectional Bessel filter: checks 12-16 of the spec, scipy equivalence, streaming."""

import numpy as np
import pytest
import torch
from scipy import signal

from spike_bmi import (
    FILTER_PRESETS,
    BlockFilter,
    bessel_filter,
    design_filter,
    filter_cost,
    r2_score,
)


def _noise(t: int = 137, d: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((t, d)).cumsum(0)


def _scipy_blocks(
    x: np.ndarray, b: np.ndarray, a: np.ndarray, L: int, padlen: int | None
) -> np.ndarray:
    out = []
    for s in range(0, x.shape[0], L):
        blk = x[s : s + L]
        p = 3 * max(len(a), len(b)) if padlen is None else padlen
        p = min(p, blk.shape[0] - 1)
        out.append(signal.filtfilt(b, a, blk, axis=0, padtype="odd", padlen=p))
    return np.concatenate(out)


@pytest.mark.parametrize("order", [1, 2, 4, 8])
@pytest.mark.parametrize("L", [1, 2, 7, 10, 50])
@pytest.mark.parametrize("padlen", [None, 0, 3])
def test_equals_scipy_filtfilt_per_block(order: int, L: int, padlen: int | None) -> None:
    x = _noise()
    b, a = design_filter("bessel", order=order, cutoff_hz=5.0)
    ref_b, ref_a = signal.bessel(order, 5.0, btype="low", fs=250, norm="phase")
    np.testing.assert_array_equal(b, ref_b)
    np.testing.assert_array_equal(a, ref_a)
    got = BlockFilter(b, a, block=L, padlen=padlen).apply(x)
    np.testing.assert_allclose(got, _scipy_blocks(x, b, a, L, padlen), rtol=0, atol=1e-10)


@pytest.mark.parametrize("L", [1, 3, 10, 50, 200])
@pytest.mark.parametrize("preset", sorted(FILTER_PRESETS))
def test_constant_unchanged(L: int, preset: str) -> None:  # check 12
    x = np.full((123, 2), -3.25)
    np.testing.assert_allclose(bessel_filter(preset, block=L).apply(x), x, atol=1e-9)
    f = bessel_filter(preset, block=L, carry_state=True)
    np.testing.assert_allclose(f.apply(x), x, atol=1e-9)


def test_long_block_equals_full_filtfilt() -> None:  # check 13
    x = _noise(90)
    b, a = design_filter(order=4, cutoff_hz=5.0)
    full = signal.filtfilt(b, a, x, axis=0, padlen=3 * max(len(a), len(b)))
    for L in (90, 91, 500):
        np.testing.assert_allclose(BlockFilter(b, a, block=L).apply(x), full, atol=1e-10)
    np.testing.assert_allclose(BlockFilter(b, a, block=None).apply(x), full, atol=1e-10)


@pytest.mark.parametrize("carry", [False, True])
def test_perturbation_stays_in_its_block(carry: bool) -> None:  # check 14
    x = _noise(60)
    f = bessel_filter("low_latency", carry_state=carry)
    base = f.apply(x)
    y = x.copy()
    y[23] += 5.0  # block 2 = samples 20..29
    diff = np.abs(f.apply(y) - base).max(axis=1)
    assert np.all(diff[:20] == 0)
    assert np.all(diff[20:30] > 0)
    if carry:  # only the forward state flows on, into later blocks
        assert diff[30:].max() > 0
    else:
        assert np.all(diff[30:] == 0)


def test_high_accuracy_preset_denoises_sinusoid() -> None:  # check 15
    rng = np.random.default_rng(0)
    t = np.arange(2500) * 0.004
    clean = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)], axis=1)
    noisy = clean + 0.5 * rng.standard_normal(clean.shape)
    raw = r2_score(noisy, clean)
    filt = r2_score(bessel_filter("high_accuracy").apply(noisy), clean)
    assert filt > raw + 0.1


def test_latency_of_presets() -> None:  # check 16
    low = bessel_filter("low_latency")
    assert low.latency_bins == 9
    assert low.latency_ms() == pytest.approx(36.0)
    assert low.mean_latency_bins == 4.5
    high = bessel_filter("high_accuracy")
    assert high.latency_ms() == pytest.approx(196.0)
    assert low.stream().latency_bins == 9
    b, a = design_filter()
    assert BlockFilter(b, a, mode="causal").latency_bins == 0
    assert BlockFilter(b, a).latency_ms() == float("inf")


@pytest.mark.parametrize("carry", [False, True])
@pytest.mark.parametrize("mode", ["bidirectional", "causal"])
def test_streaming_equals_offline(carry: bool, mode: str) -> None:
    x = _noise(47, 3)
    f = bessel_filter("low_latency", carry_state=carry).with_options(mode=mode)
    s = f.stream()
    pieces = []
    for i in range(23):  # one sample at a time
        got = s.push(x[i], single=True)
        pieces.append(got)
        assert got.shape[0] == (10 if (i + 1) % 10 == 0 else 0)
    pieces.append(s.push(x[23:47]))  # and a chunk crossing block bounds, ending mid-block
    pieces.append(s.flush())
    pieces.append(s.flush())
    np.testing.assert_array_equal(np.concatenate(pieces), f.apply(x))


def test_carry_state_forward_pass_is_continuous() -> None:
    x = _noise(40, 1)
    b, a = design_filter(order=2, cutoff_hz=5.0)
    f = BlockFilter(b, a, block=10, padlen=0, carry_state=True)
    zi = signal.lfilter_zi(b, a)
    fwd, _ = signal.lfilter(b, a, x[:, 0], zi=zi * x[0, 0])
    ref = []
    for s in range(0, 40, 10):
        blk = fwd[s : s + 10][::-1]
        back, _ = signal.lfilter(b, a, blk, zi=zi * blk[0])
        ref.append(back[::-1])
    np.testing.assert_allclose(f.apply(x)[:, 0], np.concatenate(ref), atol=1e-12)


def test_causal_filter_matches_lfilter() -> None:
    x = _noise(30, 2)
    b, a = design_filter(order=3, cutoff_hz=8.0)
    zi = signal.lfilter_zi(b, a)
    ref, _ = signal.lfilter(b, a, x, axis=0, zi=zi[:, None] * x[0][None])
    got = BlockFilter(b, a, block=None, mode="causal").apply(x)
    np.testing.assert_allclose(got, ref, atol=1e-12)


@pytest.mark.parametrize("family", ["butter", "cheby1", "ellip", "moving-average", "ema"])
def test_other_families_keep_dc_and_smooth(family: str) -> None:
    b, a = design_filter(family, order=3, cutoff_hz=5.0)
    f = BlockFilter(b, a, block=50)
    np.testing.assert_allclose(
        f.apply(np.ones((60, 1))), 1.0, atol=1e-6 if family != "cheby1" else 0.2
    )
    x = np.random.default_rng(0).standard_normal((200, 1))
    assert f.apply(x).std() < x.std()


def test_torch_io_keeps_type_shape_dtype() -> None:
    y = torch.from_numpy(_noise(33, 2)).float().reshape(33, 1, 2)
    out = bessel_filter("low_latency").apply(y)
    assert isinstance(out, torch.Tensor)
    assert out.shape == y.shape
    assert out.dtype == torch.float32
    ref = bessel_filter("low_latency").apply(y.double().numpy().reshape(33, 2))
    np.testing.assert_allclose(out.numpy().reshape(33, 2), ref, atol=1e-5)


def test_cost_accounting() -> None:
    low, high = (
        filter_cost(bessel_filter("low_latency")),
        filter_cost(bessel_filter("high_accuracy")),
    )
    assert low.macs_per_sample == 2 * (3 + 3 - 1)
    assert low.macs_per_bin == 20
    assert high.macs_per_sample == 2 * (5 + 5 - 1)
    assert high.macs_per_bin == 36
    assert (low.buffer_samples, high.buffer_samples) == (20, 100)
    assert high.buffer_bytes == 400
    assert high.latency_bins == 49


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="family"):
        design_filter("kalman")
    with pytest.raises(ValueError, match="cutoff_hz"):
        design_filter(cutoff_hz=200.0)
    with pytest.raises(ValueError, match="order"):
        design_filter(order=0)
    b, a = design_filter()
    with pytest.raises(ValueError, match="block"):
        BlockFilter(b, a, block=0)
    with pytest.raises(ValueError, match="padlen"):
        BlockFilter(b, a, padlen=-1)
    with pytest.raises(ValueError, match="mode"):
        BlockFilter(b, a, mode="sideways")
    with pytest.raises(ValueError, match="cannot stream"):
        BlockFilter(b, a).stream()
    with pytest.raises(ValueError, match="NaN"):
        bessel_filter().apply(np.array([[0.0], [np.nan]]))
    with pytest.raises(ValueError, match="preset"):
        bessel_filter("medium")
    s = bessel_filter("low_latency").stream()
    s.push(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="sample shape"):
        s.push(np.zeros((2, 3)))
