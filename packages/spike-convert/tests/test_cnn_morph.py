import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from spike_convert import (
    BIF,
    BIFSNN,
    QuantAct,
    Residual,
    SynapticLayer,
    cnn_morph,
    convert_cnn,
    fold_batchnorm,
    quantize_cnn,
    s_analog_encode,
    spread_encode,
)
from spike_core import direct_encode

F64 = torch.float64


def _dyadic_(module: nn.Module, gen: torch.Generator) -> None:
    """Make every weight/bias a multiple of 1/16 so all sums are exact in float64."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randint(-8, 9, p.shape, generator=gen).to(p) / 16)


def _mlp(gen: torch.Generator, levels: int = 7) -> tuple[nn.Module, torch.Tensor]:
    net = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    net = net.to(F64)
    x = torch.randn(32, 5, generator=gen, dtype=F64)
    return quantize_cnn(net, levels=levels, calibration=x), x


def _loose_bound(snn: BIFSNN) -> int:
    bound = snn.settle_bound()
    assert bound == sum(b.s_max - b.s_min for b in snn.bif_layers()) + len(snn.bif_layers())
    return bound


@pytest.mark.parametrize("seed", range(4))
def test_mlp_random_exact_to_1e12_check_11(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    q, x = _mlp(gen)
    steps = {float(m.step.detach()) for m in q.modules() if isinstance(m, QuantAct)}
    assert len(steps) == 2  # per-layer theta
    snn = convert_cnn(q)
    res = snn.run(x)
    assert res.quiet
    assert res.steps < 10
    assert res.steps <= _loose_bound(snn)
    assert (res.output - q(x)).abs().max().item() <= 1e-12


def test_mlp_dyadic_bit_exact_check_11() -> None:
    gen = torch.Generator().manual_seed(7)
    q, _ = _mlp(gen)
    _dyadic_(q, gen)
    for m, theta in zip((q[1], q[3]), (0.25, 0.125), strict=True):
        m.step.data.fill_(theta)
    x = torch.randint(-16, 17, (32, 5), generator=gen).to(F64) / 8
    out = convert_cnn(q).run(x).output
    assert torch.equal(out, q(x).detach())


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 9))
def test_property_random_mlps_many_seeds(seed: int, levels: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    q, x = _mlp(gen, levels)
    res = convert_cnn(q).run(x)
    assert res.quiet
    assert torch.allclose(res.output, q(x), rtol=0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_property_dyadic_mlps_bit_exact(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    q, _ = _mlp(gen, 5)
    _dyadic_(q, gen)
    for m in q.modules():
        if isinstance(m, QuantAct):
            m.step.data.fill_(2.0 ** -int(torch.randint(0, 4, (1,), generator=gen)))
    x = torch.randint(-16, 17, (8, 5), generator=gen).to(F64) / 8
    assert torch.equal(convert_cnn(q).run(x).output, q(x).detach())


def _convnet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(6 * 6 * 6, 10),
    )


def test_convnet_exact_check_12() -> None:
    torch.manual_seed(0)
    cnn = _convnet().to(F64)
    bn = cnn[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-0.3, 0.3)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    cnn.eval()
    x = torch.randn(3, 1, 28, 28, dtype=F64)
    q = quantize_cnn(cnn, levels=7, calibration=x)
    assert torch.allclose(fold_batchnorm(cnn)(x), cnn(x), atol=1e-12)
    snn = convert_cnn(q)
    assert any(
        isinstance(m, SynapticLayer) and isinstance(m.layer, nn.Conv2d) for m in snn.modules()
    )
    res = snn.run(x)
    assert res.quiet
    assert (res.output - q(x)).abs().max().item() <= 1e-12


def test_conv1d_and_residual_exact() -> None:
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1),
        nn.ReLU(),
        Residual(nn.Sequential(nn.Conv1d(4, 4, 3, padding=1), nn.ReLU())),
        nn.ReLU(),
        Residual(nn.Sequential(nn.Conv1d(4, 4, 1), nn.ReLU()), nn.Conv1d(4, 4, 1)),
        nn.AdaptiveAvgPool1d(2),
        nn.Flatten(),
        nn.Linear(8, 3),
    ).to(F64)
    x = torch.randn(4, 2, 10, dtype=F64)
    q = quantize_cnn(net, levels=6, calibration=x)
    res = convert_cnn(q).run(x)
    assert res.quiet
    assert (res.output - q(x)).abs().max().item() <= 1e-12


def test_float32_within_tolerance() -> None:
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 5))
    x = torch.randn(16, 8)
    q = quantize_cnn(net, levels=8, calibration=x)
    out = cnn_morph(q).run(x).output
    assert torch.allclose(out, q(x), atol=1e-5)


def test_encodings_check_14() -> None:
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(F64)
    x = torch.rand(8, 4, dtype=F64) + 0.5
    q = quantize_cnn(net, levels=7, calibration=x)
    snn = convert_cnn(q)
    ref = q(x).detach()
    T = 4
    direct = snn(direct_encode(x, T)).sum(0)
    assert not torch.allclose(direct, ref, atol=1e-6)
    spread = snn(spread_encode(x, T)).sum(0)
    assert torch.allclose(spread, ref, atol=1e-12)
    analog = snn(s_analog_encode(x, 1)).sum(0)
    assert torch.allclose(analog, ref, atol=1e-12)


def test_fixed_time_steps_truncation_and_T_vs_L() -> None:
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).to(F64)
    x = torch.randn(16, 4, dtype=F64) * 3
    L = 5
    q = quantize_cnn(net, levels=L, calibration=x)
    snn = convert_cnn(q)
    ref = q(x).detach()
    # one BIF layer fed once: T >= L (+1 to see quiet) is always enough
    assert snn.settle_bound() == L + 1
    res = snn.run(x, time_steps=L, until_quiet=False)
    assert res.steps == L
    assert torch.allclose(res.output, ref, atol=1e-12)
    res1 = snn.run(x, time_steps=1, until_quiet=False)
    assert not res1.quiet
    assert not torch.allclose(res1.output, ref, atol=1e-6)


def test_maxpool_rejected_check_15() -> None:
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    with pytest.raises(ValueError, match=r"'2'.*max pooling"):
        quantize_cnn(net, levels=4)
    q = nn.Sequential(nn.Conv2d(1, 2, 3), QuantAct(levels=4, step=0.5), nn.MaxPool2d(2))
    with pytest.raises(ValueError, match=r"'2'.*MaxPool2d"):
        convert_cnn(q)


def test_unsupported_layers_named() -> None:
    net = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Linear(3, 3), nn.GELU()))
    with pytest.raises(ValueError, match=r"'1.1' of type GELU"):
        quantize_cnn(net)
    with pytest.raises(ValueError, match="float activation"):
        convert_cnn(nn.Sequential(nn.Linear(3, 3), nn.ReLU()))
    with pytest.raises(ValueError, match="uninitialised"):
        convert_cnn(nn.Sequential(nn.Linear(3, 3), QuantAct(levels=4)))
    with pytest.raises(ValueError, match="calibration"):
        cnn_morph(nn.Sequential(nn.Linear(3, 3), nn.ReLU()))
    with pytest.raises(ValueError, match="BatchNorm"):
        fold_batchnorm(nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3)))
    with pytest.raises(ValueError, match="Flatten"):
        quantize_cnn(nn.Sequential(nn.Flatten(0)))
    with pytest.raises(ValueError, match="x_seq"):
        convert_cnn(nn.Sequential(nn.Linear(3, 3)))(torch.zeros(3))


def test_converted_structure_is_inspectable() -> None:
    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    snn = cnn_morph(net, levels=4, calibration=torch.rand(8, 64))
    kinds = [type(m).__name__ for m in snn.modules()]
    assert kinds.count("Linear") == 2
    assert kinds.count("BIF") == 1
    linears = [m for m in snn.modules() if isinstance(m, nn.Linear)]
    assert all(m.bias is None for m in linears)  # biases delivered once by SynapticLayer
    seen = []
    hook = linears[0].register_forward_hook(lambda m, i, o: seen.append(i[0].shape))
    res = snn.run(torch.rand(2, 64))
    hook.remove()
    assert seen == [torch.Size([2, 64])]
    assert isinstance(snn.bif_layers()[0], BIF)
    assert res.output.shape == (2, 10)


def test_unit_spikes_fold_thresholds_into_weights() -> None:
    torch.manual_seed(5)
    net = nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(12, 8), nn.ReLU(),
        nn.Linear(8, 4),
    ).to(F64)  # fmt: skip
    x = torch.randn(4, 1, 6, 6, dtype=F64)
    q = quantize_cnn(net, levels=6, calibration=x)
    snn = convert_cnn(q, unit_spikes=True)
    ref = q(x).detach()
    assert torch.allclose(snn.run(x).output, ref, atol=1e-12)
    seen = []
    lin = [m for m in snn.modules() if isinstance(m, nn.Linear)][-1]  # fed by a BIF directly
    handle = lin.register_forward_hook(lambda m, i, o: seen.append(i[0]))
    snn.run(x)
    handle.remove()
    assert set(torch.unique(torch.cat([s.flatten() for s in seen])).tolist()) <= {-1.0, 0.0, 1.0}
    # dyadic thresholds: bit-exact
    gen = torch.Generator().manual_seed(0)
    _dyadic_(q, gen)
    for m in q.modules():
        if isinstance(m, QuantAct):
            m.step.data.fill_(0.25)
    xd = torch.randint(-8, 9, (4, 1, 6, 6), generator=gen).to(F64) / 8
    assert torch.equal(convert_cnn(q, unit_spikes=True).run(xd).output, q(xd).detach())
    res_net = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), Residual(nn.Linear(3, 3)), nn.Linear(3, 2))
    with pytest.raises(ValueError, match="Residual"):
        convert_cnn(quantize_cnn(res_net, calibration=torch.randn(4, 3)), unit_spikes=True)
    with pytest.raises(ValueError, match="after the last BIF"):
        convert_cnn(
            quantize_cnn(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), calibration=torch.randn(4, 3)),
            unit_spikes=True,
        )
