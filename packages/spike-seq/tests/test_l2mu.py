"""LMU / L2MU: spec checks 8-14 and the HAR data path."""

from __future__ import annotations

import pytest
import torch

from spike_core import count_parameters, create_model, meta_parameter_count
from spike_core.testing import check_model
from spike_seq import (
    L2MU,
    L2MUClassifier,
    L2MUConfig,
    SpikingPopulation,
    discretize_lmu,
    l2mu_num_params,
    lmu_matrices,
)
from spike_seq.l2mu import PopState


def test_lmu_matrices_order4() -> None:
    A, B = lmu_matrices(4)
    assert A.tolist() == [[-1, -1, -1, -1], [3, -3, -3, -3], [-5, 5, -5, -5], [7, -7, 7, -7]]
    assert B.tolist() == [1, -3, 5, -7]


def test_zoh_reference_values() -> None:
    Ab, Bb = discretize_lmu(4, 4.0)
    expected_A = [
        [0.755130, -0.191390, -0.093520, -0.002614],
        [0.574170, 0.274480, -0.393825, -0.046802],
        [-0.467599, 0.656375, -0.146317, -0.260945],
        [0.018300, -0.109205, 0.365323, 0.005422],
    ]
    torch.testing.assert_close(Ab, torch.tensor(expected_A, dtype=torch.float64), atol=6e-7, rtol=0)
    torch.testing.assert_close(
        Bb,
        torch.tensor([0.244870, -0.574170, 0.467599, -0.018300], dtype=torch.float64),
        atol=6e-7,
        rtol=0,
    )
    Ab1, Bb1 = discretize_lmu(4, 1.0)
    torch.testing.assert_close(
        Bb1,
        torch.tensor([0.951265, -0.137381, -0.173757, -0.067564], dtype=torch.float64),
        atol=6e-7,
        rtol=0,
    )
    torch.testing.assert_close(
        Ab1[0],
        torch.tensor([0.048735, -0.045794, 0.034751, -0.009652], dtype=torch.float64),
        atol=6e-7,
        rtol=0,
    )
    Ab7, Bb7 = discretize_lmu(4, 7.0)
    torch.testing.assert_close(
        Bb7,
        torch.tensor([0.148238, -0.348009, 0.481770, -0.238216], dtype=torch.float64),
        atol=6e-7,
        rtol=0,
    )
    torch.testing.assert_close(
        Ab7[0],
        torch.tensor([0.851762, -0.116003, -0.096354, -0.034031], dtype=torch.float64),
        atol=6e-7,
        rtol=0,
    )


def test_zoh_equals_scipy_and_identities() -> None:
    signal = pytest.importorskip("scipy.signal")
    import numpy as np

    A, B = lmu_matrices(6)
    for theta, radius in ((1.0, 0.0402), (4.0, 0.4479), (7.0, 0.6319)):
        Ab, Bb = discretize_lmu(6, theta)
        sA, sB, *_ = signal.cont2discrete(
            (A.numpy() / theta, B.numpy()[:, None] / theta, np.eye(6), np.zeros((6, 1))),
            dt=1,
            method="zoh",
        )
        np.testing.assert_allclose(Ab.numpy(), sA, atol=1e-12)
        np.testing.assert_allclose(Bb.numpy(), sB.ravel(), atol=1e-12)
        # Bbar = A^-1 (Abar - I) B with the undivided A, B
        torch.testing.assert_close(
            Bb, torch.linalg.solve(A, (Ab - torch.eye(6, dtype=A.dtype)) @ B), atol=1e-12, rtol=0
        )
        A4, _ = discretize_lmu(4, theta)
        assert torch.linalg.eigvals(A4).abs().max().item() == pytest.approx(radius, abs=1e-4)
    Ae, Be = discretize_lmu(4, 4.0, method="euler")
    assert Ae[0].tolist() == [0.75, -0.25, -0.25, -0.25]
    torch.testing.assert_close(Be, lmu_matrices(4)[1] / 4)


def test_bad_lmu_arguments() -> None:
    with pytest.raises(ValueError, match="order"):
        lmu_matrices(0)
    with pytest.raises(ValueError, match="order"):
        discretize_lmu(0, 4.0)
    with pytest.raises(ValueError, match="theta"):
        discretize_lmu(4, 0.0)
    with pytest.raises(ValueError, match="method"):
        discretize_lmu(4, 4.0, method="bilinear")
    with pytest.raises(ValueError, match="order"):
        L2MU(L2MUConfig(order=0))


def test_trainable_theta_gradient() -> None:
    theta = torch.tensor(4.0, dtype=torch.float64, requires_grad=True)
    Ab, Bb = discretize_lmu(4, theta)
    (Ab.sum() + Bb.sum()).backward()
    assert theta.grad is not None
    assert torch.isfinite(theta.grad)


def _run(
    pop: SpikingPopulation, inputs: list[float]
) -> tuple[list[float], list[float], list[float]]:
    st = PopState(torch.zeros(1, 1), torch.zeros(1, 1))
    U, J, S = [], [], []
    for x in inputs:
        s, st = pop.step(torch.tensor([[x]]), st)
        U.append(st.u.item())
        J.append(st.j.item())
        S.append(s.item())
    return U, J, S


