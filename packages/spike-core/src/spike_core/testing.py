"""Contract tests every registered model passes (``check_model``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

__all__ = ["check_model"]


def _first_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, tuple | list) and out:
        return _first_tensor(out[0])
    if isinstance(out, dict) and out:
        return _first_tensor(next(iter(out.values())))
    raise TypeError(f"model output has no tensor: {type(out).__name__}")


def _all_tensors(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, tuple | list):
        return [t for o in out for t in _all_tensors(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _all_tensors(o)]
    return []


def check_model(
    model: nn.Module,
    x: Any = None,
    *,
    expected_shape: tuple[int, ...] | None = None,
    loss_fn: Callable[[Any], torch.Tensor] | None = None,
    seed: int = 0,
    min_grad_fraction: float = 0.5,
) -> Any:
    """Check a model's contract: shape, finite gradients, determinism under a seed.

    Args:
        model: the model; if ``x`` is None it must offer ``example_input()``.
        x: a tiny input (tensor or tuple of arguments).
        expected_shape: the shape the first output tensor must have.
        loss_fn: maps the output to a scalar loss (default: sum of squares of every tensor).
        seed: seed used for both determinism runs.
        min_grad_fraction: the fraction of trainable parameter tensors that must receive a
            non-zero gradient (spiking layers may leave a few silent on tiny inputs).

    Returns:
        The output of the first forward pass.

    Raises:
        AssertionError: naming the violated property.
    """
    if x is None:
        x = model.example_input()  # type: ignore[operator]
    args = x if isinstance(x, tuple) else (x,)

    def run() -> Any:
        torch.manual_seed(seed)
        return model(*args)

    model.train()
    out = run()
    first = _first_tensor(out)
    if expected_shape is not None:
        assert tuple(first.shape) == tuple(expected_shape), (
            f"output shape {tuple(first.shape)} != expected {tuple(expected_shape)}"
        )
    for t in _all_tensors(out):
        if t.is_floating_point():
            assert torch.isfinite(t).all(), "output has non-finite values"
    loss = (
        loss_fn(out)
        if loss_fn is not None
        else sum(
            (t.float().square().mean() for t in _all_tensors(out) if t.is_floating_point()),
            torch.zeros(()),
        )
    )
    model.zero_grad(set_to_none=True)
    loss.backward()
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    with_grad = 0
    for n, p in params:
        if p.grad is not None:
            assert torch.isfinite(p.grad).all(), f"non-finite gradient for {n}"
            with_grad += bool(p.grad.abs().sum() > 0)
    if params:
        frac = with_grad / len(params)
        assert frac >= min_grad_fraction, (
            f"only {with_grad}/{len(params)} parameter tensors received a non-zero gradient"
        )
    model.zero_grad(set_to_none=True)
    model.eval()
    with torch.no_grad():
        a, b = _all_tensors(run()), _all_tensors(run())
    for ta, tb in zip(a, b, strict=True):
        assert torch.equal(ta, tb), "model is not deterministic under a fixed seed in eval mode"
    return out
