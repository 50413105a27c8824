import pytest
import torch

from spike_quant import FGDLoss, fgd_loss, relation_matrix, spike_entropy


def _feats(c: int, seed: int, zero: bool = False) -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(2):
        if zero:
            out.append(tuple(torch.zeros(2, 6, c) for _ in range(3)))
        else:
            out.append(tuple(torch.rand(2, 6, c, generator=g) for _ in range(3)))
    return out


def test_zero_for_identical_check10() -> None:
    f = _feats(8, 0)
    assert float(fgd_loss(f, f)) == pytest.approx(0.0, abs=1e-7)


def test_different_widths_check10() -> None:
    s, t = _feats(8, 0), _feats(24, 1)
    loss = fgd_loss(s, t)
    assert loss.ndim == 0
    assert float(loss) > 0
    assert relation_matrix(s[0][0]).shape == (2, 6, 6)


def test_finite_for_zero_student_and_no_teacher_grad_check10() -> None:
    s = [tuple(t.requires_grad_() for t in blk) for blk in _feats(8, 0, zero=True)]
    t = [tuple(x.requires_grad_() for x in blk) for blk in _feats(16, 2)]
    loss = fgd_loss(s, t)
    assert torch.isfinite(loss)
    loss.backward()
    assert all(x.grad is None for blk in t for x in blk)
    assert all(x.grad is not None for blk in s for x in blk)


def test_qsdsa_shaped_features_and_total_loss() -> None:
    s = [tuple(torch.rand(1, 2, 4, 6, 3) for _ in range(3))]  # [T, B, heads, N, d]
    t = [tuple(torch.rand(2, 6, 20) for _ in range(3))]
    logits, target = torch.randn(2, 5), torch.tensor([1, 3])
    total = FGDLoss(weight=1.0)(logits, target, s, t)
    ce = torch.nn.functional.cross_entropy(logits, target)
    assert float(total) == pytest.approx(float(ce + fgd_loss(s, t)))


def test_fgd_errors() -> None:
    with pytest.raises(ValueError, match="same non-zero number"):
        fgd_loss(_feats(8, 0), _feats(8, 0)[:1])
    bad = [tuple(torch.rand(2, 5, 8) for _ in range(3))] * 2
    with pytest.raises(ValueError, match="agree"):
        fgd_loss(_feats(8, 0), bad)
    nan = [tuple(torch.full((2, 6, 8), float("nan")) for _ in range(3))] * 2
    with pytest.raises(ValueError, match="NaN"):
        fgd_loss(nan, _feats(8, 0))


def test_spike_entropy() -> None:
    binary = torch.tensor([0.0, 1.0] * 50)
    assert spike_entropy(binary, levels=1)["entropy_bits"] == pytest.approx(1.0)
    uniform = torch.arange(5.0).repeat(20) / 4
    assert spike_entropy(uniform, levels=4, norm=4)["entropy_bits"] == pytest.approx(
        2.3219, abs=1e-4
    )
    with pytest.raises(ValueError, match="lie in"):
        spike_entropy(torch.tensor([7.0]), levels=4)
