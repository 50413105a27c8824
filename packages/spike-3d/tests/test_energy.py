import torch

from spike_3d import (
    E3DSNN,
    E3DSNNConfig,
    SparseVoxelTensor,
    SubMConv3d,
    sparse_conv_ops,
    sparse_energy,
    submanifold_rulebook,
)


def test_counts_follow_rulebook_pairs():
    g = torch.Generator().manual_seed(0)
    active = torch.rand(1, 6, 6, 6, generator=g) < 0.3
    coords = active.nonzero()
    spikes = torch.randint(0, 5, (1, coords.shape[0], 3), generator=g).float()
    x = SparseVoxelTensor(spikes, coords, (6, 6, 6), 1)
    conv = SubMConv3d(in_channels=3, out_channels=4)
    conv(x)
    rb = submanifold_rulebook(coords, (6, 6, 6))
    expected_ac = sum(float(spikes[0, i].sum()) for i in rb.in_idx.tolist()) * 4
    ops = conv.synaptic_ops()
    assert conv.last_rulebook_pairs == rb.num_pairs
    assert ops["ac"] == expected_ac
    assert ops["mac"] == rb.num_pairs * 3 * 4
    assert ops["flops"] == 2 * rb.num_pairs * 3 * 4 - coords.shape[0] * 4
    assert conv.last_spike_input


def test_model_energy_uses_mac_for_the_first_layer_only():
    torch.manual_seed(0)
    model = E3DSNN(config=E3DSNNConfig(embed_channels=4, channels=(4, 4, 4, 4)))
    model(model.example_input())
    ops = sparse_conv_ops(model)
    assert [o.spike_input for o in ops][:2] == [False, True]
    assert ops[-1].name == "head"
    assert not ops[-1].spike_input
    e = sparse_energy(model)
    assert e == sum(0.9e-12 * o.ac if o.spike_input else 4.6e-12 * o.mac for o in ops)
    assert e > 0
