"""SpikeGPT: spec checks 1-7 (counts, init, WKV, LIF, binary embedding, equivalence, L2Wrap)."""

from __future__ import annotations

import math

import pytest
import torch

from spike_core import create_model, list_models, meta_parameter_count, model_entry
from spike_core.testing import check_model
from spike_seq import (
    SRFFN,
    SRWKV,
    BinaryEmbedding,
    SpikeGPT,
    SpikeGPTConfig,
    lm_loss,
    spikegpt_num_params,
    wkv_closed_form,
    wkv_init_state,
    wkv_parallel,
    wkv_step,
)


def tiny(**kw) -> SpikeGPT:
    cfg = {
        "vocab_size": 16,
        "n_layer": 2,
        "n_embd": 8,
        "ctx_len": 32,
        "init": "torch",
        "backend": "torch",
    }
    cfg |= kw
    return SpikeGPT(SpikeGPTConfig(**cfg))


@pytest.mark.parametrize(
    ("L", "C", "V", "expected"),
    [
        (18, 768, 50277, 215_399_424),
        (12, 512, 5458, 46_553_088),
        (24, 768, 50277, 261_456_384),
        (12, 512, 50277, 92_447_744),
    ],
)
def test_parameter_formula_and_meta_build(L, C, V, expected) -> None:
    assert spikegpt_num_params(L, C, V) == expected
    with torch.device("meta"):
        model = SpikeGPT(SpikeGPTConfig(n_layer=L, n_embd=C, vocab_size=V))
    assert sum(p.numel() for p in model.parameters()) == expected


def test_registered_counts() -> None:
    assert meta_parameter_count("spikegpt-216m") == 215_399_424
    assert meta_parameter_count("spikegpt-46m") == 46_553_088
    assert meta_parameter_count("spikegpt-260m") == 261_456_384
    for family in ("spikegpt", "l2mu"):
        for name in list_models(family):
            assert meta_parameter_count(name) == model_entry(name).num_params, name


def test_per_block_counts_at_768() -> None:
    with torch.device("meta"):
        att = SRWKV(n_embd=768, layer_id=1, n_layer=2)
        ffn = SRFFN(n_embd=768, layer_id=1, n_layer=2)
    assert sum(p.numel() for p in att.parameters()) == 2_363_136
    assert sum(p.numel() for p in ffn.parameters()) == 5_309_952


def test_init_values_c4_l2() -> None:
    m = SpikeGPT(SpikeGPTConfig(vocab_size=5, n_layer=2, n_embd=4, ctx_len=8))
    b0, b1 = m.blocks[0], m.blocks[1]
    close = lambda t, v: torch.testing.assert_close(t.detach(), torch.tensor(v), atol=1e-6, rtol=0)  # noqa: E731
    close(b0.att.time_decay, [-5, -1.292296, 1.023184, 3])
    close(b0.att.time_mix_k, [0, 0.25, 0.5, 0.75])
    close(b0.att.time_mix_v, [0, 0.25, 0.5, 0.75])
    close(b0.att.time_mix_r, [0, 0.5, 0.707107, 0.866025])
    close(b1.att.time_decay, [-5, -4.111111, -1.444444, 3])
    close(b1.att.time_mix_k, [0, 0.5, 0.707107, 0.866025])
    close(b1.att.time_mix_v, [0.3, 0.8, 1.007107, 1.166025])
    close(b1.att.time_mix_r, [0, 0.707107, 0.840896, 0.930605])
    close(b1.ffn.time_mix_k, [0, 0.5, 0.707107, 0.866025])
    for b in (b0, b1):
        close(b.att.time_first, [-1.203973, -0.703973, -1.703973, -1.203973])


def test_rwkv_init_scheme() -> None:
    m = SpikeGPT(SpikeGPTConfig(vocab_size=40, n_layer=2, n_embd=8, ctx_len=8))
    blk = m.blocks[0]
    for lin in (blk.att.key, blk.att.receptance, blk.att.output, blk.ffn.value, blk.ffn.receptance):
        assert torch.count_nonzero(lin.weight) == 0
    w = blk.att.value.weight.detach()  # orthogonal, gain 1
    torch.testing.assert_close(w @ w.T, torch.eye(8), atol=1e-5, rtol=0)
    k = blk.ffn.key.weight.detach()  # (4C, C): gain sqrt(4) = 2
    torch.testing.assert_close(k.T @ k, 4 * torch.eye(8), atol=1e-4, rtol=0)
    h = m.head.weight.detach()  # (V, C): gain sqrt(V/C) * 0.5
    torch.testing.assert_close(h.T @ h, (40 / 8) * 0.25 * torch.eye(8), atol=1e-4, rtol=0)
    e = m.emb.weight.detach()  # gain sqrt(max(V, C)) * 1e-4
    torch.testing.assert_close(e.T @ e, 40 * 1e-8 * torch.eye(8), atol=1e-9, rtol=0)


