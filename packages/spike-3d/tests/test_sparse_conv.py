import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from spike_3d import (
    SparseAvgPool3d,
    SparseBatchNorm,
    SparseConv3d,
    SparseInverseConv3d,
    SparseMaxPool3d,
    SparseVoxelTensor,
    SubMConv3d,
    strided_rulebook,
    submanifold_rulebook,
)


def _random_sparse(seed, B=2, C=3, shape=(8, 8, 8), density=0.3, T=1, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    active = torch.rand(B, *shape, generator=g) < density
    active.view(-1)[0] = True  # never empty
    dense = torch.randn(T, B, C, *shape, generator=g, dtype=dtype) * active[None, :, None]
    return SparseVoxelTensor.from_dense(dense, active), dense, active


def _at_sites(dense_out, coords):
    # dense_out: [B, C, X, Y, Z] -> [N, C]
    b, x, y, z = coords.unbind(1)
    return dense_out.permute(0, 2, 3, 4, 1)[b, x, y, z]


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    density=st.floats(0.02, 0.3),
    cin=st.integers(1, 4),
    cout=st.integers(1, 4),
    ks=st.sampled_from([1, 3]),
)
def test_submanifold_equals_dense_conv3d_values_and_gradients(seed, density, cin, cout, ks):
    x, dense, _ = _random_sparse(seed, C=cin, density=density)
    feats = x.features.clone().requires_grad_(True)
    x = x.replace_features(feats)
    conv = SubMConv3d(in_channels=cin, out_channels=cout, kernel_size=ks, bias=True).double()
    torch.nn.init.normal_(conv.weight)
    torch.nn.init.normal_(conv.bias)
    out = conv(x).features[0]

    dense_in = dense[0].clone().requires_grad_(True)
    w = conv.dense_weight().detach().clone().requires_grad_(True)
    ref = _at_sites(F.conv3d(dense_in, w, conv.bias, padding=ks // 2), x.coords)
    assert torch.allclose(out, ref, atol=1e-10)

    grad = torch.randn_like(out)
    (out * grad).sum().backward()  # (backward(grad) would import sympy: slow without .pyc)
    (ref * grad).sum().backward()
    assert torch.allclose(feats.grad[0], _at_sites(dense_in.grad, x.coords), atol=1e-10)
    assert torch.allclose(conv.dense_weight(), w)
    kx = ks
    gw = conv.weight.grad.reshape(kx, kx, kx, cin, cout).permute(4, 3, 0, 1, 2)
    assert torch.allclose(gw, w.grad, atol=1e-9)


def test_submanifold_float32_matches_dense_within_1e5():
    x, dense, _ = _random_sparse(3, C=4, dtype=torch.float32)
    conv = SubMConv3d(in_channels=4, out_channels=8)
    torch.nn.init.normal_(conv.weight, std=0.3)
    ref = _at_sites(F.conv3d(dense[0], conv.dense_weight(), padding=1), x.coords)
    assert (conv(x).features[0] - ref).abs().max() < 1e-5


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    density=st.floats(0.02, 0.3),
    cfg=st.sampled_from([(2, 2, 0), (3, 2, 1), ((3, 1, 1), (2, 1, 1), 0), (3, 1, 0), (2, 1, 1)]),
)
def test_strided_conv_equals_dense_conv3d(seed, density, cfg):
    ks, stride, pad = cfg
    x, dense, active = _random_sparse(seed, C=2, density=density)
    feats = x.features.clone().requires_grad_(True)
    x = x.replace_features(feats)
    conv = SparseConv3d(
        in_channels=2, out_channels=3, kernel_size=ks, stride=stride, padding=pad
    ).double()
    torch.nn.init.normal_(conv.weight)
    y = conv(x)
    dense_in = dense[0].clone().requires_grad_(True)
    ref_full = F.conv3d(dense_in, conv.dense_weight().detach(), stride=stride, padding=pad)
    assert y.spatial_shape == tuple(ref_full.shape[2:])
    # the output sites are exactly where the dense conv sees an active input
    reach = (
        F.conv3d(
            active[:, None].double(),
            torch.ones(1, 1, *conv.kernel_size, dtype=torch.float64),
            stride=stride,
            padding=pad,
        )[:, 0]
        > 0
    )
    assert torch.equal(reach.nonzero(), y.coords)
    ref = _at_sites(ref_full, y.coords)
    assert torch.allclose(y.features[0], ref, atol=1e-10)
    grad = torch.randn_like(ref)
    (y.features[0] * grad).sum().backward()
    (ref * grad).sum().backward()
    assert torch.allclose(feats.grad[0], _at_sites(dense_in.grad, x.coords), atol=1e-10)


def test_down_conv_sites_are_parent_cells_and_inverse_restores_them():
    x, _dense, _ = _random_sparse(7, C=2, density=0.25)
    down = SparseConv3d(
        in_channels=2, out_channels=3, kernel_size=2, stride=2, indice_key="d0"
    ).double()
    y = down(x)
    for b in range(2):
        parents = torch.unique(
            torch.div(x.coords[x.coords[:, 0] == b, 1:], 2, rounding_mode="floor"), dim=0
        )
        assert torch.equal(y.coords[y.coords[:, 0] == b, 1:], parents)
    assert y.tensor_stride == (2, 2, 2)
    inv = SparseInverseConv3d(
        in_channels=3, out_channels=2, kernel_size=2, indice_key="d0"
    ).double()
    torch.nn.init.normal_(inv.weight)
    z = inv(y)
    assert torch.equal(z.coords, x.coords)
    assert z.spatial_shape == x.spatial_shape
    assert z.tensor_stride == (1, 1, 1)
    ref = F.conv_transpose3d(y.to_dense()[0], inv.dense_transpose_weight(), stride=2)
    assert torch.allclose(z.features[0], _at_sites(ref, z.coords), atol=1e-10)


def test_inverse_conv_without_matching_key_raises():
    x, _, _ = _random_sparse(1, C=2)
    y = SparseConv3d(in_channels=2, out_channels=2, indice_key="a").double()(x)
    with pytest.raises(ValueError, match="indice_key 'b'"):
        SparseInverseConv3d(in_channels=2, out_channels=2, indice_key="b").double()(y)
    with pytest.raises(ValueError, match="offsets"):
        SparseInverseConv3d(in_channels=2, out_channels=2, kernel_size=3, indice_key="a").double()(
            y
        )


def test_submanifold_keeps_active_set_and_isolated_site_gets_centre_only():
    coords = torch.tensor([[0, 1, 1, 1], [0, 5, 5, 5], [0, 5, 5, 6]])
    feats = torch.randn(1, 3, 2, dtype=torch.float64)
    x = SparseVoxelTensor(feats, coords, (8, 8, 8), 1)
    conv = SubMConv3d(in_channels=2, out_channels=3).double()
    y = conv(x)
    assert torch.equal(y.coords, coords)
    centre = conv.weight[13]
    assert torch.allclose(y.features[0, 0], feats[0, 0] @ centre)
    assert not torch.allclose(y.features[0, 1], feats[0, 1] @ centre)


def test_center_gate_spike_zeroes_silent_sites_and_matches_occupancy_elsewhere():
    coords = torch.tensor([[0, 1, 1, 1], [0, 1, 1, 2], [0, 1, 2, 2]])
    feats = torch.tensor([[[1.0, 0.0], [0.0, 0.0], [2.0, 3.0]]])
    x = SparseVoxelTensor(feats, coords, (4, 4, 4), 1)
    gated = SubMConv3d(in_channels=2, out_channels=2, center_gate="spike")
    plain = SubMConv3d(in_channels=2, out_channels=2)
    plain.load_state_dict(gated.state_dict())
    yg, yp = gated(x).features[0], plain(x).features[0]
    assert torch.equal(yg[1], torch.zeros(2))
    assert yp[1].abs().sum() > 0
    assert torch.allclose(yg[[0, 2]], yp[[0, 2]])
    assert gated.synaptic_ops()["ac"] < plain.synaptic_ops()["ac"] + 1e-9


def test_time_steps_are_independent_and_batched():
    x, _, _ = _random_sparse(4, C=2, T=3)
    conv = SubMConv3d(in_channels=2, out_channels=2).double()
    y = conv(x).features
    for t in range(3):
        yt = conv(x.replace_features(x.features[t : t + 1])).features[0]
        assert torch.allclose(y[t], yt)


def test_rulebook_is_cached_per_site_set():
    x, _, _ = _random_sparse(5, C=2)
    conv = SubMConv3d(in_channels=2, out_channels=2).double()
    y = conv(x)
    rb = conv.rulebook(y)
    assert rb is conv.rulebook(x)
    assert rb.num_pairs == submanifold_rulebook(x.coords, x.spatial_shape).num_pairs


def test_rulebook_arguments_are_checked():
    c = torch.zeros(1, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="odd"):
        submanifold_rulebook(c, (4, 4, 4), 2)
    with pytest.raises(ValueError, match="too small"):
        strided_rulebook(c, (1, 1, 1), 2, 2)
    with pytest.raises(TypeError, match="kernel_size"):
        strided_rulebook(c, (4, 4, 4), 2.0, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="3 channels"):
        SubMConv3d(in_channels=3, out_channels=2)(
            SparseVoxelTensor(torch.ones(1, 1, 2), c, (4, 4, 4), 1)
        )
    with pytest.raises(TypeError, match="SparseVoxelTensor"):
        SubMConv3d(in_channels=3, out_channels=2)(torch.ones(1, 1, 3))


def test_pooling_matches_brute_force_over_active_inputs():
    x, _, _ = _random_sparse(9, C=2, density=0.2)
    mx = SparseMaxPool3d(kernel_size=2)(x)
    av = SparseAvgPool3d(kernel_size=2)(x)
    parent = torch.div(x.coords[:, 1:], 2, rounding_mode="floor")
    for i, (b, *p) in enumerate(mx.coords.tolist()):
        sel = (x.coords[:, 0] == b) & (parent == torch.tensor(p)).all(1)
        assert torch.allclose(mx.features[0, i], x.features[0, sel].max(0).values)
        assert torch.allclose(av.features[0, i], x.features[0, sel].mean(0))


def test_sparse_batch_norm_uses_only_active_sites():
    x, _, _ = _random_sparse(2, C=3, T=2)
    bn = SparseBatchNorm(num_features=3).double()
    y = bn(x).features.reshape(-1, 3)
    assert torch.allclose(y.mean(0), torch.zeros(3, dtype=torch.float64), atol=1e-9)
    assert bn.bn.eps == 1e-3
    assert bn.bn.momentum == 0.01
