"""The clamp-floor-shift activation quantizer of QCNN / QRNN networks.

With step ``s > 0`` and integer bounds ``S_min <= 0 < S_max``::

    Q(x) = s * clamp(floor(x / s + 1/2), S_min, S_max)

Unsigned (ReLU replacement): ``S_min = 0, S_max = L``; the output takes the ``L + 1`` values
``{0, s, ..., L s}``. Signed: ``S_min = -L_neg``. ``floor(. + 1/2)`` is round-half-*up*
(``x / s = 0.5 -> 1``, ``-0.5 -> 0``), the tie rule the BIF neuron reproduces.

Training uses a straight-through estimator for the floor; the clamp passes gradient to ``x`` only
inside ``[S_min, S_max]`` (in level space) and the gradient reaching ``s`` is LSQ's
(``floor(x/s + 1/2) - x/s`` inside, the bound outside), scaled by ``1 / sqrt(S_max * numel(x))``.

Throughout this package ``L`` (``levels``) is the number of *positive* integer steps, ``S_max``.
SpikeZIP-TF's ``level`` counts levels; :func:`levels_from_level_count` converts.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spike_core._validation import check_finite, check_floating, check_positive, check_tensor

__all__ = [
    "QuantAct",
    "level_count_from_levels",
    "levels_from_level_count",
    "quantize",
    "quantize_levels",
]


def _check_bounds(s_min: int, s_max: int) -> None:
    if not isinstance(s_max, int) or isinstance(s_max, bool) or s_max < 1:
        raise ValueError(f"s_max must be an int >= 1, got {s_max!r}")
    if not isinstance(s_min, int) or isinstance(s_min, bool) or s_min > 0:
        raise ValueError(f"s_min must be an int <= 0, got {s_min!r}")


def _floor_ste(u: torch.Tensor) -> torch.Tensor:
    """``floor(u)`` forward, identity backward."""
    return u + (torch.floor(u) - u).detach()


def _scale_grad(t: torch.Tensor, scale: float) -> torch.Tensor:
    """``t`` forward, gradient multiplied by ``scale`` backward."""
    scaled = t * scale
    return t.detach() + (scaled - scaled.detach())


def quantize_levels(
    x: torch.Tensor, step: torch.Tensor | float, s_min: int, s_max: int
) -> torch.Tensor:
    """Integer level ``clamp(floor(x / step + 1/2), s_min, s_max)`` (no gradient tricks).

    Args:
        x: pre-activation, any shape.
        step: quantization step ``s > 0`` (a float or a 0-d tensor).
        s_min: lower integer bound (``<= 0``).
        s_max: upper integer bound (``>= 1``).

    Returns:
        The integer level in ``x``'s dtype, same shape.

    Shapes:
        Any shape; layout-agnostic (works on ``[B, ...]`` and time-major ``[T, B, ...]``).

    Examples:
        >>> quantize_levels(torch.tensor([0.24, 0.25, 9.0]), 0.5, 0, 4).tolist()
        [0.0, 1.0, 4.0]
    """
    _check_bounds(s_min, s_max)
    return torch.clamp(torch.floor(x / step + 0.5), s_min, s_max)


def quantize(
    x: torch.Tensor, step: torch.Tensor | float, s_min: int = 0, s_max: int = 8
) -> torch.Tensor:
    """The quantizer ``Q(x) = step * clamp(floor(x / step + 1/2), s_min, s_max)``.

    Forward values are computed exactly as ``level * step``; the backward pass is the
    straight-through/LSQ estimator of the module docstring (without LSQ's gradient scale, which
    :class:`QuantAct` applies).

    Args:
        x: pre-activation, any shape, floating point.
        step: step ``s > 0`` (float or 0-d tensor, possibly a parameter).
        s_min: lower integer bound (``0`` for the ReLU replacement).
        s_max: upper integer bound ``L``.

    Returns:
        ``Q(x)``, same shape and dtype as ``x``.

    Shapes:
        Any shape.

    Examples:
        >>> quantize(torch.tensor([-1.0, 0.24, 0.25, 0.74, 0.75, 1.9, 5.0]), 0.5, 0, 4).tolist()
        [0.0, 0.0, 0.5, 0.5, 1.0, 2.0, 2.0]
    """
    check_floating(x, "x")
    _check_bounds(s_min, s_max)
    if isinstance(step, torch.Tensor):
        check_positive(step.detach(), "step")
    else:
        check_positive(step, "step")
    u = x / step + 0.5
    floor_u = torch.floor(u.detach())
    inside = (floor_u >= s_min) & (floor_u <= s_max)
    level = torch.where(inside, _floor_ste(u), torch.clamp(floor_u, s_min, s_max))
    return level * step


def levels_from_level_count(level_count: int, *, signed: bool = False) -> tuple[int, int]:
    """``(S_min, S_max)`` from SpikeZIP-TF's ``level`` (number of quantization levels).

    Unsigned: ``[0, level - 1]``. Signed: ``[-level // 2, level // 2 - 1]``.

    Args:
        level_count: number of levels (``>= 2``).
        signed: SpikeZIP-TF's signed mode.

    Returns:
        ``(s_min, s_max)`` in this package's convention (``L = s_max``).

    Examples:
        >>> levels_from_level_count(16)
        (0, 15)
        >>> levels_from_level_count(16, signed=True)
        (-8, 7)
    """
    if not isinstance(level_count, int) or level_count < 2:
        raise ValueError(f"level_count must be an int >= 2, got {level_count!r}")
    if signed:
        if level_count < 4:
            raise ValueError(f"signed mode needs level_count >= 4, got {level_count}")
        return -(level_count // 2), level_count // 2 - 1
    return 0, level_count - 1


def level_count_from_levels(s_min: int, s_max: int) -> int:
    """Number of distinct output values of a quantizer with bounds ``[s_min, s_max]``.

    Args:
        s_min: lower bound (``<= 0``).
        s_max: upper bound ``L`` (``>= 1``).

    Returns:
        ``s_max - s_min + 1``.
    """
    _check_bounds(s_min, s_max)
    return s_max - s_min + 1


class QuantAct(nn.Module):
    """Learnable-step activation quantizer (QCNN / QRNN activation; ReLU replacement by default).

    Args:
        levels: ``L = S_max``, the number of positive integer steps.
        neg_levels: ``-S_min``; ``0`` (default) is the unsigned ReLU replacement.
        step: initial step; ``None`` initialises it LSQ-style on the first forward pass
            (``s = 2 mean(|x|) / sqrt(S_max)``).
        lsq_grad_scale: scale the gradient reaching the step by ``1 / sqrt(S_max * numel(x))``.

    Shapes:
        Any input shape (``[B, ...]`` or time-major ``[T, B, ...]``); output the same shape.

    Examples:
        >>> q = QuantAct(levels=4, step=0.5)
        >>> q(torch.tensor([0.3, 0.8, 9.0])).tolist()
        [0.5, 1.0, 2.0]
    """

    initialized: torch.Tensor

    def __init__(
        self,
        *,
        levels: int = 8,
        neg_levels: int = 0,
        step: float | None = None,
        lsq_grad_scale: bool = True,
    ) -> None:
        super().__init__()
        _check_bounds(-neg_levels if isinstance(neg_levels, int) else neg_levels, levels)
        self.levels = int(levels)
        self.neg_levels = int(neg_levels)
        self.lsq_grad_scale = bool(lsq_grad_scale)
        init = 1.0 if step is None else float(step)
        check_positive(init, "step")
        self.step = nn.Parameter(torch.tensor(init))
        self.register_buffer("initialized", torch.tensor(step is not None))

    @property
    def s_min(self) -> int:
        """Lower integer bound ``-neg_levels``."""
        return -self.neg_levels

    @property
    def s_max(self) -> int:
        """Upper integer bound ``L``."""
        return self.levels

    @torch.no_grad()
    def init_step(self, x: torch.Tensor, *, percentile: float | None = None) -> None:
        """Initialise the step from a batch ``x`` (any shape).

        Args:
            x: pre-activations.
            percentile: ``None`` for LSQ's ``s = 2 mean(|x|) / sqrt(S_max)``; a value in
                ``(0, 100]`` for ``s = percentile(|x| over non-zero entries) / S_max`` (a
                QCFS-like clip value, better for recurrent layers).
        """
        check_tensor(x, "x")
        if percentile is None:
            value = 2.0 * float(x.detach().abs().mean()) / math.sqrt(self.s_max)
        else:
            if not 0.0 < float(percentile) <= 100.0:
                raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
            mag = x.detach().abs().flatten().float()
            mag = mag[mag > 0][: 2**24]
            clip = float(torch.quantile(mag, percentile / 100.0)) if mag.numel() else 0.0
            value = clip / self.s_max
        if not math.isfinite(value) or value <= 0.0:
            value = 1.0 / self.s_max
        self.step.fill_(value)
        self.initialized.fill_(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Quantize ``x``.

        Args:
            x: pre-activation, floating point, any shape.

        Returns:
            ``Q(x)`` with the current step.
        """
        check_floating(x, "x")
        check_finite(x, "x")
        if not bool(self.initialized):
            self.init_step(x)
        step: torch.Tensor = self.step
        if self.lsq_grad_scale and self.training:
            step = _scale_grad(step, 1.0 / math.sqrt(self.s_max * max(x.numel(), 1)))
        return quantize(x, step.to(x.dtype), self.s_min, self.s_max)

    def extra_repr(self) -> str:
        """Constructor arguments shown by ``print(module)``."""
        return f"levels={self.levels}, neg_levels={self.neg_levels}, step={float(self.step.detach()):.6g}"