def test_wkv_forms_agree_float64() -> None:
    g = torch.Generator().manual_seed(0)
    T, B, C = 12, 2, 5
    k, v = (
        torch.randn(T, B, C, generator=g, dtype=torch.float64),
        torch.randn(T, B, C, generator=g, dtype=torch.float64),
    )
    w = -torch.exp(torch.randn(C, generator=g, dtype=torch.float64))
    u = torch.randn(C, generator=g, dtype=torch.float64)
    ref = wkv_closed_form(k, v, w, u)
    state, outs = wkv_init_state(k[0]), []
    for t in range(T):
        o, state = wkv_step(k[t], v[t], w, u, state)
        outs.append(o)
    assert (torch.stack(outs) - ref).abs().max() < 1e-14
    for chunk in (1, 5, 16):
        out, st = wkv_parallel(k, v, w, u, chunk=chunk)
        assert (out - ref).abs().max() < 1e-14
        torch.testing.assert_close(
            st.a * st.p.exp(), state.a * state.p.exp(), atol=1e-12, rtol=1e-12
        )
    # resuming from a state equals one pass
    first, st = wkv_parallel(k[:5], v[:5], w, u, chunk=3)
    rest, _ = wkv_parallel(k[5:], v[5:], w, u, st, chunk=3)
    assert (torch.cat([first, rest]) - ref).abs().max() < 1e-14


def test_wkv_stable_for_large_keys() -> None:
    k = torch.tensor([[[300.0]], [[-300.0]], [[500.0]]])
    v = torch.tensor([[[1.0]], [[2.0]], [[3.0]]])
    out, _ = wkv_parallel(k, v, torch.tensor([-0.5]), torch.tensor([0.0]))
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.flatten(), torch.tensor([1.0, 1.0, 3.0]))


def test_lif_reference_values() -> None:
    lif = tiny().blocks[0].lif_att
    from spike_core import simulate

    x = torch.tensor([1.5, 0.6, 0.6, 2.0, 0.0, 2.5]).view(6, 1, 1)
    s, _ = simulate(lif, x)
    assert s.flatten().tolist() == [0, 0, 0, 1, 0, 1]
    # charge before the reset: H = (V + X) / 2
    v = 0.0
    H = []
    for xi in x.flatten().tolist():
        h = (v + xi) / 2
        H.append(h)
        v = 0.0 if h >= 1 else h
    assert pytest.approx([0.75, 0.675, 0.6375, 1.31875, 0, 1.25]) == H