def test_snntorch_equivalent_neurons() -> None:
    U, _, S = _run(SpikingPopulation(neuron="lif", beta=0.5, threshold=1.0), [0.8, 0.8, 0.8, 0.0])
    assert pytest.approx([0.8, 1.2, 0.4, 0.2]) == U
    assert S == [0, 1, 0, 0]
    U, J, S = _run(
        SpikingPopulation(neuron="cuba", beta=0.5, threshold=1.0, alpha=0.5), [1.2, 0, 0, 0]
    )
    assert pytest.approx([1.2, 0.6, 0.3, 0.15]) == J
    assert pytest.approx([1.2, 0.2, 0.4, 0.35]) == U
    assert S == [1, 0, 0, 0]
    # exactly at threshold does not spike (strictly above)
    _, _, S = _run(SpikingPopulation(beta=0.0, threshold=1.0), [1.0])
    assert S == [0]


def test_snntorch_peer_leaky() -> None:
    snn = pytest.importorskip("snntorch")
    torch.manual_seed(0)
    x = torch.rand(8, 3, 5) * 1.5
    ref = snn.Leaky(beta=0.6, threshold=0.7, reset_mechanism="subtract")
    mem = ref.init_leaky()
    ref_s = []
    for t in range(8):
        s, mem = ref(x[t], mem)
        ref_s.append(s)
    pop = SpikingPopulation(beta=0.6, threshold=0.7)
    st = pop.init_state(x[0])
    ours = []
    for t in range(8):
        s, st = pop.step(x[t], st)
        ours.append(s)
    assert torch.equal(torch.stack(ours), torch.stack(ref_s).detach())


def test_parameter_count_formula() -> None:
    cfg = L2MUConfig(input_size=6, memory_size=10, order=4, hidden_size=20, num_classes=7)
    assert l2mu_num_params(cfg) == 2135
    model = L2MUClassifier(cfg)
    assert count_parameters(model, trainable_only=True) == 2135
    assert sum(b.numel() for n, b in model.named_buffers() if n.endswith(("Abar", "Bbar"))) == 20
    assert meta_parameter_count("l2mu") == 2135
    har = L2MUConfig(input_module=(32, 32, 32))
    assert (
        meta_parameter_count("l2mu-har")
        == l2mu_num_params(har)
        == count_parameters(L2MUClassifier(har))
    )


def test_memory_transpose_compat() -> None:
    torch.manual_seed(0)
    a = L2MU(L2MUConfig())
    b = L2MU(L2MUConfig(memory_transpose_compat=True))
    assert torch.equal(a.memory_matrix, a.Abar)
    assert torch.equal(b.memory_matrix, b.Abar.T)
    # the applied update: memory spikes e_0 -> Abar column 0 (default) or row 0 (compat)
    cfg = L2MUConfig(memory_size=1, order=4)
    for compat in (False, True):
        m = L2MU(cfg.__class__(**{**cfg.__dict__, "memory_transpose_compat": compat}))
        with torch.no_grad():
            m.pop_u.threshold.fill_(1e6)  # silence u so I_m comes from the memory only
        st = m.init_state(torch.zeros(1, 6))
        s_m = torch.tensor([[1.0, 0.0, 0.0, 0.0]])
        st = st._replace(s_m=s_m)
        captured: dict[str, torch.Tensor] = {}
        orig = m.pop_m.step
        m.pop_m.step = lambda cur, s, orig=orig, cap=captured: (
            cap.setdefault("i", cur),
            orig(cur, s),
        )[1]
        m.step(torch.zeros(1, 6), st)
        expected = m.Abar[0] if compat else m.Abar[:, 0]
        torch.testing.assert_close(captured["i"][0], expected)


def test_shapes_state_and_contract() -> None:
    torch.manual_seed(0)
    model = L2MUClassifier(L2MUConfig(input_size=6, num_classes=7))
    x = torch.randn(8, 3, 6)
    out = model(x)
    assert out.shape == (8, 3, 7)
    assert model(x).sum(0).shape == (3, 7)
    # chunked run with explicit state equals one run; step equals forward
    full = model.l2mu(x)
    a, st = model.l2mu(x[:3], return_state=True)
    b = model.l2mu(x[3:], st)
    assert torch.equal(torch.cat([a, b]), full)
    st, steps = None, []
    for t in range(8):
        s, st = model.l2mu.step(x[t], st)
        steps.append(s)
    assert torch.equal(torch.stack(steps), full)
    check_model(create_model("l2mu"), expected_shape=(2, 2, 7), min_grad_fraction=0.3)
    check_model(
        create_model("l2mu-har", neuron="cuba"), expected_shape=(2, 2, 7), min_grad_fraction=0.3
    )
    model.reset_classifier(3)
    assert model(x).shape == (8, 3, 3)
    with pytest.raises(ValueError, match=r"\[T, B, 6\]"):
        L2MUClassifier(L2MUConfig())(torch.randn(4, 2, 5))
    with pytest.raises(ValueError, match="neuron"):
        L2MUClassifier(L2MUConfig(neuron="izhikevich"))
