import pytest
import torch

from spike_core.points import (
    LocalGrouper,
    fps,
    group,
    knn,
    rate_code,
    signed_to_rate,
    standardize_groups,
)


def _naive_fps(xyz: torch.Tensor, m: int) -> list[int]:
    chosen = [0]
    for _ in range(m - 1):
        best, best_d = -1, -1.0
        for j in range(xyz.shape[0]):
            d = min(float(((xyz[j] - xyz[c]) ** 2).sum()) for c in chosen)
            if d > best_d:
                best, best_d = j, d
        chosen.append(best)
    return chosen


def test_fps_matches_naive_and_never_repeats() -> None:
    g = torch.Generator().manual_seed(0)
    xyz = torch.rand(2, 40, 3, generator=g, dtype=torch.float64)
    idx = fps(xyz, 12)
    for b in range(2):
        assert idx[b].tolist() == _naive_fps(xyz[b], 12)
    full = fps(xyz, 40)
    assert all(len(set(row.tolist())) == 40 for row in full)
    r1 = fps(xyz, 5, start="random", generator=torch.Generator().manual_seed(1))
    r2 = fps(xyz, 5, start="random", generator=torch.Generator().manual_seed(1))
    assert torch.equal(r1, r2)
    with pytest.raises(ValueError, match="m must be"):
        fps(xyz, 41)
    with pytest.raises(ValueError, match="xyz"):
        fps(torch.rand(4, 3), 2)


def test_knn_sorted_and_self_first() -> None:
    g = torch.Generator().manual_seed(0)
    xyz = torch.rand(1, 30, 3, generator=g, dtype=torch.float64)
    idx = knn(xyz[:, :5], xyz, 6)
    assert idx[0, :, 0].tolist() == [0, 1, 2, 3, 4]
    d = ((xyz[0, idx[0]] - xyz[0, :5].unsqueeze(1)) ** 2).sum(-1)
    assert torch.all(d[:, 1:] >= d[:, :-1])
    brute = torch.cdist(xyz[0, :5], xyz[0]).argsort(-1)[:, :6]
    assert torch.equal(idx[0], brute)
    with pytest.raises(ValueError, match="k must be"):
        knn(xyz, xyz, 31)


def test_group_gather_and_standardize() -> None:
    feat = torch.arange(12.0).reshape(1, 4, 3)
    idx = torch.tensor([[[0, 1], [3, 2]]])
    out = group(feat, idx)
    assert out.shape == (1, 2, 2, 3)
    assert out[0, 1, 0].tolist() == [9.0, 10.0, 11.0]
    center = group(feat, torch.tensor([[0, 3]]))
    s = standardize_groups(out, center)
    rel = out - center.unsqueeze(2)
    assert torch.allclose(s, rel / (rel.std(unbiased=True) + 1e-5))


def test_local_grouper_shapes_and_order() -> None:
    g = torch.Generator().manual_seed(0)
    xyz = torch.rand(2, 64, 3, generator=g)
    lg = LocalGrouper(channels=3, groups=8, k=5)
    cxyz, grouped = lg(xyz, xyz)
    assert cxyz.shape == (2, 8, 3)
    assert grouped.shape == (2, 8, 5, 6)
    grouped.sum().backward()
    assert lg.alpha.grad is not None


def test_rate_code_and_signed_modes() -> None:
    x = torch.tensor([0.0, 0.25, 1.0])
    s = rate_code(x, 4000, generator=torch.Generator().manual_seed(0))
    assert s.shape == (4000, 3)
    assert set(s.unique().tolist()) <= {0.0, 1.0}
    assert s.mean(0).tolist() == pytest.approx([0.0, 0.25, 1.0], abs=0.02)
    with pytest.warns(UserWarning, match="clamped 1"):
        rate_code(torch.tensor([1.5]), 2)
    d = torch.randn(2, 3, 4, 3)
    split = signed_to_rate(d, "signed_split")
    assert torch.equal(split[..., :3] - split[..., 3:], d)  # relu(d) - relu(-d) == d
    assert torch.equal(signed_to_rate(d, "abs"), d.abs())
    xyz = torch.rand(2, 3, 4, 3)
    am = signed_to_rate(d, "abs_min", grouped_xyz=xyz)
    assert am.shape == (2, 3, 4, 6)
    assert torch.equal(am[..., 3:], xyz.amin(-2, keepdim=True).expand_as(xyz))
    with pytest.raises(ValueError, match="mode"):
        signed_to_rate(d, "log")
