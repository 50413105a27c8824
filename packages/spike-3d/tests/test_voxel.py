import pytest
import torch

from spike_3d import SparseVoxelTensor, grid_sample, voxelize, voxelize_in_range


def test_grid_sample_keeps_one_point_per_voxel():
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(2000, 3, generator=g) * 0.2 - 0.05
    keep, gc, inverse = grid_sample(pts, 0.01, generator=g)
    cells = torch.floor(pts.double() / 0.01).long()
    cells = cells - cells.min(0).values
    assert torch.equal(cells[keep], gc)
    assert torch.unique(gc, dim=0).shape[0] == gc.shape[0] == torch.unique(cells, dim=0).shape[0]
    assert (gc >= 0).all()
    assert torch.equal(gc.min(0).values, torch.zeros(3, dtype=torch.long))
    assert torch.equal(inverse[keep], torch.arange(keep.numel()))
    k2, _, _ = grid_sample(pts, 0.01, mode="first")
    assert torch.equal(k2, torch.sort(k2).values) or k2.numel() == keep.numel()


def test_voxelize_batches_and_repeats_time():
    clouds = [torch.randn(50, 6), torch.randn(70, 6)]
    x = voxelize(clouds, grid_size=0.3, time_steps=2)
    assert x.time_steps == 2
    assert x.batch_size == 2
    assert x.num_channels == 6
    assert set(x.batch_index.unique().tolist()) == {0, 1}
    m = voxelize(
        [torch.tensor([[0.0, 0, 0, 1], [0.01, 0, 0, 3], [1.0, 1, 1, 5]])],
        grid_size=0.5,
        mode="mean",
    )
    assert sorted(m.features[0, :, 3].tolist()) == [2.0, 5.0]


@pytest.mark.parametrize(
    ("points", "kwargs", "match"),
    [
        ([torch.zeros(0, 3)], {}, "empty point cloud"),
        ([torch.tensor([[0.0, float("nan"), 0.0]])], {}, "NaN"),
        ([torch.zeros(3, 3)], {"grid_size": 0.0}, "grid_size"),
        ([torch.zeros(3, 3)], {"grid_size": -1.0}, "grid_size"),
        ([torch.zeros(3, 2)], {}, r"\[N, C>=3\]"),
        ([], {}, "at least one"),
    ],
)
def test_voxelize_bad_input(points, kwargs, match):
    with pytest.raises(ValueError, match=match):
        voxelize(points, **kwargs)


def test_voxelize_rejects_integer_points():
    with pytest.raises(TypeError, match="floating point"):
        voxelize([torch.zeros(3, 3, dtype=torch.long)])


KITTI = {"voxel_size": (0.05, 0.05, 0.1), "point_range": (0, -40, -3, 70.4, 40, 1)}


def test_voxelize_in_range_mean_cap_and_shape():
    pts = torch.tensor([[1.0, 0.0, 0.0, 1.0]] * 7 + [[2.0, 1.0, -1.0, 0.5], [100.0, 0.0, 0.0, 9.0]])
    pts[:7, 3] = torch.arange(7.0)
    x = voxelize_in_range([pts], max_points_per_voxel=5, **KITTI)
    assert x.spatial_shape == (1408, 1600, 40)
    assert x.num_sites == 2  # the point at x = 100 is dropped
    first = x.features[0][x.coords[:, 1] == 20][0]
    assert first[3].item() == pytest.approx(2.0)  # mean of intensities 0..4 (cap 5)
    z = voxelize_in_range([pts], reverse_axes=True, **KITTI)
    assert z.spatial_shape == (41, 1600, 1408)
    assert torch.equal(z.coords[:, 1:], x.coords[:, 1:].flip(1))


def test_voxelize_in_range_out_of_range_modes():
    pts = torch.tensor([[100.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="outside point_range"):
        voxelize_in_range([pts], out_of_range="error", **KITTI)
    clipped = voxelize_in_range([pts], out_of_range="clip", **KITTI)
    assert clipped.num_sites == 2
    assert int(clipped.coords[:, 1].max()) == 1407
    with pytest.raises(ValueError, match="no point"):
        voxelize_in_range([pts[:1]], **KITTI)
    with pytest.raises(ValueError, match="voxel size"):
        voxelize_in_range([pts], voxel_size=(0.0, 1, 1), point_range=KITTI["point_range"])
    with pytest.raises(ValueError, match="point_range"):
        voxelize_in_range([pts], voxel_size=(1, 1, 1), point_range=(0, 0, 0, -1, 1, 1))


def test_sparse_tensor_validation():
    c = torch.tensor([[0, 1, 1, 1]])
    f = torch.ones(1, 1, 2)
    with pytest.raises(ValueError, match="lie in"):
        SparseVoxelTensor(f, torch.tensor([[0, 4, 0, 0]]), (4, 4, 4), 1)
    with pytest.raises(ValueError, match="lie in"):
        SparseVoxelTensor(f, torch.tensor([[1, 0, 0, 0]]), (4, 4, 4), 1)
    with pytest.raises(ValueError, match="unique"):
        SparseVoxelTensor(torch.ones(1, 2, 2), torch.cat([c, c]), (4, 4, 4), 1)
    with pytest.raises(ValueError, match=r"\[T, N, C\]"):
        SparseVoxelTensor(torch.ones(1, 2), c, (4, 4, 4), 1)
    with pytest.raises(TypeError, match="integer"):
        SparseVoxelTensor(f, c.float(), (4, 4, 4), 1)
    with pytest.raises(ValueError, match="NaN"):
        SparseVoxelTensor(torch.full((1, 1, 2), float("nan")), c, (4, 4, 4), 1)
    x = SparseVoxelTensor(f, c, (4, 4, 4), 1)
    d = x.to_dense()
    assert d.shape == (1, 1, 2, 4, 4, 4)
    assert d.sum() == 2
    back = SparseVoxelTensor.from_dense(d)
    assert torch.equal(back.coords, c)
    assert torch.equal(back.features, f)
    assert x.pad_spatial_shape(16).spatial_shape == (16, 16, 16)
