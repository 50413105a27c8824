import pytest
import torch

from spike_3d import (
    SHAPE_CLASSES,
    ModelNet40,
    SyntheticShapes,
    farthest_point_sample,
    normalize_coord,
    random_rotate,
    read_modelnet_txt,
    read_off,
    sample_mesh,
    sample_shape,
)

CUBE_OFF = """OFF
8 6 0
0 0 0
1 0 0
1 1 0
0 1 0
0 0 1
1 0 1
1 1 1
0 1 1
4 0 3 2 1
4 4 5 6 7
4 0 1 5 4
4 2 3 7 6
4 1 2 6 5
4 0 4 7 3
"""


def test_normalize_coord_unit_sphere():
    g = torch.Generator().manual_seed(0)
    p = torch.randn(300, 6, generator=g) * 5 + 3
    n = normalize_coord(p)
    assert n[:, :3].mean(0).abs().max() < 1e-6
    assert abs(float(n[:, :3].norm(dim=1).max()) - 1) < 1e-6
    assert torch.equal(n[:, 3:], p[:, 3:])
    with pytest.raises(ValueError, match="identical"):
        normalize_coord(torch.ones(4, 3))
    with pytest.raises(ValueError, match="empty"):
        normalize_coord(torch.zeros(0, 3))


def test_fps_cube_corners_picks_opposite_corner():
    corners = torch.tensor([[x, y, z] for x in (0.0, 1.0) for y in (0.0, 1.0) for z in (0.0, 1.0)])
    pts = torch.cat([corners, torch.full((1, 3), 0.5)])
    idx = farthest_point_sample(pts, 2, start=0)
    assert idx.tolist() == [0, 7]
    all_idx = farthest_point_sample(pts.unsqueeze(0).repeat(2, 1, 1), 9, start=None)
    assert all_idx.shape == (2, 9)
    assert all(len(set(r)) == 9 for r in all_idx.tolist())
    with pytest.raises(ValueError, match="num_samples"):
        farthest_point_sample(pts, 10)


def test_random_rotate_preserves_norms_and_normals():
    p = sample_shape("sphere", 100, noise=0.0)
    r = random_rotate(p, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(r[:, :3].norm(dim=1), p[:, :3].norm(dim=1), atol=1e-5)
    assert torch.allclose(r[:, 3:].norm(dim=1), torch.ones(100), atol=1e-5)
    z = random_rotate(p, axis="z")
    assert torch.allclose(z[:, 2], p[:, 2], atol=1e-6)


def test_read_off_both_header_styles_and_corrupt(tmp_path):
    a = tmp_path / "a.off"
    a.write_text(CUBE_OFF)
    v, f = read_off(a)
    assert v.shape == (8, 3)
    assert f.shape == (12, 3)
    b = tmp_path / "b.off"
    b.write_text(CUBE_OFF.replace("OFF\n8 6 0", "OFF8 6 0"))
    assert torch.equal(read_off(b)[1], f)
    bad = tmp_path / "bad.off"
    bad.write_text("OFF\n8 6 0\n0 0 0\n")
    with pytest.raises(ValueError, match="corrupt"):
        read_off(bad)
    nohead = tmp_path / "c.off"
    nohead.write_text("PLY\n")
    with pytest.raises(ValueError, match="not an OFF"):
        read_off(nohead)
    idx = tmp_path / "d.off"
    idx.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 9\n")
    with pytest.raises(ValueError, match="face index"):
        read_off(idx)


def test_sample_mesh_lies_on_the_cube_surface(tmp_path):
    (tmp_path / "a.off").write_text(CUBE_OFF)
    v, f = read_off(tmp_path / "a.off")
    pts = sample_mesh(v, f, 400, generator=torch.Generator().manual_seed(0))
    xyz, n = pts[:, :3], pts[:, 3:]
    on_face = ((xyz < 1e-5) | (xyz > 1 - 1e-5)).any(1)
    assert on_face.all()
    assert torch.allclose(n.abs().sum(1), torch.ones(400))


def test_read_modelnet_txt(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("0.1,0.2,0.3,0,0,1\n0.4,0.5,0.6,1,0,0\n")
    t = read_modelnet_txt(p)
    assert t.shape == (2, 6)
    p.write_text("0.1,abc,0.3\n")
    with pytest.raises(ValueError, match="corrupt"):
        read_modelnet_txt(p)
    p.write_text("")
    with pytest.raises(ValueError, match="empty"):
        read_modelnet_txt(p)


def test_modelnet40_resampled_layout(tmp_path):
    (tmp_path / "modelnet40_shape_names.txt").write_text("chair\nlamp\n")
    (tmp_path / "modelnet40_train.txt").write_text("chair_0001\nlamp_0001\n")
    (tmp_path / "modelnet40_test.txt").write_text("lamp_0002\n")
    g = torch.Generator().manual_seed(0)
    for cls, i in (("chair", 1), ("lamp", 1), ("lamp", 2)):
        (tmp_path / cls).mkdir(exist_ok=True)
        rows = torch.randn(40, 6, generator=g)
        (tmp_path / cls / f"{cls}_{i:04d}.txt").write_text(
            "\n".join(",".join(f"{v:.5f}" for v in r) for r in rows.tolist())
        )
    ds = ModelNet40(tmp_path, split="train", num_points=16)
    assert len(ds) == 2
    assert ds.classes == ["chair", "lamp"]
    pts, label = ds[1]
    assert pts.shape == (16, 6)
    assert label == 1
    test = ModelNet40(tmp_path, split="test", num_points=8, use_normals=False, sampling="random")
    assert test[0][0].shape == (8, 3)


def test_modelnet40_off_layout_and_missing_root(tmp_path):
    for cls in ("bed", "cup"):
        d = tmp_path / cls / "train"
        d.mkdir(parents=True)
        (d / f"{cls}_0001.off").write_text(CUBE_OFF)
    ds = ModelNet40(tmp_path, num_points=32)
    assert len(ds) == 2
    pts, label = ds[1]
    assert pts.shape == (32, 6)
    assert label == 1
    with pytest.raises(FileNotFoundError, match="ModelNet40"):
        ModelNet40(tmp_path / "nothing")
    with pytest.raises(ValueError, match="split"):
        ModelNet40(tmp_path, split="val")


def test_synthetic_shapes_are_deterministic_and_labelled():
    ds = SyntheticShapes(12, num_points=64, seed=3)
    a, la = ds[4]
    b, lb = ds[4]
    assert torch.equal(a, b)
    assert la == lb == 4
    assert a.shape == (64, 6)
    assert [ds[i][1] for i in range(12)] == list(range(6)) * 2
    assert not torch.equal(SyntheticShapes(12, num_points=64, seed=4)[4][0], a)
    for name in SHAPE_CLASSES:
        p = sample_shape(name, 200, noise=0.0)
        assert torch.isfinite(p).all()
        assert torch.allclose(p[:, 3:].norm(dim=1), torch.ones(200), atol=1e-4)
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    up = sample_shape("cone", 50, rotation="z", generator=g())
    plain = sample_shape("cone", 50, rotation="none", generator=g())
    assert torch.allclose(up[:, 2], plain[:, 2], atol=1e-6)  # rotation about the up axis
    assert not torch.allclose(up[:, 0], plain[:, 0])
    with pytest.raises(ValueError, match="rotation"):
        SyntheticShapes(2, rotation="x")
    with pytest.raises(ValueError, match="unknown shape"):
        sample_shape("blob", 10)
    with pytest.raises(IndexError):
        ds[12]
