"""SPAM: golden values of the spec (spike-core-optim checks 1-10)."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from spike_core.optim import SPAM, spam_warmup_scale

GOLDEN_A = [
    [0.490000490847, -0.309999652241, 0.209997995734, 1.009999681775],
    [0.482843704430, -0.317156540914, 0.217153700596, 1.017156591554],
    [0.476919132961, -0.322274391834, 0.223077378066, 1.023081264993],
    [0.471708801046, -0.326091281304, 0.228286924936, 1.027557734147],
    [0.467658136973, -0.328966514567, 0.233025805060, 1.030989348881],
    [0.467710346861, -0.328914305125, 0.232973596619, 1.030937138801],
    [0.468766359989, -0.328120692950, 0.231949980453, 1.029926666293],
    [0.471951812525, -0.326003678564, 0.228857403670, 1.027187964326],
    [0.477488522003, -0.322598260587, 0.223123191971, 1.022691872608],
    [0.482114133119, -0.319870975362, 0.218321664696, 1.018993134088],
    [0.485946811863, -0.317736151558, 0.214331644915, 1.015989448297],
    [0.485898670722, -0.317688014236, 0.214379786316, 1.016037585437],
    [0.485007181380, -0.316768573317, 0.215367568412, 1.015761464085],
    [0.482542326215, -0.313913172189, 0.218423747901, 1.014796048904],
]
GOLDEN_B = {
    1: [
        -1.000999950915,
        -0.600999965224,
        -0.199000200427,
        0.200999968177,
        0.600999915426,
        0.999000039842,
    ],
    20: [
        -1.004935112054,
        -0.601436023156,
        -0.194623835940,
        0.203239471025,
        0.597996127388,
        0.995452341287,
    ],
    300: [
        -1.005531210952,
        -0.601553614725,
        -0.194080603666,
        0.203644829550,
        0.597663382684,
        0.994880569165,
    ],
    301: [
        -1.005694736642,
        -0.600102117723,
        -0.193868570528,
        0.203667535152,
        0.597463638056,
        0.994750912913,
    ],
    500: [
        -1.005712293145,
        -0.587125914588,
        -0.193800102857,
        0.203599941669,
        0.597369502401,
        0.994757668862,
    ],
    501: [
        -1.005685364889,
        -0.587113623417,
        -0.193826859856,
        0.203575347093,
        0.597393394677,
        0.994784343314,
    ],
    1100: [
        -1.005725171802,
        -0.587660962167,
        -0.194067507936,
        0.203934824354,
        0.597872884092,
        0.994639082224,
    ],
}
CFG_A = {"lr": 0.01, "warmup_steps": 3, "threshold": 4.0, "delta_t": 6, "grad_accu_steps": 2}


def grad(k: int, n: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor([math.sin(0.7 * (k + 1) + 1.3 * i) for i in range(n)], dtype=dtype)


def run(p0, calls, spike=None, dtype=torch.float64, compat=True, **kw):
    p = torch.nn.Parameter(torch.tensor(p0, dtype=dtype))
    opt = SPAM([p], reference_compat=compat, no_deprecation_warning=True, **kw)
    history = []
    for k in range(calls):
        g = grad(k, p.numel(), dtype)
        if spike is not None and k == spike[0]:
            g[1] *= spike[1]
        p.grad = g
        opt.step()
        history.append(p.detach().clone())
    return history, opt


def test_warmup_scale_golden() -> None:
    expected = {
        0: 0.010000000000000009,
        1: 0.010107128589870173,
        5: 0.012675896957274224,
        75: 0.49985079365408025,
        148: 0.9990361208901225,
        149: 0.9995715320103569,
    }
    for c, v in expected.items():
        assert spam_warmup_scale(c, 150) == v
    assert all(spam_warmup_scale(c, 150) == 1.0 for c in (150, 151, 10_000))
    assert [spam_warmup_scale(c, 3) for c in range(4)] == [
        0.010000000000000009,
        0.15498214331265903,
        0.505,
        1.0,
    ]


@pytest.mark.parametrize("compat", [True, False])
def test_golden_a(compat: bool) -> None:
    hist, _ = run([0.5, -0.3, 0.2, 1.0], 14, spike=(8, 100.0), compat=compat, **CFG_A)
    for n, row in enumerate(GOLDEN_A):
        torch.testing.assert_close(
            hist[n], torch.tensor(row, dtype=torch.float64), atol=6e-13, rtol=0
        )


def test_golden_a_float32() -> None:
    hist, _ = run([0.5, -0.3, 0.2, 1.0], 14, spike=(8, 100.0), dtype=torch.float32, **CFG_A)
    expected = torch.tensor([0.482542306, -0.313913256, 0.218423754, 1.01479614])
    torch.testing.assert_close(hist[-1], expected, atol=6e-9, rtol=0)


def test_golden_a_weight_decay() -> None:
    hist, _ = run([0.5, -0.3, 0.2, 1.0], 14, spike=(8, 100.0), weight_decay=0.1, **CFG_A)
    expected = {
        1: [0.489510490356, -0.309689652588, 0.209787997738, 1.008989682093],
        6: [0.464860719766, -0.326985662744, 0.231632354358, 1.024812670729],
        14: [0.475889017806, -0.309446238056, 0.215334703241, 1.000587621732],
    }
    for n, row in expected.items():
        torch.testing.assert_close(
            hist[n - 1], torch.tensor(row, dtype=torch.float64), atol=6e-13, rtol=0
        )


def _python_reference(p0, calls, spike, lr, b1, b2, eps, theta, delta_t, n_warm, accu):
    """The spec's §3 rule in plain Python floats (IEEE double), for a bit-level comparison."""
    p = list(p0)
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    c = n_warm + 1
    for k in range(calls):
        g = [math.sin(0.7 * (k + 1) + 1.3 * i) for i in range(len(p))]
        if k == spike[0]:
            g[1] *= spike[1]
        sf = spam_warmup_scale(c, n_warm)
        if (k + 1) % delta_t == 0:
            m = [0.0] * len(p)
            v = [0.0] * len(p)
        t = k + 1
        if theta != 0 and k + 1 >= accu and (k + 1) % delta_t >= accu:
            g = [
                math.copysign(math.sqrt(vi * theta), gi) if gi * gi > theta * vi else gi
                for gi, vi in zip(g, v, strict=True)
            ]
        m = [b1 * mi + (1.0 - b1) * gi for mi, gi in zip(m, g, strict=True)]
        v = [b2 * vi + (1.0 - b2) * gi * gi for vi, gi in zip(v, g, strict=True)]
        step = lr * (math.sqrt(1.0 - b2**t) / (1.0 - b1**t))
        p = [
            pi + (-step * sf) * (mi / (math.sqrt(vi) + eps))
            for pi, mi, vi in zip(p, m, v, strict=True)
        ]
        c += 1
        if (k + 1) != 0 and (k + 2) % delta_t == 0:
            c = 0
    return p


