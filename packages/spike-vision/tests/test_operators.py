"""Neuron and attention semantics from the spec (checks 9-13)."""

import pytest
import torch

from spike_vision import BNAndPad, RepConv, qkv_product, sdsa1, spiking_neuron


def _forbid_softmax(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("softmax called")

    monkeypatch.setattr(torch, "softmax", boom)
    monkeypatch.setattr(torch.Tensor, "softmax", boom)
    monkeypatch.setattr(torch.nn.functional, "softmax", boom)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, [0, 1, 0, 1]), (2.0, [1, 1, 1, 1]), (0.6, [0, 0, 0, 0]), (1.0, [0, 0, 0, 0])],
)
def test_lif_constant_input(value: float, expected: list[int]) -> None:
    lif = spiking_neuron(backend="torch")
    out = lif(torch.full((4, 1, 1), value))
    assert out.flatten().tolist() == expected


@pytest.mark.parametrize(("dtype", "first"), [(torch.float32, 25), (torch.float64, 54)])
def test_lif_threshold_approach_precision(dtype: torch.dtype, first: int) -> None:
    lif = spiking_neuron(backend="torch")
    out = lif(torch.ones(60, 1, 1, dtype=dtype)).flatten()
    assert int(out.nonzero()[0]) + 1 == first


def test_lif_surrogate_is_sigmoid_alpha4() -> None:
    lif = spiking_neuron(backend="torch")
    x = torch.tensor([[0.3]], requires_grad=True)
    lif(x.unsqueeze(0)).sum().backward()
    h = 0.5 * 0.3 - 1.0
    s = torch.sigmoid(torch.tensor(4 * h))
    assert torch.allclose(x.grad, 0.5 * 4 * s * (1 - s))


def test_sdsa1_is_and_or_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid_softmax(monkeypatch)
    g = torch.Generator().manual_seed(0)
    t, b, h, n, d = 1, 2, 2, 64, 4
    q, k, v = (torch.randint(0, 2, (t, b, h, n, d), generator=g).float() for _ in range(3))
    out = sdsa1(q, k, v, spiking_neuron(v_threshold=0.5, backend="torch"))
    expected = q.bool() & (k.bool() & v.bool()).any(dim=-2, keepdim=True)
    assert torch.equal(out, expected.float())
    assert set(out.unique().tolist()) <= {0.0, 1.0}


def test_sdsa1_never_forms_an_n_by_n_matrix() -> None:
    # N = 300k tokens: an N x N float matrix would need 360 GB; SDSA-1 needs O(N d).
    n = 300_000
    q = torch.ones(1, 1, 1, n, 2)
    kv = torch.zeros(1, 1, 1, n, 2)
    kv[..., 5, 0] = 1.0
    out = sdsa1(q, kv, kv, spiking_neuron(v_threshold=0.5, backend="torch"))
    assert out[..., 0].sum() == n
    assert out[..., 1].sum() == 0


def test_no_softmax_in_any_attention(monkeypatch: pytest.MonkeyPatch) -> None:
    from spike_core import create_model

    _forbid_softmax(monkeypatch)
    x = torch.rand(1, 1, 3, 32, 32)
    create_model("spikformer-8-384", depth=1, embed_dim=16, num_heads=2, backend="torch")(x)
    create_model("sdt-8-384", depth=1, embed_dim=16, num_heads=2, backend="torch")(x)
    create_model(
        "meta-spikeformer-15m", embed_dims=(8, 16, 16, 16), depths=(1, 1), backend="torch"
    )(x)


def test_meta_attention_fires_where_product_reaches_8() -> None:
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randint(0, 2, (1, 2, 2, 16, 8), generator=g).float() for _ in range(3))
    raw = q @ k.transpose(-2, -1) @ v
    prod = qkv_product(q, k, v, scale=0.125)
    assert torch.equal(prod, qkv_product(q, k, v, scale=0.125, kv_first=False))
    assert torch.equal(prod * 8, raw)
    fired = spiking_neuron(v_threshold=0.5, backend="torch")(prod)
    assert torch.equal(fired, (raw >= 8).float())
    assert (raw >= 8).any()
    assert (raw < 8).any()


def test_repconv_fuses_into_one_3x3_conv() -> None:
    torch.manual_seed(0)
    rep = RepConv(in_channels=4, out_channels=6)
    for bn in (rep.bn_pad.bn, rep.bn):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-1, 1)
    rep.eval()
    x = (torch.rand(3, 4, 7, 9) > 0.5).float()
    fused = rep.fuse()
    assert torch.allclose(rep(x), fused(x), atol=1e-5)


def test_bn_and_pad_border_is_bn_of_zero() -> None:
    m = BNAndPad(channels=3)
    m.bn.running_mean.fill_(0.5)
    m.bn.bias.data.fill_(0.2)
    m.eval()
    out = m(torch.rand(1, 3, 4, 4))
    assert out.shape == (1, 3, 6, 6)
    zero = m.bn(torch.zeros(1, 3, 1, 1)).flatten()
    assert torch.allclose(out[0, :, 0, 0], zero)
    assert torch.allclose(out[0, :, -1, 3], zero)
