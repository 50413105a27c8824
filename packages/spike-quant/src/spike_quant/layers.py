"""Drop-in LSQ-quantized layers: ``QLinear``, ``QConv1d``, ``QConv2d``, ``QConv3d``.

Each layer is its torch parent with the kernel replaced at forward time by its LSQ fake-quantized
value ``W_q = alpha * round(clip(W / alpha, Q_N, Q_P))`` (per output channel by default). Biases stay
float. ``act_params=True`` adds QSD's unused activation-quantizer parameters (:class:`ActLSQ`: a step
and a zero point per input channel, identity in the forward) so parameter counts match the
QSD-Transformer code.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from spike_quant.lsq import LSQQuantizer

__all__ = ["ActLSQ", "QConv1d", "QConv2d", "QConv3d", "QLinear", "QuantizedLayer"]


class ActLSQ(nn.Module):
    """QSD's activation quantizer placeholder: allocates parameters, returns its input unchanged.

    Args:
        num_channels: input channels (one step and one zero point each).

    Shapes:
        any input; output is the input.
    """

    def __init__(self, *, num_channels: int) -> None:
        super().__init__()
        self.step = nn.Parameter(torch.ones(num_channels))
        self.zero_point = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Identity."""
        return x


class QuantizedLayer(nn.Module):
    """Mixin of every quantized layer: the weight quantizer and integer views of the kernel.

    Attributes:
        weight_quant: the :class:`~spike_quant.LSQQuantizer` of the kernel.
        act_quant: an :class:`ActLSQ` or ``None``.
    """

    weight: torch.Tensor
    weight_quant: LSQQuantizer
    act_quant: ActLSQ | None

    def _setup_quant(
        self, *, w_bits: int, per_channel: bool, act_params: bool, in_channels: int
    ) -> None:
        self.weight_quant = LSQQuantizer(
            bits=w_bits,
            signed=True,
            per_channel=per_channel,
            channel_axis=0,
            num_channels=self.weight.shape[0],
            init_from=self.weight,
        )
        self.act_quant = ActLSQ(num_channels=in_channels) if act_params else None

    @property
    def w_bits(self) -> int:
        """Weight bit width."""
        return self.weight_quant.bits

    def quantized_weight(self) -> torch.Tensor:
        """The fake-quantized kernel ``W_q`` (float, carries LSQ gradients)."""
        return self.weight_quant(self.weight)

    @torch.no_grad()
    def integer_weight(self) -> torch.Tensor:
        """Integer kernel codes (``int32``, the weight's shape)."""
        return self.weight_quant.integer_codes(self.weight)

    @torch.no_grad()
    def weight_scale(self) -> torch.Tensor:
        """Step size per output channel, ``[C_out]`` (a per-tensor step is repeated)."""
        s = self.weight_quant.step.detach()
        return s.expand(self.weight.shape[0]).clone() if s.numel() == 1 else s.clone()

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return self.act_quant(x) if self.act_quant is not None else x


class QLinear(nn.Linear, QuantizedLayer):
    """``nn.Linear`` with an LSQ-quantized weight.

    Args:
        in_features: input features.
        out_features: output features.
        bias: add a float bias.
        w_bits: weight bits in ``[2, 16]`` (signed).
        per_channel: one step size per output feature (default) or one per tensor.
        act_params: add QSD's dead activation-quantizer parameters.
        device: parameter device.
        dtype: parameter dtype.

    Shapes:
        input ``[..., in_features]`` (e.g. ``[T, B, C]``), output ``[..., out_features]``.

    Examples:
        >>> layer = QLinear(in_features=4, out_features=3, w_bits=4)
        >>> layer(torch.zeros(2, 5, 4)).shape
        torch.Size([2, 5, 3])
    """

    def __init__(
        self,
        *,
        in_features: int,
        out_features: int,
        bias: bool = True,
        w_bits: int = 4,
        per_channel: bool = True,
        act_params: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self._setup_quant(
            w_bits=w_bits, per_channel=per_channel, act_params=act_params, in_channels=in_features
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ W_q.T + b``."""
        return F.linear(self._act(x), self.quantized_weight(), self.bias)


class _QConvNd(QuantizedLayer):
    _conv_forward: Any

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolution with the fake-quantized kernel."""
        return self._conv_forward(self._act(x), self.quantized_weight(), self.bias)


class QConv1d(_QConvNd, nn.Conv1d):
    """``nn.Conv1d`` with an LSQ-quantized kernel (arguments as ``nn.Conv1d``, keyword-only).

    Args:
        w_bits: weight bits (signed).
        per_channel: one step per output channel.
        act_params: add QSD's dead activation-quantizer parameters.
        **kwargs: ``nn.Conv1d`` arguments (``in_channels``, ``out_channels``, ``kernel_size``,
            ``stride``, ``padding``, ``dilation``, ``groups``, ``bias``, ...).

    Shapes:
        input ``[N, C_in, L]``, output ``[N, C_out, L']`` (wrap in ``SeqToBatch`` for ``[T, B, ...]``).
    """

    def __init__(
        self, *, w_bits: int = 4, per_channel: bool = True, act_params: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._setup_quant(
            w_bits=w_bits,
            per_channel=per_channel,
            act_params=act_params,
            in_channels=kwargs["in_channels"],
        )


class QConv2d(_QConvNd, nn.Conv2d):
    """``nn.Conv2d`` with an LSQ-quantized kernel (arguments as ``nn.Conv2d``, keyword-only).

    Args:
        w_bits: weight bits (signed).
        per_channel: one step per output channel.
        act_params: add QSD's dead activation-quantizer parameters.
        **kwargs: ``nn.Conv2d`` arguments.

    Shapes:
        input ``[N, C_in, H, W]``, output ``[N, C_out, H', W']``.

    Examples:
        >>> conv = QConv2d(in_channels=2, out_channels=4, kernel_size=3, padding=1)
        >>> conv(torch.zeros(1, 2, 5, 5)).shape
        torch.Size([1, 4, 5, 5])
    """

    def __init__(
        self, *, w_bits: int = 4, per_channel: bool = True, act_params: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._setup_quant(
            w_bits=w_bits,
            per_channel=per_channel,
            act_params=act_params,
            in_channels=kwargs["in_channels"],
        )


class QConv3d(_QConvNd, nn.Conv3d):
    """``nn.Conv3d`` with an LSQ-quantized kernel (arguments as ``nn.Conv3d``, keyword-only).

    Args:
        w_bits: weight bits (signed).
        per_channel: one step per output channel.
        act_params: add QSD's dead activation-quantizer parameters.
        **kwargs: ``nn.Conv3d`` arguments.

    Shapes:
        input ``[N, C_in, D, H, W]``, output ``[N, C_out, D', H', W']``.
    """

    def __init__(
        self, *, w_bits: int = 4, per_channel: bool = True, act_params: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._setup_quant(
            w_bits=w_bits,
            per_channel=per_channel,
            act_params=act_params,
            in_channels=kwargs["in_channels"],
        )
