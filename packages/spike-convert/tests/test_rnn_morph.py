import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from spike_convert import (
    QRNNClassifier,
    RNNClassifier,
    convert_rnn,
    quantize_rnn,
    rnn_morph,
)

F64 = torch.float64


def _qrnn(
    seed: int, *, levels: int = 7, theta: float | None = 0.4, **kw
) -> tuple[QRNNClassifier, torch.Tensor]:
    torch.manual_seed(seed)
    m = RNNClassifier(input_size=3, hidden_size=8, num_outputs=4, **kw).to(F64)
    x = torch.randn(6, 4, 3, dtype=F64)
    q = quantize_rnn(m, levels=levels, calibration=x)
    if theta is not None:
        for layer in q.layers:
            layer.act.step.data.fill_(theta)
    return q, x


def test_hidden_states_bit_exact_check_16() -> None:
    q, x = _qrnn(0)
    res = convert_rnn(q).run(x)
    assert res.quiet
    assert torch.equal(res.hidden[0], q.hidden_states(x)[0])
    assert (res.output - q(x)).abs().max().item() <= 1e-12
    assert len(res.steps_per_element) == 6
    assert all(s <= 7 + 1 for s in res.steps_per_element)  # one window: at most L steps (+ quiet)
    assert q.hidden_states(x)[0].abs().sum() > 0


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 8))
def test_property_random_qrnns(seed: int, levels: int) -> None:
    q, x = _qrnn(seed % 10_000, levels=levels, theta=None)
    res = convert_rnn(q).run(x)
    assert torch.equal(res.hidden[0], q.hidden_states(x)[0])
    assert torch.allclose(res.output, q(x), rtol=0, atol=1e-12)


def test_no_restart_differs_check_17() -> None:
    q, x = _qrnn(0)
    res = convert_rnn(q, restart=False).run(x)
    assert not torch.allclose(res.hidden[0], q.hidden_states(x)[0])


def test_replay_equals_window_start_check_18() -> None:
    q, x = _qrnn(1)
    a = convert_rnn(q).run(x)
    b = convert_rnn(q, recurrent="replay").run(x)
    assert torch.allclose(a.hidden[0], b.hidden[0], atol=1e-12)
    assert torch.allclose(a.output, b.output, atol=1e-12)
    # dyadic weights, inputs and threshold: replay is bit-identical
    with torch.no_grad():
        for p in q.parameters():
            p.copy_(torch.round(p * 16) / 16)
    for layer in q.layers:
        layer.act.step.data.fill_(0.25)
    xd = torch.round(x * 8) / 8
    a = convert_rnn(q).run(xd)
    b = convert_rnn(q, recurrent="replay").run(xd)
    assert torch.equal(a.hidden[0], b.hidden[0])
    assert torch.equal(a.hidden[0], q.hidden_states(xd)[0])


def test_stacked_per_step_readout() -> None:
    q, x = _qrnn(2, num_layers=2, readout="all", theta=None)
    res = convert_rnn(q).run(x)
    for a, b in zip(res.hidden, q.hidden_states(x), strict=True):
        assert torch.allclose(a, b, atol=1e-12)
    assert res.output.shape == (6, 4, 4)
    assert torch.allclose(res.output, q(x), atol=1e-12)


def test_crnn_frontend_exact() -> None:
    torch.manual_seed(3)
    fe = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten()
    )
    m = (
        RNNClassifier(input_size=2 * 2 * 2, hidden_size=6, num_outputs=3, frontend=fe)
        .to(F64)
        .eval()
    )
    x = torch.randn(4, 2, 1, 6, 6, dtype=F64)
    snn = rnn_morph(m, levels=5, calibration=x)
    q = quantize_rnn(m, levels=5, calibration=x)
    res = snn.run(x)
    assert res.quiet
    assert torch.allclose(res.hidden[0], q.hidden_states(x)[0], atol=1e-12)
    assert torch.allclose(res.output, q(x), atol=1e-12)


@pytest.mark.slow
def test_length_784_sequence_exact() -> None:
    torch.manual_seed(4)
    m = RNNClassifier(input_size=1, hidden_size=8, num_outputs=10).to(F64)
    x = torch.rand(784, 2, 1, dtype=F64)
    q = quantize_rnn(m, levels=4, calibration=x)
    res = convert_rnn(q).run(x)
    assert res.quiet
    assert torch.equal(res.hidden[0], q.hidden_states(x)[0])
    assert (res.output - q(x)).abs().max().item() <= 1e-12
    assert res.steps == sum(res.steps_per_element)
    assert max(res.steps_per_element) <= 4 + 1


def test_float32_rnn_tolerance() -> None:
    torch.manual_seed(5)
    m = RNNClassifier(input_size=2, hidden_size=8, num_outputs=3)
    x = torch.randn(10, 3, 2)
    q = quantize_rnn(m, levels=8, calibration=x)
    res = convert_rnn(q).run(x)
    assert torch.equal(res.hidden[0], q.hidden_states(x)[0])
    assert torch.allclose(res.output, q(x), atol=1e-5)


def test_rnn_errors() -> None:
    class Gated(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.GRU(2, 3)

    with pytest.raises(ValueError, match=r"'cell' \(GRU\)"):
        rnn_morph(Gated(), calibration=torch.zeros(2, 1, 2))
    m = RNNClassifier(input_size=2, hidden_size=3, num_outputs=2)
    with pytest.raises(ValueError, match="calibration"):
        rnn_morph(m)
    with pytest.raises(ValueError, match="uninitialised"):
        convert_rnn(quantize_rnn(m))
    with pytest.raises(ValueError, match="x_seq"):
        m(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="readout"):
        RNNClassifier(input_size=2, hidden_size=3, num_outputs=2, readout="mean")
    q = quantize_rnn(m, calibration=torch.randn(3, 2, 2))
    with pytest.raises(ValueError, match="recurrent"):
        convert_rnn(q, recurrent="stream")
