import warnings

import pytest
import torch
from torch import nn

from spike_core import LIF, IntLIF, LIFCell, SeqToBatch, fold_time, unfold_time
from spike_energy import Counter, SpikeMatmul, estimate_energy


def _snn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        SeqToBatch(nn.Linear(6, 8)),
        LIF(tau_mem=2.0),
        SeqToBatch(nn.Linear(8, 4)),
    )


class _Folded(nn.Module):
    """The same network, calling the layers on folded [T*B, ...] tensors."""

    def __init__(self, src: nn.Sequential) -> None:
        super().__init__()
        self.fc1, self.lif, self.fc2 = src[0].module, src[1], src[2].module

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        T = x_seq.shape[0]
        s = self.lif(unfold_time(self.fc1(fold_time(x_seq)), T))
        return unfold_time(self.fc2(fold_time(s)), T)


class _Looped(nn.Module):
    """The same network with a single-step cell and a Python loop over time."""

    def __init__(self, src: nn.Sequential) -> None:
        super().__init__()
        self.fc1, self.fc2 = src[0].module, src[2].module
        self.cell = LIFCell(tau_mem=2.0)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        state, outs = None, []
        for x in x_seq:
            s, state = self.cell(self.fc1(x), state)
            outs.append(self.fc2(s))
        return torch.stack(outs)


@pytest.mark.slow
def test_seq_to_batch_folded_and_looped_agree() -> None:
    net = _snn()
    x = torch.rand(4, 3, 6) * 2
    a = estimate_energy(net, x)
    b = estimate_energy(_Folded(net), x)
    c = estimate_energy(_Looped(net), x, time_major=True, T=4)
    assert a.T == b.T == c.T == 4
    assert a.samples == b.samples == c.samples == 3
    for r in (b, c):
        assert r.acs == pytest.approx(a.acs)
        assert r.macs == pytest.approx(a.macs)
        assert r.fl == pytest.approx(a.fl)
        assert r.neuron_updates == pytest.approx(a.neuron_updates)
    # first layer: real input counted once; second: spikes from the LIF
    fc1, lif, fc2 = a.layers
    assert fc1.first
    assert fc1.kind == "real"
    assert fc1.macs == 6 * 8
    assert lif.category == "neuron"
    assert lif.neuron_updates == 4 * 8
    assert fc2.kind == "binary"
    assert fc2.acs == pytest.approx(4 * 8 * 4 * fc2.in_rate)
    assert fc2.in_rate == pytest.approx(lif.out_rate)


def test_counting_changes_neither_outputs_nor_rng() -> None:
    net = _snn()
    x = torch.rand(3, 2, 6) * 2
    ref = net(x)
    torch.manual_seed(5)
    with Counter(net) as c:
        out = net(x)
    after = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(after, torch.rand(3))
    assert torch.equal(out, ref)
    assert c.report().dense > 0


def test_hooks_removed_after_context() -> None:
    net = _snn()
    with Counter(net):
        net(torch.rand(2, 1, 6))
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())


class _SpikingAttention(nn.Module):
    def __init__(self, wrapped: bool) -> None:
        super().__init__()
        self.wrapped = wrapped
        self.qk = SpikeMatmul()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        kt = k.transpose(-2, -1)
        attn = self.qk(q, kt) if self.wrapped else q @ kt
        return attn @ v


@pytest.mark.parametrize("wrapped", [False, True])
def test_spiking_attention_products(wrapped: bool) -> None:
    g = torch.Generator().manual_seed(0)
    q = (torch.rand(2, 1, 5, 4, generator=g) < 0.3).float()  # [T, B, N, d]
    k = (torch.rand(2, 1, 5, 4, generator=g) < 0.5).float()
    v = (torch.rand(2, 1, 5, 4, generator=g) < 0.5).float()
    r = estimate_energy(_SpikingAttention(wrapped), (q, k, v), time_major=True)
    names = [rec.name for rec in r.layers]
    assert names == (["qk", "matmul0"] if wrapped else ["matmul0", "matmul1"])
    qk, av = r.layers
    # both operands spiking: ACs are the non-zero products, exactly
    assert qk.acs == float((q @ k.transpose(-2, -1)).sum())
    assert qk.dense == 2 * 5 * 5 * 4
    # attention (integer counts) @ spiking V: every operand is a spike/count matrix
    attn = q @ k.transpose(-2, -1)
    assert av.acs == float((attn @ v).sum())
    assert r.macs == 0


@pytest.mark.slow
def test_real_attention_is_mac_and_sdpa_counted() -> None:
    q = torch.rand(1, 2, 3, 4)
    r = estimate_energy(nn.Identity(), q, time_major=False)  # identity: nothing counted
    assert r.layers == []

    class Sdpa(nn.Module):
        def forward(self, q: torch.Tensor) -> torch.Tensor:
            return nn.functional.scaled_dot_product_attention(q, q, q)

    r = estimate_energy(Sdpa(), q, time_major=False)
    assert [x.name for x in r.layers] == ["qk0", "av1"]
    assert r.macs == 2 * (2 * 3 * 3 * 4)


