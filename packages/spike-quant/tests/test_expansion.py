import torch
from torch import nn

from spike_core import SeqToBatch, expand_to_binary
from spike_quant import IELIF, QConv2d, QLinear, fold_norm_into, ie


def test_counts_expand_to_k_ones_check3() -> None:
    for k in range(5):
        b = expand_to_binary(torch.tensor([float(k)]), 4)
        assert b.shape == (4, 1)
        assert int(b.sum()) == k
        assert set(b.flatten().tolist()) <= {0.0, 1.0}


def test_linear_of_ie_equals_sum_over_virtual_steps_check3() -> None:
    torch.manual_seed(0)
    W = torch.randn(5, 7, dtype=torch.float64)
    x = torch.rand(3, 7, dtype=torch.float64) * 1.4 - 0.2
    s = ie(x)
    b = expand_to_binary(s * 4, 4)  # [4, 3, 7]
    lhs = s @ W.T
    rhs = sum(bj @ (W / 4).T for bj in b)
    assert torch.allclose(lhs, rhs, atol=1e-12)


def test_qconv_ie_qconv_training_vs_expanded_check3() -> None:
    torch.manual_seed(0)
    conv1 = QConv2d(in_channels=2, out_channels=4, kernel_size=3, padding=1).double().eval()
    conv2 = QConv2d(in_channels=4, out_channels=3, kernel_size=3, padding=1).double().eval()
    neuron = IELIF()
    x = torch.randn(1, 2, 2, 6, 6, dtype=torch.float64)
    l1, l2 = SeqToBatch(conv1), SeqToBatch(conv2)
    with torch.no_grad():
        train_form = l2(neuron(l1(x)))
        counts = neuron(l1(x)) * 4  # integer counts
        codes_before = conv2.integer_weight().clone()
        fold_norm_into(conv2, 4)
        assert torch.equal(conv2.integer_weight(), codes_before)
        binary = expand_to_binary(counts, 4)  # [D, T, B, C, H, W]
        expanded = sum(l2(bj) for bj in binary) - (4 - 1) * conv2.bias.view(1, 1, -1, 1, 1)
    assert torch.allclose(train_form, expanded, atol=1e-10)


def test_fold_norm_into_float_layer() -> None:
    lin = nn.Linear(3, 2)
    w = lin.weight.detach().clone()
    fold_norm_into(lin, 2.0)
    assert torch.allclose(lin.weight, w / 2)
    q = QLinear(in_features=3, out_features=2)
    s = q.weight_quant.step.detach().clone()
    fold_norm_into(q, 4.0)
    assert torch.allclose(q.weight_quant.step, s / 4)
