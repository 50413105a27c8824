import pytest
import torch

from spike_quant import IELIF, QCFS, IEAttLIF, MultiSpike, ie, ie_att, multispike, qcfs, qcfs_to_if


def test_ie_values_check1() -> None:
    x = torch.tensor([-0.1, 0.1, 0.13, 0.3, 0.62, 0.88, 1.2])
    assert ie(x).tolist() == [0, 0, 0.25, 0.25, 0.5, 1.0, 1.0]


def test_ie_gradient_straight_through_inside_range() -> None:
    x = torch.tensor([-0.5, -0.01, 0.01, 0.3, 0.99, 1.01, 2.0], requires_grad=True)
    ie(x).sum().backward()
    # d IE / dx = (1/4) * 4 * 1[0 < 4x < 4] = 1 inside, 0 outside
    assert x.grad.tolist() == [0, 0, 1, 1, 1, 0, 0]


def test_ie_att_output_set() -> None:
    x = torch.linspace(-1, 2, 1001)
    assert set(ie_att(x).unique().tolist()) == {0.0, 0.5, 1.0, 1.5, 2.0}


def test_ie_equals_qcfs_check2() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100_000, generator=g, dtype=torch.float64) * 4 - 2
    halves = torch.arange(-16, 17, dtype=torch.float64) / 8  # includes exact .5 boundaries of 4x
    x = torch.cat([x, halves])
    assert torch.equal(ie(x), qcfs(x, 1.0, 4, 0.5))


def test_neuron_modules_match_functions() -> None:
    x = torch.randn(3, 2, 5)
    assert torch.equal(IELIF()(x), ie(x))
    assert torch.equal(IEAttLIF()(x), ie_att(x))
    u = torch.tensor([[0.5, 1.5, 2.5, 3.5, 5.0, -1.0]])
    assert MultiSpike()(u).flatten().tolist() == [0.0, 0.5, 0.5, 1.0, 1.0, 0.0]  # half to even
    assert torch.equal(multispike(u), MultiSpike()(u))


def test_ie_lif_is_stateless() -> None:
    x = torch.randn(4, 2, 3)
    out = IELIF()(x)
    for t in range(4):
        assert torch.equal(out[t], ie(x[t]))


def test_qcfs_trainable_and_errors() -> None:
    act = QCFS(levels=8, init_lam=2.0)
    z = torch.randn(10, requires_grad=True)
    act(z).sum().backward()
    assert act.lam.grad is not None
    assert z.grad is not None
    with pytest.raises(ValueError, match="levels"):
        QCFS(levels=0)
    with pytest.raises(ValueError, match="init_lam"):
        QCFS(init_lam=-1.0)


@pytest.mark.parametrize("levels", [4, 8])
def test_qcfs_equals_if_rate_over_L_steps(levels: int) -> None:
    torch.manual_seed(0)
    lam = 1.5
    z = torch.rand(2, 50, dtype=torch.float64) * 2.4 - 0.4
    neuron, state = qcfs_to_if(lam, (2, 50), phi=0.5, backend="torch")
    spikes = neuron(z.unsqueeze(0).expand(levels, 2, 50).float(), state.__class__(state.v.float()))
    rate_value = lam * spikes.sum(0).double() / levels
    expected = qcfs(z, lam, levels, 0.5)
    # exact except at float ties of z L / lam + 1/2 (none for random z)
    assert torch.allclose(rate_value, expected, atol=1e-6)