def test_golden_a_matches_plain_python_reference_closely() -> None:
    hist, _ = run([0.5, -0.3, 0.2, 1.0], 14, spike=(8, 100.0), **CFG_A)
    ref = _python_reference(
        [0.5, -0.3, 0.2, 1.0], 14, (8, 100.0), 0.01, 0.9, 0.999, 1e-6, 4.0, 6, 3, 2
    )
    # torch may fuse multiply-adds differently from Python, so allow a few ulps here; the
    # published 12-decimal goldens above pin the values themselves.
    torch.testing.assert_close(
        hist[-1], torch.tensor(ref, dtype=torch.float64), atol=1e-15, rtol=1e-14
    )


@pytest.mark.slow
def test_golden_b_paper_defaults() -> None:
    p0 = torch.linspace(-1, 1, 6, dtype=torch.float64).tolist()
    hist, _ = run(p0, 1100, spike=(300, 1000.0))
    for n, row in GOLDEN_B.items():
        torch.testing.assert_close(
            hist[n - 1], torch.tensor(row, dtype=torch.float64), atol=6e-13, rtol=0
        )
    hist0, _ = run(p0, 1100, spike=(300, 1000.0), threshold=0.0)
    assert abs(hist0[300][1].item() - (-0.599941740205)) < 6e-13
    assert abs(hist0[1099][1].item() - (-0.585682258347)) < 6e-13
    # only entry 1 differs from call 301 on
    for n in (1, 20, 300):
        assert torch.equal(hist0[n - 1], hist[n - 1])
    others = [0, 2, 3, 4, 5]
    assert torch.equal(hist0[1099][others], hist[1099][others])


