"""R² checks (spec check 11) and companions."""

import numpy as np
import pytest
import torch

from spike_bmi import R2Score, r2_score


def _data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(40, 2, 2, generator=g, dtype=torch.float64) * torch.tensor([1.0, 3.0]) + 5
    p = y + 0.5 * torch.randn(40, 2, 2, generator=g, dtype=torch.float64)
    return p, y


def test_perfect_and_mean_predictions() -> None:
    _, y = _data()
    assert r2_score(y, y) == 1.0
    mean = y.reshape(-1, 2).mean(0).expand_as(y)
    assert abs(r2_score(mean, y)) < 1e-12


def test_matches_per_axis_definition() -> None:
    p, y = _data()
    P, Y = p.reshape(-1, 2).numpy(), y.reshape(-1, 2).numpy()
    per = 1 - ((Y - P) ** 2).sum(0) / ((Y - Y.mean(0)) ** 2).sum(0)
    m = R2Score()
    m.update(p, y)
    res = m.compute()
    np.testing.assert_allclose(res.r2_per_axis, per, rtol=1e-12)
    assert res.r2 == pytest.approx(per.mean(), rel=1e-12)
    np.testing.assert_allclose(res.mse, ((Y - P) ** 2).mean(0), rtol=1e-12)
    np.testing.assert_allclose(
        res.corr, [np.corrcoef(Y[:, d], P[:, d])[0, 1] for d in range(2)], rtol=1e-10
    )
    assert res.count == 80


def test_batched_accumulation_equals_one_shot() -> None:
    p, y = _data(3)
    one = R2Score()
    one.update(p, y)
    acc = R2Score()
    for sl in (slice(0, 1), slice(1, 7), slice(7, 8), slice(8, 40)):
        acc.update(p[sl].float(), y[sl].numpy().astype(np.float32))
    a, b = one.compute(), acc.compute()
    assert abs(a.r2 - b.r2) < 1e-6
    np.testing.assert_allclose(a.r2_per_axis, b.r2_per_axis, atol=1e-6)
    np.testing.assert_allclose(a.corr, b.corr, atol=1e-6)


def test_errors() -> None:
    m = R2Score()
    with pytest.raises(ValueError, match="before any update"):
        m.compute()
    with pytest.raises(ValueError, match="same shape"):
        m.update(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="target contains NaN"):
        m.update(torch.zeros(3, 2), torch.full((3, 2), float("nan")))
    with pytest.raises(TypeError, match="pred must be"):
        m.update([1.0, 2.0], torch.zeros(2))  # type: ignore[arg-type]
    m.update(torch.zeros(3, 2), torch.ones(3, 2) * torch.arange(3.0)[:, None])
    with pytest.raises(ValueError, match="axes"):
        m.update(torch.zeros(3, 3), torch.zeros(3, 3))