def test_binary_embedding() -> None:
    emb = BinaryEmbedding(vocab_size=4, n_embd=3)
    with torch.no_grad():
        emb.weight.copy_(torch.tensor([[-0.0, 0.0, -1.0], [1.0, -2.0, 0.5], [0, 0, 0], [3, 3, 3]]))
    emb.weight.requires_grad_(True)
    out = emb(torch.tensor([0, 1]))
    assert out.tolist() == [[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    out.sum().backward()
    g = emb.weight.grad
    assert g[0, 0].item() == pytest.approx(1.0)
    assert g[1, 0].item() == pytest.approx(1 / (1 + math.pi**2), abs=1e-6)
    assert g[1, 0].item() == pytest.approx(0.092000, abs=1e-6)


def _spiky_model(backend: str = "torch") -> SpikeGPT:
    torch.manual_seed(0)
    model = tiny(dropout=0.0, backend=backend).double().eval()
    with torch.no_grad():  # drive the LIFs hard enough to spike
        for b in model.blocks:
            b.att.output.weight.mul_(12.0)
            b.ffn.value.weight.mul_(12.0)
    return model


@pytest.mark.parametrize("backend", ["torch", pytest.param("auto", marks=pytest.mark.slow)])
def test_parallel_equals_recurrent_every_position(backend: str) -> None:
    model = _spiky_model(backend)
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(0, 16, (12, 3), generator=g)
    feats, state_par, spikes = model.forward_features(idx, return_state=True, return_spikes=True)
    logits = model.head(feats)
    state, rec_logits, rec_spikes = None, [], []
    for t in range(12):
        lg, state, sp = model.step(idx[t], state, return_spikes=True)
        rec_logits.append(lg)
        rec_spikes.append(sp)
    total = 0.0
    for layer in range(2):
        for kind in range(2):
            rec = torch.stack([rec_spikes[t][layer][kind] for t in range(12)])
            assert torch.equal(rec, spikes[layer][kind])
            total += float(rec.detach().sum())
    assert total > 20  # the comparison is about real spike trains
    assert (torch.stack(rec_logits) - logits).abs().max() < 1e-10
    for a, b in zip(state_par, state, strict=True):
        if torch.isfinite(a).all():
            torch.testing.assert_close(a, b, atol=1e-10, rtol=0)


def test_parallel_continues_from_state() -> None:
    model = _spiky_model()
    idx = torch.randint(0, 16, (10, 2), generator=torch.Generator().manual_seed(2))
    full = model(idx)
    a, st = model(idx[:4], return_state=True)
    b = model(idx[4:], st)
    assert (torch.cat([a, b]) - full).abs().max() < 1e-10


def test_l2wrap_gradient() -> None:
    torch.manual_seed(0)
    T, B, V = 3, 2, 5
    logits = torch.randn(T, B, V, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, V, (T, B))
    plain = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
    wrapped = lm_loss(logits, targets)
    assert wrapped.item() == plain.item()
    (g_plain,) = torch.autograd.grad(plain, logits)
    (g_wrap,) = torch.autograd.grad(lm_loss(logits, targets), logits)
    extra = g_wrap - g_plain
    top, ids = logits.detach().max(-1)
    expected = torch.zeros_like(extra).scatter_(
        -1, ids.unsqueeze(-1), (1e-4 / (B * T) * top).unsqueeze(-1)
    )
    torch.testing.assert_close(extra, expected, atol=1e-15, rtol=1e-12)
    assert torch.count_nonzero(extra) == T * B


def test_contract_registered_tiny() -> None:
    model = create_model(
        "spikegpt-216m",
        vocab_size=16,
        n_layer=2,
        n_embd=8,
        ctx_len=8,
        init="torch",
        backend="torch",
    )
    check_model(model, expected_shape=(2, 2, 16))
    model.reset_classifier(3)
    assert model(model.example_input()).shape == (2, 2, 3)


def test_bad_inputs() -> None:
    model = tiny(ctx_len=6)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model(torch.tensor([[0], [16]]))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.step(torch.tensor([-1]))
    with pytest.raises(ValueError, match="ctx_len"):
        model(torch.zeros(7, 1, dtype=torch.long))
    with pytest.raises(TypeError, match="integer"):
        model(torch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"\[T, B\]"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"state\.att_x"):
        model(torch.zeros(2, 2, dtype=torch.long), model.init_state(3))
    with pytest.raises(ValueError, match="n_layer"):
        tiny(n_layer=1)
    with pytest.raises(ValueError, match="init"):
        tiny(init="xavier")


def test_wkv_parallel_gradients_match_recurrence() -> None:
    g = torch.Generator().manual_seed(5)
    T, B, C = 9, 2, 3
    leaves = [torch.randn(T, B, C, generator=g, dtype=torch.float64) for _ in range(2)]
    leaves += [torch.randn(C, generator=g, dtype=torch.float64) for _ in range(2)]
    weight = torch.randn(T, B, C, generator=g, dtype=torch.float64)

    def grads(fn):
        ps = [t.clone().requires_grad_(True) for t in leaves]
        k, v, td, u = ps
        (fn(k, v, -torch.exp(td), u) * weight).sum().backward()
        return [p.grad for p in ps]

    def recurrent(k, v, w, u):
        st, outs = wkv_init_state(k[0]), []
        for t in range(k.shape[0]):
            o, st = wkv_step(k[t], v[t], w, u, st)
            outs.append(o)
        return torch.stack(outs)

    for a, b in zip(grads(lambda *x: wkv_parallel(*x, chunk=4)[0]), grads(recurrent), strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


@pytest.mark.gpu
def test_cuda_matches_cpu() -> None:
    model = _spiky_model()  # float64: no near-threshold spike flips between devices
    idx = torch.randint(0, 16, (12, 2), generator=torch.Generator().manual_seed(4))
    ref = model(idx)
    gpu = model.cuda()(idx.cuda()).cpu()
    torch.testing.assert_close(gpu, ref, atol=1e-9, rtol=1e-9)
