"""Surrogate gradients: an exact Heaviside forward with a smooth derivative in backward.

Every surrogate ``g`` acts on ``x = v - v_threshold``. Forward is ``H(x) = 1[x >= 0]``; backward
replaces ``dH/dx`` by ``g'(x)``:

============== ===================================================== ============ =========
name           g'(x)                                                 parameter    default
============== ===================================================== ============ =========
``atan``       ``alpha / 2 / (1 + (pi/2 * alpha * x)^2)``             ``alpha``    2.0
``sigmoid``    ``alpha * sig(alpha x) * (1 - sig(alpha x))``          ``alpha``    4.0
``fast-sigmoid`` ``1 / (1 + alpha |x|)^2`` (SuperSpike)               ``alpha``    25.0
``triangle``   ``max(0, 1 - |x| / width) / width``                    ``width``    1.0
``rectangular`` ``1[|x| < width / 2] / width``                        ``width``    1.0
``erf``        ``alpha / sqrt(pi) * exp(-(alpha x)^2)``               ``alpha``    2.0
============== ===================================================== ============ =========

``atan``, ``sigmoid`` and ``erf`` match SpikingJelly's ``ATan``, ``Sigmoid`` and ``Erf``;
``fast-sigmoid`` matches snnTorch's ``fast_sigmoid(slope=alpha)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

__all__ = ["Surrogate", "get_surrogate", "list_surrogates", "spike_fn"]

_Grad = Callable[[torch.Tensor, float], torch.Tensor]


def _atan(x: torch.Tensor, a: float) -> torch.Tensor:
    return (a / 2) / (1 + (math.pi / 2 * a * x).square())


def _sigmoid(x: torch.Tensor, a: float) -> torch.Tensor:
    s = torch.sigmoid(a * x)
    return a * s * (1 - s)


def _fast_sigmoid(x: torch.Tensor, a: float) -> torch.Tensor:
    return 1 / (1 + a * x.abs()).square()


def _triangle(x: torch.Tensor, w: float) -> torch.Tensor:
    return (1 - x.abs() / w).clamp_min(0) / w


def _rectangular(x: torch.Tensor, w: float) -> torch.Tensor:
    return (x.abs() < w / 2).to(x.dtype) / w


def _erf(x: torch.Tensor, a: float) -> torch.Tensor:
    return a / math.sqrt(math.pi) * torch.exp(-(a * x).square())


_TABLE: dict[str, tuple[_Grad, str, float]] = {
    "atan": (_atan, "alpha", 2.0),
    "sigmoid": (_sigmoid, "alpha", 4.0),
    "fast-sigmoid": (_fast_sigmoid, "alpha", 25.0),
    "triangle": (_triangle, "width", 1.0),
    "rectangular": (_rectangular, "width", 1.0),
    "erf": (_erf, "alpha", 2.0),
}
_ALIASES = {"superspike": "fast-sigmoid", "fast_sigmoid": "fast-sigmoid", "rect": "rectangular"}


class _SpikeFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, grad_fn: _Grad, param: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.grad_fn = grad_fn
        ctx.param = param
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad_out * ctx.grad_fn(x, ctx.param), None, None


@dataclass(frozen=True)
class Surrogate:
    """A named surrogate gradient; calling it applies the spike function.

    Args:
        name: canonical surrogate name (see :func:`list_surrogates`).
        param: the width or slope parameter.

    Shapes:
        ``x``: any shape; output has the same shape and dtype, values in ``{0, 1}``.

    Examples:
        >>> sg = get_surrogate("atan", alpha=2.0)
        >>> sg(torch.tensor([-0.5, 0.0, 0.3]))
        tensor([0., 1., 1.])
    """

    name: str
    param: float
    grad: _Grad = field(repr=False, compare=False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Heaviside of ``x`` with this surrogate's derivative in backward."""
        return _SpikeFunction.apply(x, self.grad, self.param)

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """The surrogate derivative ``g'(x)`` used in backward (same shape as ``x``)."""
        return self.grad(x, self.param)


def list_surrogates() -> list[str]:
    """Names accepted by :func:`get_surrogate`, sorted."""
    return sorted(_TABLE)


def get_surrogate(name: str | Surrogate = "atan", **kwargs: float) -> Surrogate:
    """Build a surrogate gradient by name.

    Args:
        name: one of :func:`list_surrogates` (or a :class:`Surrogate`, returned unchanged).
        **kwargs: the surrogate's single parameter, ``alpha`` or ``width``.

    Returns:
        The :class:`Surrogate`.

    Raises:
        ValueError: for an unknown name, an unknown keyword, or a non-positive parameter.
    """
    if isinstance(name, Surrogate):
        if kwargs:
            raise ValueError("surrogate parameters cannot be given with a Surrogate instance")
        return name
    if not isinstance(name, str):
        raise TypeError(f"surrogate must be a name or a Surrogate, got {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _TABLE:
        raise ValueError(f"unknown surrogate {name!r}; expected one of {list_surrogates()}")
    fn, pname, default = _TABLE[key]
    unknown = set(kwargs) - {pname}
    if unknown:
        raise ValueError(f"surrogate {key!r} takes only {pname!r}, got {sorted(unknown)}")
    value = float(kwargs.get(pname, default))
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"surrogate {key!r}: {pname} must be positive, got {value}")
    return Surrogate(key, value, fn)


def spike_fn(x: torch.Tensor, surrogate: Surrogate | str = "atan") -> torch.Tensor:
    """Heaviside ``1[x >= 0]`` with a surrogate derivative; ``x`` is ``v - v_threshold``."""
    return get_surrogate(surrogate)(x)
