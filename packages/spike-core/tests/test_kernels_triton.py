"""Triton backend: on a CUDA device against the reference loop; on CPU via Triton's interpreter."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
import torch

from spike_core import IF, LIF, PLIF, CubaLIF, list_surrogates
from spike_core.kernels import resolve_backend

needs_triton = pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="needs triton")
TOLS = {
    torch.float32: {"atol": 1e-6, "rtol": 1e-6},
    torch.float16: {"atol": 2e-3, "rtol": 2e-3},
    torch.bfloat16: {"atol": 3e-2, "rtol": 3e-2},
}


def _grads(neuron: Any, backend: str, x: torch.Tensor, gout: torch.Tensor) -> list[torch.Tensor]:
    neuron.backend = backend
    neuron.zero_grad(set_to_none=True)
    xx = x.detach().clone().requires_grad_()
    s, (v,) = neuron(xx, return_state=True)
    ((s * gout).sum() + (v * 0.3).sum()).backward()
    return [s.detach(), v.detach(), xx.grad, *(p.grad for p in neuron.parameters())]


@pytest.mark.gpu
@needs_triton
@pytest.mark.parametrize("dtype", list(TOLS))
@pytest.mark.parametrize("surrogate", list_surrogates())
@pytest.mark.parametrize("reset", ["hard", "soft", "none"])
def test_triton_matches_reference_on_cuda(dtype: torch.dtype, surrogate: str, reset: str) -> None:
    for make in (
        lambda: LIF(reset=reset, surrogate=surrogate, v_reset=-0.1),
        lambda: LIF(reset=reset, surrogate=surrogate, decay_input=False, detach_reset=True),
        lambda: PLIF(reset=reset, surrogate=surrogate),
        lambda: IF(reset=reset, surrogate=surrogate),
    ):
        neuron = make().to("cuda", dtype)
        x = (torch.randn(5, 3, 257, device="cuda") * 1.5).to(dtype)
        assert resolve_backend(neuron, x, "auto").name == "triton"
        gout = torch.randn_like(x)
        ref = _grads(neuron, "torch", x, gout)
        got = _grads(neuron, "triton", x, gout)
        for a, b in zip(got, ref, strict=True):
            torch.testing.assert_close(a.float(), b.float(), **TOLS[dtype])


@pytest.mark.gpu
@needs_triton
def test_triton_declines_what_it_does_not_implement() -> None:
    x = torch.randn(3, 2, 8, device="cuda")
    assert resolve_backend(CubaLIF(), x, "auto").name == "torch"
    assert resolve_backend(LIF(), x.double(), "auto").name == "torch"
    torch.testing.assert_close(CubaLIF()(x), CubaLIF(backend="torch")(x))


_INTERPRETED = textwrap.dedent(
    """
    import torch
    from spike_core import IF, LIF, PLIF
    from spike_core.kernels._cpu import run_fused
    from spike_core.kernels._spec import describe
    from spike_core.kernels._triton import _TritonLIFFunction

    torch.manual_seed(0)
    cases = [
        (LIF(reset="hard", v_reset=-0.2), torch.float32, 1e-6),
        (PLIF(reset="soft", decay_input=False, surrogate="erf"), torch.float32, 1e-5),
        (IF(surrogate="triangle", detach_reset=True), torch.float16, 2e-3),
    ]
    for neuron, dtype, tol in cases:
        neuron = neuron.to(dtype)
        x = (torch.randn(3, 2, 19) * 1.5).to(dtype)
        g = torch.randn_like(x)
        out = []
        for fused in (False, True):
            neuron.zero_grad(set_to_none=True)
            xx = x.clone().requires_grad_()
            st = neuron.init_state(x[0])
            st = type(st)(st.v.clone().requires_grad_())
            if fused:
                s, fin = run_fused(_TritonLIFFunction.apply, describe(neuron), xx, st)
            else:
                s, fin = neuron.reference_loop(xx, st)
            ((s * g).sum() + (fin.v * 0.3).sum()).backward()
            out.append([s, fin.v, xx.grad, st.v.grad, *(p.grad for p in neuron.parameters())])
        assert torch.equal(out[0][0], out[1][0]), "spikes differ"
        for a, b in zip(out[1], out[0], strict=True):
            torch.testing.assert_close(a.float(), b.float(), atol=tol, rtol=tol)
    print("ok")
    """
)


@pytest.mark.slow
@needs_triton
def test_triton_kernels_under_the_interpreter_on_cpu() -> None:
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _INTERPRETED],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
