"""The checks of spec section 6 (spike-energy.md), one test each (or more)."""

import math

import pytest
import torch
from torch import nn

from spike_core import LIF, SeqToBatch
from spike_energy import (
    Counter,
    bit_budget,
    equivalent_bits,
    estimate_energy,
    footprint,
)


def _binary_with_rate(shape: tuple[int, ...], rate: float) -> torch.Tensor:
    n = math.prod(shape)
    k = round(n * rate)
    flat = torch.zeros(n)
    flat[torch.randperm(n, generator=torch.Generator().manual_seed(0))[:k]] = 1.0
    return flat.reshape(shape)


def test_check1_first_conv_is_mac() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 64, 3, padding=1)
    r = estimate_energy(conv, torch.rand(1, 3, 32, 32))
    assert r.macs == 1_769_472
    assert r.acs == 0
    assert r.layers[0].first
    # the spec's 8.1396 uJ is 1 769 472 x 4.6 pJ = 8.1395712 uJ rounded to 5 digits
    assert r.energy == pytest.approx(1_769_472 * 4.6e-12, rel=1e-9)
    assert round(r.energy * 1e6, 4) == 8.1396


def test_check1_static_input_repeated_over_T_counts_once() -> None:
    torch.manual_seed(0)
    net = SeqToBatch(nn.Conv2d(3, 64, 3, padding=1))
    x = torch.rand(1, 3, 32, 32).expand(4, 1, 3, 32, 32)
    once = estimate_energy(net, x)
    per_step = estimate_energy(net, x, first_layer="per_step")
    assert once.T == 4
    assert once.macs == 1_769_472
    assert per_step.macs == 4 * 1_769_472
    assert once.layers[0].fl == 1_769_472


def test_check2_linear_binary_rate_02_T4() -> None:
    x = _binary_with_rate((4, 1, 100), 0.2)
    r = estimate_energy(SeqToBatch(nn.Linear(100, 10)), x)
    assert r.layers[0].kind == "binary"
    assert r.layers[0].in_rate == pytest.approx(0.2)
    assert r.acs == pytest.approx(800)
    assert r.macs == 0
    assert r.energy == pytest.approx(0.72e-9, rel=1e-9)


def test_check3_integer_spikes_count_by_value() -> None:
    x = torch.tensor([[0.0, 4.0, 2.0, 2.0, 3.0, 1.0, 4.0, 0.0]])  # mean 2.0, D = 4
    r = estimate_energy(SeqToBatch(nn.Linear(8, 3)), x.unsqueeze(0))
    assert r.layers[0].kind == "integer"
    assert r.layers[0].in_rate == pytest.approx(2.0)
    assert r.acs == pytest.approx(48.0)