def test_timing_matches_consequences() -> None:
    p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = SPAM([p], delta_t=500, grad_accu_steps=20, warmup_steps=150)
    infos = []
    for k in range(1100):
        p.grad = grad(k, 3)
        opt.step()
        infos.append(opt.last_step)
    resets = [i.total_step for i in infos if i.reset]
    assert resets == [499, 999]
    clip = [i.clipping for i in infos]
    assert not any(clip[0:19])
    assert all(clip[19:499])
    assert not any(clip[499:519])
    assert all(clip[519:999])
    assert not any(clip[999:1019])
    assert all(clip[1019:])
    assert infos[499].warmup_index == 0
    assert infos[499].scale == 0.010000000000000009
    assert infos[498].scale == 1.0
    assert infos[0].warmup_index == 151
    assert infos[648].scale < 1.0
    assert infos[649].scale == 1.0
    assert [i.warmup_index for i in infos[499:503]] == [0, 1, 2, 3]


def test_adam_reduction_bitwise() -> None:
    """theta = 0, no reset, no warm-up: every update is the Adam step, to the last bit."""
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(5, dtype=torch.float64))
    ref = p.detach().clone()
    opt = SPAM([p], lr=0.01, threshold=0.0, delta_t=10_000)
    b1, b2 = 0.9, 0.999
    m, v = torch.zeros_like(ref), torch.zeros_like(ref)
    for t in range(1, 40):
        g = grad(t - 1, 5)
        p.grad = g.clone()
        opt.step()
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        step = 0.01 * (math.sqrt(1 - b2**t) / (1 - b1**t))
        ref.add_(m / v.sqrt().add_(1e-6), alpha=-step)
        assert torch.equal(ref, p.detach()), t


def test_masked_density_one_equals_dense_bitwise() -> None:
    torch.manual_seed(1)
    w0 = torch.randn(3, 4, dtype=torch.float64)
    dense = torch.nn.Parameter(w0.clone())
    masked = torch.nn.Parameter(w0.clone())
    o1 = SPAM([dense], lr=0.01, delta_t=100, threshold=4.0, grad_accu_steps=2)
    o2 = SPAM(
        [{"params": [masked], "density": 1.0}],
        lr=0.01,
        delta_t=100,
        threshold=4.0,
        grad_accu_steps=2,
    )
    for k in range(60):
        g = grad(k, 12).reshape(3, 4)
        if k == 30:
            g[0, 1] *= 50
        dense.grad, masked.grad = g.clone(), g.clone()
        o1.step()
        o2.step()
    assert torch.equal(dense, masked)


def test_masked_weight_decay_quirk() -> None:
    for compat, expect_masked in ((True, 1.0), (False, 0.95)):
        d = torch.nn.Parameter(torch.ones(2, 2, dtype=torch.float64))
        m = torch.nn.Parameter(torch.ones(2, 2, dtype=torch.float64))
        opt = SPAM(
            [{"params": [d]}, {"params": [m], "density": 1.0}],
            lr=0.1,
            weight_decay=0.5,
            reference_compat=compat,
            no_deprecation_warning=True,
        )
        d.grad = torch.zeros(2, 2, dtype=torch.float64)
        m.grad = torch.zeros(2, 2, dtype=torch.float64)
        opt.step()
        torch.testing.assert_close(d.detach(), torch.full((2, 2), 0.95, dtype=torch.float64))
        torch.testing.assert_close(
            m.detach(), torch.full((2, 2), expect_masked, dtype=torch.float64)
        )


def test_masked_half_density() -> None:
    torch.manual_seed(3)
    w = torch.nn.Parameter(torch.randn(4, 5))
    opt = SPAM([{"params": [w], "density": 0.5}], lr=0.01, delta_t=10, grad_accu_steps=2)
    assert int(opt.state[w]["mask"].sum()) == 10
    redrawn = []
    for _ in range(40):
        mask = opt.state[w]["mask"].clone()  # the mask this call uses
        before = w.detach().clone()
        w.grad = torch.randn(4, 5)
        opt.step()
        state = opt.state[w]
        assert not (w.detach() != before)[~mask].any()  # unselected entries never move
        assert state["exp_avg"].numel() == state["exp_avg_sq"].numel() == int(state["mask"].sum())
        if not torch.equal(mask, state["mask"]):
            redrawn.append((opt.last_step.total_step, int(state["mask"].sum())))
    # redrawn at the end of calls k = 8, 18, 28, 38 (just before each reset), Bernoulli(0.5)
    assert [k for k, _ in redrawn] == [8, 18, 28, 38]
    assert len({n for _, n in redrawn}) > 1


