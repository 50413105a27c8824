import pytest
import torch

import spike_core
from spike_cam._mamba import BiMamba, selective_scan, selective_scan_parallel
from spike_cam.spikmamba import PatchEmbed, SpikMamba, SpikMambaConfig, linear_attention
from spike_core.testing import check_model

TINY = SpikMambaConfig(
    num_classes=5,
    frames=2,
    img_size=16,
    patch=4,
    dim=32,
    heads=4,
    mlp_hidden=64,
    mamba_layers=1,
    sla_depth=1,
)


@pytest.mark.slow
def test_check12_patch_embed_shapes() -> None:
    torch.manual_seed(0)
    pe = PatchEmbed(dim=256, patch=4, img_size=128)
    y = pe(torch.rand(2, 3, 16, 128, 128))
    assert y.shape == (32, 1024, 256)
    assert set(y.unique().tolist()) <= {0.0, 1.0}
    pe8 = PatchEmbed(dim=256, patch=8, img_size=128, bn_axis="channel")
    assert pe8(torch.rand(2, 3, 8, 128, 128)).shape == (16, 256, 256)
    with pytest.raises(ValueError, match="frames must be"):
        pe(torch.rand(2, 16, 128, 128))


def test_check13_linear_attention_equals_quadratic() -> None:
    g = torch.Generator().manual_seed(0)
    q = torch.rand(2, 3, 10, 4, generator=g, dtype=torch.float64)
    k = torch.rand(2, 3, 10, 4, generator=g, dtype=torch.float64)
    v = torch.randn(2, 3, 10, 5, generator=g, dtype=torch.float64)
    s = q @ k.transpose(-2, -1)
    ref = (s @ v) / s.sum(-1, keepdim=True)
    assert torch.allclose(linear_attention(q, k, v, eps=0.0), ref, atol=1e-4)


def test_check14_selective_scan_matches_naive_loop() -> None:
    g = torch.Generator().manual_seed(0)
    Bt, L, E, N = 1, 64, 3, 16
    u = torch.randn(Bt, L, E, generator=g, dtype=torch.float64)
    delta = torch.rand(Bt, L, E, generator=g, dtype=torch.float64) * 0.5
    A = -torch.rand(E, N, generator=g, dtype=torch.float64)
    B = torch.randn(Bt, L, N, generator=g, dtype=torch.float64)
    C = torch.randn(Bt, L, N, generator=g, dtype=torch.float64)
    D = torch.randn(E, generator=g, dtype=torch.float64)
    y = selective_scan(u, delta, A, B, C, D)
    ref = torch.zeros_like(u)
    for e in range(E):
        h = torch.zeros(N, dtype=torch.float64)
        for t in range(L):
            h = torch.exp(delta[0, t, e] * A[e]) * h + delta[0, t, e] * B[0, t] * u[0, t, e]
            ref[0, t, e] = (C[0, t] * h).sum() + D[e] * u[0, t, e]
    assert torch.allclose(y, ref, atol=1e-5)


def test_check14_bidirectional_is_forward_plus_reversed() -> None:
    torch.manual_seed(0)
    m = BiMamba(8, d_state=4)
    x = torch.randn(2, 7, 8)
    xi, z = m.in_proj(x).chunk(2, dim=-1)
    expected = m.out_proj((m.fwd(xi) + m.bwd(xi.flip(1)).flip(1)) * torch.nn.functional.silu(z))
    assert torch.allclose(m(x), expected)
    # causal: the forward direction at step t does not see later steps
    y1 = m.fwd(xi)
    xi2 = xi.clone()
    xi2[:, 5:] += 1.0
    assert torch.allclose(m.fwd(xi2)[:, :5], y1[:, :5], atol=1e-6)


@pytest.mark.slow
def test_tiny_model_contract_and_registry() -> None:
    torch.manual_seed(0)
    m = SpikMamba(TINY)
    check_model(m, expected_shape=(2, 5))
    m.reset_classifier(3)
    assert m(m.example_input(1)).shape == (1, 3)
    assert {"spikmamba", "spikmamba-16f"} <= set(spike_core.list_models())
    assert spike_core.meta_parameter_count("spikmamba") > 0
    with pytest.raises(ValueError, match="frames must be"):
        m(torch.rand(1, 3, 5, 16, 16))


@pytest.mark.slow
def test_check15_full_model_forward_cpu() -> None:
    torch.manual_seed(0)
    m = SpikMamba(SpikMambaConfig(num_classes=11)).eval()
    with torch.no_grad():
        out = m(torch.rand(1, 3, 8, 128, 128))
    assert out.shape == (1, 11)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("L", [1, 2, 5, 37, 64])
def test_parallel_scan_matches_reference_loop(L: int) -> None:
    g = torch.Generator().manual_seed(1)
    Bt, E, N = 2, 6, 8
    u = torch.randn(Bt, L, E, generator=g)
    delta = torch.nn.functional.softplus(torch.randn(Bt, L, E, generator=g))
    A = -torch.exp(torch.randn(E, N, generator=g)) * 4
    B = torch.randn(Bt, L, N, generator=g)
    C = torch.randn(Bt, L, N, generator=g)
    D = torch.randn(E, generator=g)
    ref = selective_scan(u, delta, A, B, C, D)
    got = selective_scan_parallel(u, delta, A, B, C, D)
    assert torch.allclose(got, ref, atol=1e-5, rtol=1e-5)
    # gradients agree too (float64, so rounding does not blur the comparison)
    args = [a.double() for a in (u, A, B, C, D)]
    d1 = delta.double().requires_grad_()
    d2 = delta.double().requires_grad_()
    selective_scan(args[0], d1, *args[1:]).square().sum().backward()
    selective_scan_parallel(args[0], d2, *args[1:]).square().sum().backward()
    assert d2.grad is not None
    assert d1.grad is not None
    assert torch.allclose(d2.grad, d1.grad, atol=1e-8, rtol=1e-8)
