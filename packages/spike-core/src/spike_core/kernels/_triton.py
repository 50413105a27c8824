"""The ``"triton"`` backend: fused LIF / IF / PLIF kernels on CUDA devices (float32/16, bfloat16).

Available when ``triton`` is importable and ``torch.cuda.is_available()``; nothing is imported or
compiled until the first CUDA forward. Forward keeps the membrane in registers over the time
loop; when a gradient is needed it also saves the pre-reset membrane ``h`` ``[T, N]`` and
backward runs in reverse time from it. CuBa-LIF and the integer LIF are not implemented here
(``"auto"`` runs them with the next backend that supports them, the reference loop on GPU).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from typing import Any

import torch

from spike_core.kernels._spec import NeuronSpec, describe

__all__ = ["TritonBackend"]

_BLOCK = 1024
_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


@lru_cache(maxsize=1)
def _triton_usable() -> bool:
    return importlib.util.find_spec("triton") is not None and torch.cuda.is_available()


def _kernels() -> Any:
    from spike_core.kernels import _triton_lif

    return _triton_lif


def _grid(n: int) -> tuple[int]:
    return (max(1, -(-n // _BLOCK)),)


class _TritonLIFFunction(torch.autograd.Function):
    """LIF / IF / PLIF over ``x`` ``[T, N]`` (CUDA) from ``v0`` ``[N]``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, x: torch.Tensor, v0: torch.Tensor, decay: torch.Tensor | None, spec: NeuronSpec
    ) -> tuple[torch.Tensor, torch.Tensor]:
        kern = _kernels()
        T, N = x.shape
        f = list(spec.floats)
        if decay is not None:
            f[0] = float(decay.detach())
        save = any(ctx.needs_input_grad[:3])  # keep h only when a gradient will be asked for
        s = torch.empty_like(x)
        h = torch.empty_like(x) if save else s
        v = v0.detach().clone()
        kern.lif_forward_kernel[_grid(N)](
            x, s, h, v, T, N, f[0], f[1], f[2], f[3], f[4],
            FORM=spec.form, RESET=spec.reset, SAVE_H=save,
            ROUND=x.dtype != torch.float32, BLOCK=_BLOCK,
        )  # fmt: skip
        ctx.save_for_backward(x, h if save else s, v0)
        ctx.spec, ctx.f, ctx.decay_like = spec, f, decay
        return s, v

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, gs: torch.Tensor, gv: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        kern = _kernels()
        x, h, v0 = ctx.saved_tensors
        spec, f = ctx.spec, ctx.f
        T, N = x.shape
        gs = gs.contiguous()
        gx = torch.empty_like(x)
        gvb = torch.zeros_like(v0) if gv is None else gv.contiguous().clone()
        want_k = bool(ctx.needs_input_grad[2])
        gk = torch.zeros((), dtype=torch.float32, device=x.device)
        kern.lif_backward_kernel[_grid(N)](
            x, h, gs, gx, v0, gvb, gk, T, N, (T - 1) * N,
            f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7],
            FORM=spec.form, RESET=spec.reset, DETACH=spec.detach, SG=spec.sg,
            WANT_K=want_k, ROUND=x.dtype != torch.float32, BLOCK=_BLOCK,
        )  # fmt: skip
        gdecay = gk.to(ctx.decay_like.dtype).reshape(ctx.decay_like.shape) if want_k else None
        return gx, gvb if ctx.needs_input_grad[1] else None, gdecay, None


class TritonBackend:
    """Fused Triton kernels for LIF, IF and PLIF on CUDA (float32, float16, bfloat16)."""

    name = "triton"
    priority = 20
    checks_finite = False

    def available(self) -> bool:
        """Whether triton is importable and a CUDA device is present (nothing compiled)."""
        return _triton_usable()

    def supports(self, neuron: Any, x_seq: torch.Tensor) -> bool:
        """CUDA input in a supported dtype and a LIF-family neuron."""
        if x_seq.device.type != "cuda" or x_seq.dtype not in _DTYPES:
            return False
        spec = describe(neuron)
        return spec is not None and spec.family == "lif"

    def run(self, neuron: Any, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Run ``neuron`` over ``x_seq`` ``[T, B, ...]``; returns spikes and the final state."""
        from spike_core.kernels._cpu import run_fused, state_matches

        spec = describe(neuron)
        if spec is None or spec.family != "lif" or not state_matches(x_seq, state):
            return neuron.reference_loop(x_seq, state)
        return run_fused(_TritonLIFFunction.apply, spec, x_seq, state)