def test_masked_unselected_entries_frozen_within_interval() -> None:
    torch.manual_seed(4)
    w = torch.nn.Parameter(torch.randn(4, 5))
    opt = SPAM([{"params": [w], "density": 0.5}], lr=0.05, delta_t=50, grad_accu_steps=2)
    mask = opt.state[w]["mask"].clone()
    w0 = w.detach().clone()
    for _ in range(30):
        w.grad = torch.randn(4, 5)
        opt.step()
    assert torch.equal(w.detach()[~mask], w0[~mask])
    assert (w.detach()[mask] != w0[mask]).all()


def test_reset_semantics() -> None:
    p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = SPAM([p], delta_t=5, grad_accu_steps=2, threshold=4.0, warmup_steps=2)
    for k in range(5):
        p.grad = grad(k, 3)
        opt.step()
    g = grad(4, 3)
    assert opt.last_step.reset
    assert opt.last_step.total_step == 4
    torch.testing.assert_close(opt.state[p]["exp_avg"], (1 - 0.9) * g, rtol=0, atol=0)
    torch.testing.assert_close(opt.state[p]["exp_avg_sq"], (1 - 0.999) * g * g, rtol=1e-15, atol=0)
    assert opt.state[p]["step"] == 5


def test_state_round_trip() -> None:
    p0 = torch.linspace(-1, 1, 6, dtype=torch.float64)
    cfg = {"delta_t": 50, "warmup_steps": 15, "grad_accu_steps": 3, "threshold": 5.0}

    def make():
        p = torch.nn.Parameter(p0.clone())
        return p, SPAM([p], **cfg)

    p, opt = make()
    for k in range(90):
        p.grad = grad(k, 6)
        opt.step()
    saved_p = p.detach().clone()
    saved = copy.deepcopy(opt.state_dict())
    for k in range(90, 140):
        p.grad = grad(k, 6)
        opt.step()
    q, opt2 = make()
    with torch.no_grad():
        q.copy_(saved_p)
    opt2.load_state_dict(saved)
    for k in range(90, 140):
        q.grad = grad(k, 6)
        opt2.step()
    assert torch.equal(p, q)


def test_compat_mutates_grad_default_does_not() -> None:
    for compat in (True, False):
        p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
        opt = SPAM(
            [p],
            delta_t=100,
            grad_accu_steps=2,
            threshold=1.0,
            reference_compat=compat,
            no_deprecation_warning=True,
        )
        for k in range(3):
            g = torch.tensor([1.0, 1.0], dtype=torch.float64) * (100.0 if k == 2 else 1.0)
            p.grad = g.clone()
            opt.step()
        assert torch.equal(p.grad, g) is (not compat)


def test_compat_masked_grad_holds_update_and_warns(capsys) -> None:
    w = torch.nn.Parameter(torch.ones(2, 3))
    with pytest.warns(FutureWarning):
        opt = SPAM([{"params": [w], "density": 1.0}], reference_compat=True)
    assert "density" in capsys.readouterr().out
    w.grad = torch.ones(2, 3)
    opt.step()
    assert not torch.equal(w.grad, torch.ones(2, 3))


def test_grad_none_skipped() -> None:
    a = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(2))
    opt = SPAM([a, b])
    a.grad = torch.ones(2)
    opt.step()
    assert "step" not in opt.state[b]
    assert opt.state[a]["step"] == 1
    assert torch.equal(b.detach(), torch.zeros(2))


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"grad_accu_steps": 1}, "grad_accu_steps"),
        ({"delta_t": 0}, "delta_t"),
        ({"lr": -1.0}, "lr"),
        ({"betas": (1.0, 0.9)}, "betas"),
        ({"threshold": float("nan")}, "threshold"),
        ({"warmup_steps": -1}, "warmup_steps"),
    ],
)
def test_bad_hyperparameters(kwargs, word) -> None:
    with pytest.raises(ValueError, match=word):
        SPAM([torch.nn.Parameter(torch.zeros(1))], **kwargs)


def test_compat_accepts_small_accu_and_loses_first_update() -> None:
    p = torch.nn.Parameter(torch.ones(2))
    opt = SPAM([p], grad_accu_steps=1, reference_compat=True, no_deprecation_warning=True)
    p.grad = torch.ones(2)
    opt.step()
    assert torch.equal(p.detach(), torch.ones(2))


def test_bad_density_and_rank() -> None:
    with pytest.raises(ValueError, match="2-D"):
        SPAM([{"params": [torch.nn.Parameter(torch.zeros(3))], "density": 0.5}])
    with pytest.raises(ValueError, match="density"):
        SPAM([{"params": [torch.nn.Parameter(torch.zeros(3, 3))], "density": 0.0}])
