"""Learned step-size quantization (LSQ, Esser et al., ICLR 2020) for weights.

With step ``s``, range ``[-Q_N, Q_P]`` and straight-through rounding::

    v_bar = round(clip(v / s, -Q_N, Q_P))          # integer code
    v_hat = v_bar * s                              # fake-quantized value
    s_eff = s * g + stopgrad(s - s * g),  g = 1 / sqrt(numel(W) * Q_P)

Signed ``b``-bit: ``Q_N = 2^(b-1)``, ``Q_P = 2^(b-1) - 1``; unsigned: ``Q_N = 0``, ``Q_P = 2^b - 1``.
Gradients (autograd through the formulas above): ``d v_hat / d v = 1`` inside the range, 0 outside;
``d v_hat / d s = round(v/s) - v/s`` inside, ``-Q_N`` / ``Q_P`` at the clipped ends, scaled by ``g``.
Initialisation ``s = 2 mean(|W|) / sqrt(Q_P)`` over the whole tensor (every channel the same).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spike_core._validation import check_tensor

__all__ = ["LSQQuantizer", "lsq_fake_quantize", "lsq_range", "round_ste"]


def lsq_range(bits: int, signed: bool) -> tuple[int, int]:
    """Integer range ``(Q_N, Q_P)`` of a ``bits``-bit code; the codes are ``[-Q_N, Q_P]``.

    Args:
        bits: bit width in ``[1, 16]``.
        signed: two's-complement range when True, ``[0, 2^b - 1]`` otherwise.

    Returns:
        ``(Q_N, Q_P)`` as non-negative ints. A signed 1-bit code is ``{-1, 0}`` (``Q_P = 0`` is
        not usable, so signed codes need ``bits >= 2``).

    Raises:
        ValueError: if ``bits`` is not an int in range.

    Examples:
        >>> lsq_range(4, True), lsq_range(4, False)
        ((8, 7), (0, 15))
    """
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"bits must be an int in [1, 16], got {bits!r}")
    if signed:
        if bits < 2:
            raise ValueError(f"bits must be >= 2 for a signed quantizer, got {bits}")
        return 2 ** (bits - 1), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        del ctx
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        del ctx
        return grad


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """``round(x)`` (half to even) with an identity (straight-through) gradient.

    Shapes:
        any; output like ``x``.
    """
    return _RoundSTE.apply(x)


def lsq_fake_quantize(
    v: torch.Tensor, step: torch.Tensor, q_n: int, q_p: int, grad_scale: float
) -> torch.Tensor:
    """Fake-quantize ``v`` with LSQ step ``step`` (see the module docstring).

    Args:
        v: values to quantize (e.g. a weight ``[C_out, ...]``).
        step: step size broadcastable to ``v`` (``[]`` per tensor or ``[C_out, 1, ...]``).
        q_n: ``Q_N`` (the code range starts at ``-Q_N``).
        q_p: ``Q_P``.
        grad_scale: ``g``, the step-size gradient scale.

    Returns:
        ``v_hat = s * round(clip(v / s, -Q_N, Q_P))`` shaped like ``v``.
    """
    if torch.is_grad_enabled() and step.requires_grad:
        s = step * grad_scale + (step - step * grad_scale).detach()
    else:  # no gradient wanted: use the step itself (bit-exact codes times steps)
        s = step
    return round_ste(torch.clamp(v / s, -q_n, q_p)) * s


class LSQQuantizer(nn.Module):
    """Learnable step-size weight quantizer, per tensor or per output channel.

    Args:
        bits: bit width in ``[1, 16]``.
        signed: signed (weights) or unsigned (post-ReLU activations) code range.
        per_channel: one step size per slice along ``channel_axis`` (QSD's "kernel-wise").
        channel_axis: the output-channel axis of the tensor being quantized.
        num_channels: number of channels (needed when ``per_channel``).
        init_from: optional tensor to initialise the step from (``2 mean|v| / sqrt(Q_P)``).

    Shapes:
        ``forward(v)``: any tensor with ``num_channels`` entries on ``channel_axis``; output like
        ``v``.

    Examples:
        >>> w = torch.randn(3, 5)
        >>> q = LSQQuantizer(bits=4, per_channel=True, num_channels=3, init_from=w)
        >>> codes = q.integer_codes(w)
        >>> bool(codes.min() >= -8) and bool(codes.max() <= 7)
        True
    """

    init_state: torch.Tensor

    def __init__(
        self,
        *,
        bits: int = 4,
        signed: bool = True,
        per_channel: bool = True,
        channel_axis: int = 0,
        num_channels: int = 1,
        init_from: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.q_n, self.q_p = lsq_range(bits, signed)
        self.bits, self.signed, self.per_channel = bits, bool(signed), bool(per_channel)
        self.channel_axis = int(channel_axis)
        if per_channel and (not isinstance(num_channels, int) or num_channels < 1):
            raise ValueError(f"num_channels must be a positive int, got {num_channels!r}")
        n = num_channels if per_channel else 1
        self.min_step = 1e-8
        self.step = nn.Parameter(torch.ones(n))
        self.register_buffer("init_state", torch.zeros((), dtype=torch.uint8))
        if init_from is not None:
            self.initialize(init_from)

    @torch.no_grad()
    def initialize(self, v: torch.Tensor) -> None:
        """Set every step to ``2 mean(|v|) / sqrt(Q_P)`` (whole tensor), as LSQ and QSD do.

        Args:
            v: the tensor that will be quantized (``[C_out, ...]``).
        """
        check_tensor(v, "v")
        if v.device.type == "meta" or self.step.device.type == "meta":
            return
        value = 2.0 * v.detach().abs().mean() / math.sqrt(max(self.q_p, 1))
        if not bool(value > 0):
            value = torch.tensor(1e-8)  # an all-zero tensor: any positive step quantizes it to 0
        self.step.fill_(float(value))

    def _shaped_step(self, v: torch.Tensor) -> torch.Tensor:
        if not self.per_channel:
            return self.step.reshape(())
        axis = self.channel_axis % v.dim()
        if v.shape[axis] != self.step.numel():
            raise ValueError(
                f"v has {v.shape[axis]} channels on axis {axis}, quantizer has {self.step.numel()}"
            )
        shape = [1] * v.dim()
        shape[axis] = -1
        return self.step.view(shape)

    def check_step(self) -> None:
        """Raise ``ValueError`` if any step size is <= 0 or not finite."""
        s = self.step.detach()
        if s.device.type != "meta" and not bool(((s > 0) & torch.isfinite(s)).all()):
            raise ValueError(f"step sizes must be positive and finite, got min {float(s.min())}")

    def grad_scale(self, v: torch.Tensor) -> float:
        """``g = 1 / sqrt(numel(v) * Q_P)`` (whole-tensor count even when per channel)."""
        return 1.0 / math.sqrt(v.numel() * max(self.q_p, 1))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Fake-quantize ``v``; the first call in training mode re-initialises the steps.

        In training mode a step pushed to ``<= 0`` by the optimizer is projected back to
        ``min_step`` (in place); in eval mode a non-positive step raises ``ValueError``.
        """
        if self.training and not bool(self.init_state):
            self.initialize(v)
            self.init_state.fill_(1)
        if self.training and self.step.device.type != "meta":
            with torch.no_grad():
                self.step.clamp_(min=self.min_step)
        self.check_step()
        return lsq_fake_quantize(v, self._shaped_step(v), self.q_n, self.q_p, self.grad_scale(v))

    @torch.no_grad()
    def integer_codes(self, v: torch.Tensor) -> torch.Tensor:
        """Integer codes ``round(clip(v / s, -Q_N, Q_P))`` as ``int32`` (``v``'s shape).

        The quotient is taken in float64 whatever the dtype of ``v``: these are the codes of the
        float64 fake-quantized forward, which the integer export equals bit for bit. (A float32
        quotient can round a weight lying within float32 rounding of a ``k + 1/2`` boundary to
        the other side, about one weight in ten million.)
        """
        self.check_step()
        step = self._shaped_step(v).to(torch.float64)
        codes = torch.round(torch.clamp(v.to(torch.float64) / step, -self.q_n, self.q_p))
        return codes.to(torch.int32)

    def extra_repr(self) -> str:
        """Summary shown in the module repr."""
        return f"bits={self.bits}, signed={self.signed}, per_channel={self.per_channel}"