def test_integer_spikes_from_intlif() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(IntLIF(levels=4), SeqToBatch(nn.Linear(5, 3)))
    x = torch.rand(2, 2, 5) * 6
    r = estimate_energy(net, x)
    spikes = IntLIF(levels=4)(x)
    fc = r.layers[1]
    assert fc.kind == "integer"
    assert fc.acs == pytest.approx(float(spikes.sum()) * 3 / 2)  # per sample (B = 2)
    assert fc.in_max == float(spikes.max())


def test_conv3d_and_transposed_conv_counts() -> None:
    c3 = nn.Conv3d(2, 3, 3)
    r = estimate_energy(c3, torch.rand(1, 2, 4, 5, 6))
    assert r.macs == 3 * 3 * 3 * 2 * 3 * (2 * 3 * 4)
    ct = nn.ConvTranspose2d(2, 4, 3, groups=2)
    r = estimate_energy(ct, torch.rand(1, 2, 5, 5))
    assert r.macs == 2 * 25 * (4 // 2) * 9
    c1 = nn.Conv1d(4, 6, 3, groups=2)
    x = (torch.rand(1, 4, 10) < 0.5).float()
    r = estimate_energy(c1, x)
    assert r.acs == pytest.approx(8 * 6 * 2 * 3 * float(x.mean()))


def test_include_bias_norm_pool_neuron() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        SeqToBatch(nn.Conv2d(1, 2, 3, padding=1)),
        SeqToBatch(nn.BatchNorm2d(2)),
        LIF(),
        SeqToBatch(nn.MaxPool2d(2)),
    ).eval()
    x = torch.rand(2, 1, 1, 4, 4)
    base = estimate_energy(net, x)
    full = estimate_energy(net, x, include=("bias", "norm", "pool", "neuron"))
    conv, bn, lif, pool = full.layers
    assert conv.bias_ops == 2 * 2 * 16
    assert bn.extra_ops == 2 * (2 * 2 * 16)
    assert pool.extra_ops == 2 * 2 * 16
    assert base.acs == 0  # Yao: only the (real-input) first conv counts
    extra_acs = conv.bias_ops + lif.neuron_updates + pool.extra_ops * pool.in_rate
    assert full.acs == pytest.approx(extra_acs)
    assert full.macs == pytest.approx(base.macs + bn.extra_ops)


def test_unknown_module_reported_and_warned() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(4, 3)
            self.fc = nn.Linear(3, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.rnn(x)[0])

    with pytest.warns(UserWarning, match=r"rnn \(LSTM\)"):
        r = estimate_energy(Net(), torch.rand(5, 1, 4), time_major=False)
    unc = [x for x in r.layers if x.category == "uncounted"]
    assert [x.name for x in unc] == ["rnn"]
    assert unc[0].params == sum(p.numel() for p in nn.LSTM(4, 3).parameters())
    assert "UNCOUNTED" in r.table()


def test_elementwise_parameters_are_not_uncounted() -> None:
    class Quant(nn.Module):  # a quantiser with a learnable step, like LSQ
        def __init__(self) -> None:
            super().__init__()
            self.step = nn.Parameter(torch.tensor(0.1))

        def forward(self, w: torch.Tensor) -> torch.Tensor:
            return torch.round(w / self.step) * self.step

    class QLinear(nn.Linear):
        def __init__(self) -> None:
            super().__init__(4, 3)
            self.weight_quant = Quant()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return nn.functional.linear(x, self.weight_quant(self.weight), self.bias)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = estimate_energy(QLinear(), torch.rand(2, 4))
    assert [x.category for x in r.layers] == ["synaptic"]
    assert r.macs == 12


def test_no_spiking_layers_message() -> None:
    ann = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = estimate_energy(ann, torch.rand(3, 4))
    assert r.T == 1
    assert r.samples == 3
    assert any("no spiking layers" in n for n in r.notes)
    assert "no spiking layers" in str(r)
    assert r.energy == pytest.approx(r.energy_ann)  # ReLU output is real -> MAC


def test_wrong_input_shape_message() -> None:
    with pytest.raises(ValueError, match=r"Sequential failed on inputs of shape \(4, 2, 7\)"):
        estimate_energy(_snn(), torch.rand(4, 2, 7))
    with pytest.raises(ValueError, match=r"needs input \[T, B, \.\.\.\]"):
        estimate_energy(_snn(), torch.rand(6))


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="mode"):
        Counter(nn.Linear(2, 2), mode="nope")
    with pytest.raises(ValueError, match="first_layer"):
        Counter(nn.Linear(2, 2), first_layer="never")
    with pytest.raises(ValueError, match="include"):
        Counter(nn.Linear(2, 2), include=("dropout",))
    with pytest.raises(TypeError, match="model"):
        Counter("not a model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="T must"):
        Counter(nn.Linear(2, 2), T=0)
    with pytest.raises(RuntimeError, match="no forward pass"):
        Counter(nn.Linear(2, 2)).report()


def test_multiple_forwards_average_per_sample() -> None:
    lin = nn.Linear(10, 2, bias=False)
    with Counter(lin) as c:
        lin(torch.ones(2, 10) * (torch.arange(10) < 5))  # rate 0.5
        lin(torch.ones(2, 10))  # rate 1
    r = c.report()
    assert r.samples == 4
    assert r.acs == pytest.approx((2 * 10 * 2 * 0.5 + 2 * 10 * 2 * 1.0) / 4)
