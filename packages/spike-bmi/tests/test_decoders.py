"""Decoder checks 7-10 of the spec, parameter counts, contracts and exact streaming."""

import pytest
import torch

import spike_bmi
from spike_bmi import (
    ANN3D,
    SNN3D,
    ANN3DConfig,
    ANNConfig,
    ANNFlat,
    SNN3DConfig,
    SNNStreaming,
    SNNStreamingConfig,
    build_decoder,
    decoder_ops,
)
from spike_bmi._stream import chunk_sums, init_window, sliding_windows
from spike_core import create_model, list_models, meta_parameter_count, model_entry
from spike_core.testing import check_model

TINY = {
    "snn-streaming": {"input_dim": 6, "hidden": 8},
    "snn-3d": {"input_dim": 6, "window": 8, "num_chunks": 2, "hidden1": 8, "hidden2": 8},
    "ann": {"input_dim": 6, "window": 4, "hidden1": 8, "hidden2": 8},
    "ann-3d": {"input_dim": 6, "window": 6, "num_chunks": 3, "hidden1": 8, "hidden2": 8},
    "lstm": {"input_dim": 6, "window": 6, "num_chunks": 3, "hidden": 8},
    "lstm-streaming": {"input_dim": 6, "hidden": 8},
}


def _spikes(t: int, b: int, n: int, seed: int = 0, p: float = 0.4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(t, b, n, generator=g) < p).float()


@pytest.mark.parametrize(
    ("short", "indy", "loco"),
    [
        ("snn-streaming", 4_900, 9_700),
        ("snn-3d", 6_132, 10_548),
        ("ann", 4_946, 8_018),
        ("ann-3d", 23_378, 44_882),
        ("lstm", 117_314, 167_810),
        ("lstm-streaming", 115_970, 165_122),
    ],
)
def test_registered_parameter_counts(short: str, indy: int, loco: int) -> None:
    for monkey, n, count in (("indy", 96, indy), ("loco", 192, loco)):
        name = f"bmi-{short}-{monkey}"
        assert name in list_models("bmi")
        assert model_entry(name).num_params == count
        assert meta_parameter_count(name) == count
        assert model_entry(name).config.input_dim == n


def test_snn_streaming_formula_and_no_biases() -> None:  # check 7
    for n in (4, 96, 192):
        with torch.device("meta"):
            m = build_decoder("snn-streaming", input_dim=n)
        assert m.num_parameters() == n * 50 + 100
        assert all("bias" not in name for name, _ in m.named_parameters())


def test_ann_footprints_match_neurobench() -> None:
    # NeuroBench footprint = 4 bytes x (parameters + buffers): BN running stats, the one-row
    # input buffer (n floats) and two int64 num_batches_tracked (8 bytes each).
    for n, footprint in ((96, 20_824), (192, 33_496)):
        m = ANNFlat(ANNConfig(input_dim=n))
        stats = sum(b.numel() for name, b in m.named_buffers() if "running" in name)
        assert 4 * (m.num_parameters() + stats + n) + 16 == footprint
    for n, footprint in ((96, 94_552), (192, 180_952)):
        m = ANN3D(ANN3DConfig(input_dim=n))
        stats = sum(b.numel() for name, b in m.named_buffers() if "running" in name)
        assert 4 * (m.num_parameters() + stats + n) + 16 == footprint


@pytest.mark.parametrize("short", sorted(TINY))
def test_contract(short: str) -> None:
    torch.manual_seed(0)
    m = build_decoder(short, **TINY[short])
    x = m.example_input(batch_size=2, time_steps=4)
    out = check_model(m, x, expected_shape=(x.shape[0], 2, 2))
    assert out.shape[0] == x.shape[0]  # check 9: one output per input bin


@pytest.mark.parametrize("short", sorted(TINY))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_streaming_equals_whole_sequence_exactly(
    short: str, dtype: torch.dtype, monkeypatch: pytest.MonkeyPatch
) -> None:
    # exercise the internal time chunking (StreamingDecoder._run) too
    monkeypatch.setattr(spike_bmi._stream, "_CHUNK", 3)
    torch.manual_seed(1)
    m = build_decoder(short, **TINY[short]).to(dtype).eval()
    x = _spikes(11, 3, 6, seed=2).to(dtype)
    with torch.no_grad():
        whole, final = m(x, return_state=True)
        state = None
        steps = []
        for xt in x:
            y, state = m.step(xt, state)
            steps.append(y)
        # also: two halves with the state threaded
        a, st = m(x[:5], return_state=True)
        b = m(x[5:], st)
    assert torch.equal(whole, torch.stack(steps))
    assert torch.equal(whole, torch.cat([a, b]))
    for f, g in zip(final, state, strict=True):
        assert torch.equal(torch.as_tensor(f), torch.as_tensor(g))


def test_snn3d_chunking_excludes_newest_bin() -> None:  # check 8
    n, W = 2, 50
    x = torch.arange(1, 61, dtype=torch.float64)[:, None, None].expand(60, 1, n).clone()
    win, full, _ = sliding_windows(x, init_window(x[0], W))
    chunks = chunk_sums(win, 7)  # [T, B, 7, n]
    assert chunks.shape == (60, 1, 7, n)
    t = 59  # buffer holds inputs 11..60 (values), oldest first
    buf = x[t - 49 : t + 1, 0, 0]
    for i in range(7):
        assert chunks[t, 0, i, 0] == buf[7 * i : 7 * i + 7].sum()
    assert chunks[t, 0, :, 0].sum() == buf[:49].sum()  # bin 49 (the newest) is left out
    # before the buffer is full it holds [0, x_1, ..., x_t] oldest first
    assert chunks[2, 0, 0, 0] == 1 + 2 + 3
    assert chunks[2, 0, 1:].sum() == 0
    assert not full[48]
    assert full[49]

    torch.manual_seed(0)
    m = SNN3D(SNN3DConfig(input_dim=n)).double().eval()
    xs = _spikes(55, 1, n, p=0.5).double()
    base = m(xs)
    bumped = xs.clone()
    bumped[51] += 1.0
    out = m(bumped)
    assert torch.equal(out[:52], base[:52])  # the newest bin does not reach its own output
    assert not torch.equal(out[52:], base[52:])


