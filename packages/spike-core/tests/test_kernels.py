"""Fused CPU kernels against the reference loop: outputs, states and every gradient."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spike_core import ALIF, IF, LI, LIF, PLIF, CubaLIF, IntLIF, LIFCell, list_surrogates
from spike_core.kernels import available_backends, resolve_backend, run_multistep

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="needs the numba extra"
)

SURROGATES = list_surrogates()
RESETS = ["hard", "soft", "none"]
TOL = {"atol": 1e-6, "rtol": 1e-6}


def _random_state(neuron: Any, x: torch.Tensor, scale: float = 0.5) -> Any:
    zero = neuron.init_state(x[0])
    return type(zero)(*(torch.randn_like(f) * scale for f in zero))


def _run(neuron: Any, backend: str, x: torch.Tensor, state: Any, gout: torch.Tensor) -> dict:
    """Forward from ``state`` with grads on x, the state and parameters; backward a fixed loss."""
    neuron.backend = backend
    neuron.zero_grad(set_to_none=True)
    xx = x.detach().clone().requires_grad_()
    st0 = type(state)(*(f.detach().clone().requires_grad_() for f in state))
    spikes, final = neuron(xx, st0, return_state=True)
    loss = (spikes * gout).sum()
    for k, f in enumerate(final):
        if f.requires_grad:
            loss = loss + (f * (0.3 + 0.1 * k)).sum()
    loss.backward()
    return {
        "spikes": spikes.detach(),
        "final": [f.detach() for f in final],
        "gx": xx.grad,
        "gstate": [f.grad for f in st0],
        "gparams": [p.grad for p in neuron.parameters()],
    }


def _check_same(neuron: Any, x: torch.Tensor, *, random_state: bool = True) -> None:
    state = _random_state(neuron, x) if random_state else neuron.init_state(x[0])
    gout = torch.randn_like(x)
    ref = _run(neuron, "torch", x, state, gout)
    got = _run(neuron, "cpu", x, state, gout)
    torch.testing.assert_close(got["spikes"], ref["spikes"], **TOL)
    for a, b in zip(got["final"], ref["final"], strict=True):
        torch.testing.assert_close(a, b, **TOL)
    torch.testing.assert_close(got["gx"], ref["gx"], **TOL)
    for a, b in zip(got["gstate"], ref["gstate"], strict=True):
        if b is None:
            assert a is None or not bool(a.any())
        else:
            torch.testing.assert_close(a, b, **TOL)
    for a, b in zip(got["gparams"], ref["gparams"], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def _x(T: int = 5, B: int = 2, F: int = 13, scale: float = 1.5) -> torch.Tensor:
    return torch.randn(T, B, F) * scale


@pytest.mark.parametrize("surrogate", SURROGATES)
@pytest.mark.parametrize("reset", RESETS)
@pytest.mark.parametrize("decay_input", [True, False])
@pytest.mark.parametrize("detach_reset", [False, True])
def test_lif_matches_reference(
    surrogate: str, reset: str, decay_input: bool, detach_reset: bool
) -> None:
    lif = LIF(
        tau_mem=3.0,
        v_reset=-0.2,
        v_leak=0.1,
        r=1.3,
        reset=reset,
        decay_input=decay_input,
        detach_reset=detach_reset,
        surrogate=surrogate,
    )
    _check_same(lif, _x())


@pytest.mark.parametrize("surrogate", SURROGATES)
@pytest.mark.parametrize("reset", RESETS)
def test_plif_matches_reference_including_tau_gradient(surrogate: str, reset: str) -> None:
    for decay_input, detach in ((True, False), (False, True)):
        plif = PLIF(
            init_tau=2.5,
            reset=reset,
            decay_input=decay_input,
            detach_reset=detach,
            surrogate=surrogate,
        )
        _check_same(plif, _x())


@pytest.mark.parametrize("surrogate", SURROGATES)
@pytest.mark.parametrize("reset", RESETS)
@pytest.mark.parametrize("detach_reset", [False, True])
def test_if_matches_reference(surrogate: str, reset: str, detach_reset: bool) -> None:
    neuron = IF(v_reset=0.1, r=0.7, reset=reset, detach_reset=detach_reset, surrogate=surrogate)
    _check_same(neuron, _x(scale=0.8))


@pytest.mark.parametrize("surrogate", SURROGATES)
@pytest.mark.parametrize("reset", RESETS)
@pytest.mark.parametrize("detach_reset", [False, True])
def test_cuba_matches_reference(surrogate: str, reset: str, detach_reset: bool) -> None:
    neuron = CubaLIF(
        tau_syn=2.0,
        tau_mem=3.0,
        v_leak=0.05,
        r=1.2,
        v_reset=-0.1,
        reset=reset,
        detach_reset=detach_reset,
        surrogate=surrogate,
    )
    _check_same(neuron, _x())


@pytest.mark.parametrize("rounding", ["half_up", "half_even"])
@pytest.mark.parametrize("norm", [1.0, 4.0])
@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_int_lif_matches_reference(rounding: str, norm: float, beta: float) -> None:
    neuron = IntLIF(levels=4, input_scale=2.0, norm=norm, beta=beta, rounding=rounding)
    x = torch.randint(-4, 12, (6, 2, 11)).float() / 4  # exact halves exercise the rounding
    _check_same(neuron, x, random_state=beta > 0)
    _check_same(neuron, _x(scale=2.0), random_state=beta > 0)


@pytest.mark.parametrize(
    "make",
    [LIF, PLIF, IF, CubaLIF, lambda: IntLIF(beta=0.3)],
    ids=["lif", "plif", "if", "cuba", "int"],
)
def test_t1_and_non_contiguous_inputs(make: Any) -> None:
    _check_same(make(), _x(T=1))
    base = torch.randn(4, 9, 3, 2) * 1.5
    x = base.permute(2, 0, 1, 3)[:, :, ::2]  # [T=3, B=4, 5, 2], non-contiguous
    assert not x.is_contiguous()
    _check_same(make(), x)


def test_float64_and_zero_state() -> None:
    lif = LIF(tau_mem=2.0, reset="soft", surrogate="sigmoid").double()
    _check_same(lif, _x().double())
    _check_same(LIF(), _x(), random_state=False)


def test_threaded_path_matches_reference() -> None:
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        _check_same(LIF(surrogate="erf"), _x(T=3, B=1, F=12_000))
        _check_same(PLIF(reset="soft"), _x(T=3, B=1, F=12_000))
    finally:
        torch.set_num_threads(old)


def test_grad_only_through_final_state_and_no_grad_mode() -> None:
    x = _x()
    for backend in ("torch", "cpu"):
        lif = LIF(backend=backend)
        xx = x.clone().requires_grad_()
        _, (v,) = lif(xx, return_state=True)
        v.sum().backward()
        if backend == "torch":
            ref = xx.grad
        else:
            torch.testing.assert_close(xx.grad, ref, **TOL)
    with torch.no_grad():
        torch.testing.assert_close(LIF(backend="cpu")(x), LIF(backend="torch")(x))


@settings(max_examples=25, deadline=None)
@given(
    T=st.integers(1, 6),
    B=st.integers(1, 3),
    F=st.integers(1, 40),
    reset=st.sampled_from(RESETS),
    surrogate=st.sampled_from(SURROGATES),
    family=st.sampled_from(["lif", "plif", "if", "cuba", "int"]),
    seed=st.integers(0, 2**16),
)
def test_property_shapes(
    T: int, B: int, F: int, reset: str, surrogate: str, family: str, seed: int
) -> None:
    torch.manual_seed(seed)
    if family == "lif":
        neuron: Any = LIF(reset=reset, surrogate=surrogate, decay_input=bool(seed % 2))
    elif family == "plif":
        neuron = PLIF(reset=reset, surrogate=surrogate)
    elif family == "if":
        neuron = IF(reset=reset, surrogate=surrogate)
    elif family == "cuba":
        neuron = CubaLIF(reset=reset, surrogate=surrogate)
    else:
        neuron = IntLIF(beta=0.25, rounding="half_even" if seed % 2 else "half_up")
    _check_same(neuron, _x(T, B, F))


# --- backend selection -------------------------------------------------------------------


def test_auto_picks_cpu_and_falls_back_where_unsupported() -> None:
    assert "cpu" in available_backends()
    x = _x()
    assert resolve_backend(LIF(), x, "auto").name == "cpu"
    assert resolve_backend(LIF(), x.half(), "auto").name == "torch"
    assert resolve_backend(ALIF(), x, "auto").name == "torch"
    assert resolve_backend(LI(), x, "auto").name == "torch"
    with pytest.raises(ValueError, match="cannot run ALIF"):
        resolve_backend(ALIF(), x, "cpu")
    with pytest.raises(ValueError, match="unknown backend"):
        resolve_backend(LIF(), x, "cuda-magic")


def test_auto_never_fails_where_the_reference_works() -> None:
    x = _x()
    for neuron in (ALIF(), LI(), LIF(surrogate="atan")):
        ref = neuron.reference_loop(x, neuron.init_state(x[0]))[0]
        torch.testing.assert_close(neuron(x), ref)

    # a subclass overriding the step is not fused
    class Doubled(LIF):
        def step(self, x: torch.Tensor, state: Any) -> Any:
            return super().step(2 * x, state)

    assert resolve_backend(Doubled(), x, "auto").name == "torch"
    # half precision and a state of another dtype run the reference
    torch.testing.assert_close(LIF()(x.half()), LIF(backend="torch")(x.half()))
    st64 = LIF().init_state(x[0].double())
    s, _ = run_multistep(LIF(), x, st64, "cpu")
    ref, _ = LIF(backend="torch").reference_loop(x, st64)
    torch.testing.assert_close(s, ref)


def test_missing_numba_falls_back_and_explicit_request_raises(monkeypatch: Any) -> None:
    from spike_core.kernels import _cpu

    monkeypatch.setattr(_cpu, "_numba_installed", lambda: False)
    x = _x()
    assert "cpu" not in available_backends()
    assert resolve_backend(LIF(), x, "auto").name == "torch"
    with pytest.raises(ValueError, match="not installed"):
        LIF(backend="cpu")(x)
    torch.testing.assert_close(LIF()(x), LIF(backend="torch")(x))


def test_broken_numba_warns_and_runs_reference(monkeypatch: Any) -> None:
    from spike_core.kernels import _cpu

    def broken() -> Any:
        raise ImportError("numba is broken")

    monkeypatch.setattr(_cpu, "_kernels", broken)
    monkeypatch.setattr(_cpu, "_BROKEN", [])
    x = _x()
    with pytest.warns(RuntimeWarning, match="numba is broken"):
        out = LIF(backend="cpu")(x)
    torch.testing.assert_close(out, LIF(backend="torch")(x))
    assert "cpu" not in available_backends()


@pytest.mark.parametrize("make", [LIF, CubaLIF, IntLIF], ids=["lif", "cuba", "int"])
def test_non_finite_input_raises_in_kernel(make: Any) -> None:
    x = _x()
    x[2, 1, 4] = float("inf")
    with pytest.raises(ValueError, match="x_seq contains NaN"):
        make(backend="cpu")(x)
    x[2, 1, 4] = float("nan")
    with pytest.raises(ValueError, match="x_seq contains NaN"):
        make()(x)


def test_cell_and_layer_agree_under_the_fused_backend() -> None:
    x = _x()
    cell, state, outs = LIFCell(), None, []
    for xt in x:
        s, state = cell(xt, state)
        outs.append(s)
    torch.testing.assert_close(LIF(backend="cpu")(x), torch.stack(outs))


def test_import_compiles_nothing_and_is_fast() -> None:
    code = (
        "import sys, time, torch\n"
        "t = time.perf_counter()\n"
        "import spike_core\n"
        "dt = time.perf_counter() - t\n"
        "assert 'numba' not in sys.modules, 'numba imported at import time'\n"
        "assert 'triton' not in sys.modules, 'triton imported at import time'\n"
        "print(dt)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert float(out.stdout.strip()) < 1.0


def test_no_warning_on_the_normal_path() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LIF()(_x())