class _MidReal(nn.Module):
    """spikes -> linear -> real-valued (non-spiking) -> linear: the second linear is MAC."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = SeqToBatch(nn.Linear(6, 5))
        self.fc2 = SeqToBatch(nn.Linear(5, 4))

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.tanh(self.fc1(x_seq)))


def test_check4_mid_network_real_input_is_mac() -> None:
    x = _binary_with_rate((2, 3, 6), 0.5)
    r = estimate_energy(_MidReal(), x)
    fc1, fc2 = r.layers
    assert (fc1.name, fc2.name) == ("fc1.module", "fc2.module")
    assert fc1.kind == "binary"
    assert fc1.acs == pytest.approx(2 * 6 * 5 * 0.5)
    assert fc2.kind == "real"
    assert not fc2.first
    # not the first layer: real input over T steps is T * FL MACs
    assert fc2.macs == 2 * 5 * 4
    assert fc2.acs == 0


class _SmallSyops(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.lif = LIF(tau_mem=2.0)
        self.fc = nn.Linear(100, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x))  # [B, 4, 5, 5]
        s = self.lif(y.unsqueeze(0)).squeeze(0)  # T = 1
        return self.fc(s.flatten(1))


def test_check5_syops_conventions() -> None:
    torch.manual_seed(0)
    model = _SmallSyops().eval()
    x = torch.rand(2, 1, 5, 5)
    with Counter(model, mode="syops") as c, torch.no_grad():
        model(x)
    r = c.report()
    by = {rec.name: rec for rec in r.layers}
    assert r.samples == 2
    # Linear with input [2, 100], bias, 10 outputs: 2*100*10 + 10 = 2010 before averaging
    assert by["fc"].dense * r.samples == 2010
    assert by["fc"].dense == 1005
    # neuron layer (syops 0.0.5): input.numel() into the total and the ACs, never MACs
    assert by["lif"].acs * 2 == 2 * 4 * 5 * 5
    assert by["lif"].dense * 2 == 2 * 4 * 5 * 5
    assert by["lif"].macs == 0
    # conv on real input: prod(k) C_in C_out/groups B prod(out) + bias C_out B prod(out)
    assert by["conv"].macs * 2 == 9 * 1 * 4 * 2 * 25 + 4 * 2 * 25
    # BN affine: 2 * numel, real input -> MAC
    assert by["bn"].macs * 2 == 2 * 2 * 4 * 25


def test_check5_syops_all_half_tensor_is_spiking() -> None:
    lin = nn.Linear(4, 2, bias=False)
    with Counter(lin, mode="syops") as c, torch.no_grad():
        lin(torch.full((1, 4), 0.5))
    r = c.report()
    assert r.acs == pytest.approx(8 * 0.5)
    assert r.macs == 0


def test_check6_neurobench_documented_example() -> None:
    lin = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.3, 0, -3.2], [0, 1.2, -5.1], [-1.1, 2.7, 0]]))
    r = estimate_energy(lin, torch.tensor([[0.0, 1.3, -1.0]]), mode="neurobench")
    assert r.macs == 4  # real input: effective MACs
    assert r.acs == 0
    assert r.dense == 9
    rb = estimate_energy(lin, torch.tensor([[0.0, 1.0, 1.0]]), mode="neurobench")
    assert rb.acs == 4  # binary input: effective ACs
    assert rb.macs == 0


def test_check6_neurobench_conv_dense_excludes_padding() -> None:
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    r = estimate_energy(conv, torch.ones(1, 1, 3, 3), mode="neurobench")
    # padded positions are not possible operations: 4 corners*4 + 4 edges*6 + centre 9
    assert r.dense == 4 * 4 + 4 * 6 + 9


def test_check7_bit_budget() -> None:
    assert [bit_budget(*s) for s in [(1, 1, 4), (2, 2, 1), (4, 1, 1)]] == [4, 4, 4]
    assert equivalent_bits(T=4, b_s=1) == math.log2(5)


class _FakeSparseConv(nn.Module):
    """Duck-typed stand-in for spike-3d's sparse conv (records rulebook counts per call)."""

    def __init__(self, cin: int, cout: int, pairs: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels = cin, cout
        self.weight = nn.Parameter(torch.randn(cin, cout))
        self.pairs = pairs
        self.last_rulebook_pairs = 0
        self.last_input_sum = None
        self.last_time_steps = 0

    def forward(self, feats: torch.Tensor) -> torch.Tensor:  # [T, N, C_in]
        # every site pairs with itself and the next site (cyclic): |P| = 2 N
        idx_in = torch.cat(
            [torch.arange(feats.shape[1]), torch.arange(1, feats.shape[1] + 1) % feats.shape[1]]
        )
        gathered = feats[:, idx_in]
        self.last_rulebook_pairs = idx_in.numel()
        self.last_input_sum = gathered.sum()
        self.last_time_steps = feats.shape[0]
        out = gathered @ self.weight  # would be counted as a matmul if not for the sparse path
        return out[:, : feats.shape[1]] + out[:, feats.shape[1] :]


def test_check8_sparse_conv_counts_from_rulebook() -> None:
    torch.manual_seed(0)
    conv = _FakeSparseConv(3, 5, pairs=0)
    spikes = torch.randint(0, 5, (1, 4, 3)).float()  # integer spikes, T = 1, N = 4
    r = estimate_energy(conv, spikes, time_major=False, samples=1)
    rec = r.layers[0]
    assert len(r.layers) == 1
    assert rec.acs == float(spikes.sum() * 2) * 5  # sum over pairs of S_in, times C_out
    real = torch.rand(1, 4, 3)
    rm = estimate_energy(conv, real, time_major=False, samples=1)
    assert rm.macs == 8 * 3 * 5  # |P| C_in C_out


def test_check9_footprint_snn_streaming_like() -> None:
    class Streaming(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(96, 50, bias=False)
            self.fc2 = nn.Linear(50, 2, bias=False)
            self.register_buffer("v", torch.zeros(50))

    m = Streaming()
    assert footprint(m) == 4900 * 4 + 50 * 4