def test_ann_flat_first_49_outputs_zero() -> None:  # check 9
    torch.manual_seed(0)
    m = ANNFlat(ANNConfig(input_dim=5)).double().eval()
    x = _spikes(60, 2, 5, p=0.5).double()
    with torch.no_grad():
        y = m(x)
        assert y.shape == (60, 2, 2)
        assert torch.all(y[:49] == 0)
        h = m.mlp.features(x[:50].sum(0, keepdim=True))
        ref = m.mlp.head(h)[0]
    assert torch.allclose(y[49], ref, atol=1e-12)
    assert torch.all(y[49:].abs().sum(-1) > 0)


def test_ann3d_and_lstm_predict_from_first_bin() -> None:
    torch.manual_seed(0)
    for m in (ANN3D(ANN3DConfig(input_dim=5)), build_decoder("lstm", input_dim=5)):
        y = m.eval()(_spikes(5, 1, 5))
        assert torch.all(y.abs().sum(-1) > 0)


def test_ann3d_flattens_channel_major() -> None:
    torch.manual_seed(0)
    m = (
        ANN3D(ANN3DConfig(input_dim=3, window=4, num_chunks=2, hidden1=4, hidden2=4))
        .double()
        .eval()
    )
    x = torch.zeros(4, 1, 3, dtype=torch.float64)
    x[0, 0, 2] = 1.0  # channel 2 in chunk 0 -> flat index 2 * 2 + 0 = 4
    with torch.no_grad():
        m.mlp.fc1.weight.zero_()
        m.mlp.fc1.weight[0, 4] = 1.0
        m.mlp.fc1.bias.zero_()
        h = torch.relu(m.mlp.fc1(torch.zeros(1, 1, 6, dtype=torch.float64)))
        assert h.abs().sum() == 0
        win, _, _ = sliding_windows(x, init_window(x[0], 4))
        c = chunk_sums(win, 2)
        flat = c.transpose(2, 3).reshape(4, 1, -1)
        assert flat[1, 0, 4] == 1.0


def test_reset_semantics_snn_streaming() -> None:  # check 10
    torch.manual_seed(0)
    m = SNNStreaming(SNNStreamingConfig(input_dim=6)).eval()
    x = _spikes(8, 2, 6, p=0.6)
    with torch.no_grad():
        whole = m(x)
        first, st = m(x[:4], return_state=True)
        second = m(x[4:], st)
        fresh = m(x[4:])
    assert torch.equal(whole, torch.cat([first, second]))
    assert not torch.allclose(second, fresh)


def test_snn_streaming_dynamics_match_equations() -> None:
    m = SNNStreaming(SNNStreamingConfig(input_dim=1, hidden=1)).double().eval()
    with torch.no_grad():
        m.fc1.weight.fill_(0.6)
        m.head.weight.fill_(2.0)
    x = torch.ones(4, 1, 1, dtype=torch.float64)
    y = m(x)[:, 0, 0]
    # h: 0.6, 1.176 -> spike, reset 0, 0.6, 1.176 -> spike
    v = 0.0
    expected = []
    for s in (0.0, 1.0, 0.0, 1.0):
        v = 0.96 * v + 2.0 * s
        expected.append(v)
    assert torch.allclose(y, torch.tensor(expected, dtype=torch.float64), atol=1e-12)


def test_decoder_ops_match_neurobench() -> None:
    for n, dense, eff in ((96, 32_928, 21_504), (192, 54_432, 43_008)):
        with torch.device("meta"):
            m = SNN3D(SNN3DConfig(input_dim=n))
        ops = decoder_ops(m)
        assert (ops.dense_ops, ops.effective_macs) == (dense, eff)
    with torch.device("meta"):
        assert decoder_ops(build_decoder("snn-streaming")).dense_ops == 4_900
    with pytest.raises(TypeError, match="spike-bmi decoder"):
        decoder_ops(torch.nn.Linear(2, 2))  # type: ignore[arg-type]


def test_reset_classifier_changes_outputs() -> None:
    for short, kw in TINY.items():
        m = build_decoder(short, **kw)
        m.reset_classifier(3)
        assert m.eval()(m.example_input(1, 2)).shape[-1] == 3


def test_create_model_and_bad_inputs() -> None:
    m = create_model("bmi-snn-streaming-indy", input_dim=4)
    with pytest.raises(ValueError, match=r"x_seq must be \[T, B, channels\] with channels=4"):
        m(torch.zeros(3, 1, 5))
    with pytest.raises(ValueError, match="x_seq"):
        m(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"x must be \[B, channels\]"):
        m.step(torch.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="NaN"):
        m(torch.full((2, 1, 4), float("nan")))
    with pytest.raises(TypeError, match="floating"):
        m(torch.zeros(2, 1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="unknown decoder"):
        build_decoder("gru")
    with pytest.raises(ValueError, match="bad config override"):
        build_decoder("ann", width=3)
    with pytest.raises(ValueError, match="num_chunks"):
        build_decoder("snn-3d", num_chunks=60)
