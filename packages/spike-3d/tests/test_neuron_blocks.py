import torch

from spike_3d import BasicBlock, IntSpike, NeuronConfig, SparseIntLIF, SparseVoxelTensor
from spike_core import expand_to_binary


def test_int_spike_values_and_gradient():
    u = torch.tensor([-1.0, 0.2, 0.5, 1.49, 2.5, 3.5, 9.0])
    assert IntSpike(levels=4)(u).tolist() == [0, 0, 1, 1, 3, 4, 4]
    g = torch.tensor([0.3, 3.9, -0.1, 0.0, 4.0, 5.0], requires_grad=True)
    IntSpike(levels=4)(g).sum().backward()
    assert g.grad.tolist() == [1, 1, 0, 0, 0, 0]


def test_expand_to_binary_roundtrip():
    s = IntSpike(levels=4)(torch.randn(3, 5) * 3)
    b = expand_to_binary(s, 4)
    assert b.shape == (4, 3, 5)
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(b.sum(0), s)


def test_sparse_int_lif_stateful_residual():
    x = SparseVoxelTensor(
        torch.full((2, 1, 1), 0.4), torch.zeros(1, 4, dtype=torch.long), (1, 1, 1), 1
    )
    assert SparseIntLIF()(x).features.flatten().tolist() == [0, 0]
    # beta = 1: residual 0.4 carries over, 0.8 rounds to 1
    assert SparseIntLIF(beta=1.0)(x).features.flatten().tolist() == [0, 1]


def test_basic_block_follows_the_membrane_shortcut_equations():
    torch.manual_seed(0)
    coords = torch.tensor([[0, 1, 1, 1], [0, 1, 1, 2], [0, 2, 2, 2]])
    x = SparseVoxelTensor(torch.randn(1, 3, 4) * 2, coords, (4, 4, 4), 1)
    blk = BasicBlock(channels=4, neuron=NeuronConfig()).eval()
    for p in blk.parameters():
        torch.nn.init.normal_(p)
    y = blk(x).features
    b1 = blk.branch1(x).features + x.features
    y1 = x.replace_features(b1)
    ref = blk.branch2(y1).features + b1
    assert torch.allclose(y, ref)
    # the branches start with a spike: their convs see integers
    spiked = blk.branch1[0](x).features
    assert torch.equal(spiked, spiked.round())
