"""Spiking building blocks shared by the vision backbones.

Every stateless layer (convolution, BatchNorm, pooling) runs on the time-folded view
``[T*B, ...]`` of a time-major tensor ``[T, B, ...]``; neurons run over time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from spike_core import LIF, direct_encode
from spike_core._validation import check_finite, check_floating, check_tensor

__all__ = [
    "BNAndPad",
    "RepConv",
    "as_time_major_image",
    "check_image_size",
    "spiking_neuron",
]


def spiking_neuron(*, v_threshold: float = 1.0, backend: str = "auto") -> LIF:
    """The multi-step LIF used by Spikformer, Spike-driven Transformer and Meta-SpikeFormer.

    SpikingJelly ``MultiStepLIFNode`` defaults: ``tau = 2``, hard reset to 0, input decay
    (``H = V + (X - V) / tau``), detached reset, sigmoid surrogate with ``alpha = 4``.

    Args:
        v_threshold: firing threshold (1.0, or 0.5 for the attention neurons).
        backend: multi-step kernel backend of spike-core (``"auto"`` by default).

    Returns:
        A :class:`spike_core.LIF` taking ``[T, B, ...]``.

    Shapes:
        input ``[T, B, ...]`` membrane currents, output spikes of the same shape.
    """
    return LIF(
        tau_mem=2.0,
        v_threshold=v_threshold,
        v_reset=0.0,
        reset="hard",
        decay_input=True,
        detach_reset=True,
        surrogate="sigmoid",
        surrogate_kwargs={"alpha": 4.0},
        backend=backend,
    )


def as_time_major_image(
    x: torch.Tensor, *, time_steps: int, in_channels: int, name: str = "x"
) -> torch.Tensor:
    """Validate an image batch and return it time-major.

    A ``[B, C, H, W]`` image is direct-encoded (repeated ``time_steps`` times); a
    ``[T, B, C, H, W]`` tensor is returned unchanged.

    Args:
        x: image ``[B, C, H, W]`` or time-major frames ``[T, B, C, H, W]``.
        time_steps: number of repeats for a 4-D input.
        in_channels: expected channel count ``C``.
        name: argument name used in error messages.

    Returns:
        ``[T, B, C, H, W]``.

    Raises:
        TypeError: for a non-floating tensor.
        ValueError: for a wrong rank, channel count or non-finite values.
    """
    check_tensor(x, name)
    check_floating(x, name)
    if x.dim() == 4:
        x = direct_encode(x, time_steps)
    if x.dim() != 5:
        raise ValueError(
            f"{name} must be [T, B, C, H, W] (or [B, C, H, W]), got shape {tuple(x.shape)}"
        )
    if x.shape[2] != in_channels:
        raise ValueError(f"{name} must have {in_channels} channels, got shape {tuple(x.shape)}")
    check_finite(x, name)
    return x


def check_image_size(x_seq: torch.Tensor, stride: int, name: str = "x") -> None:
    """Raise ``ValueError`` unless the spatial size of ``x_seq`` is a multiple of ``stride``.

    Args:
        x_seq: ``[T, B, C, H, W]``.
        stride: the model's total down-sampling factor (its effective patch size).
        name: argument name used in the message.
    """
    h, w = x_seq.shape[-2:]
    if h % stride or w % stride:
        raise ValueError(
            f"{name} has spatial size {h}x{w}, which is not a multiple of the patch size {stride}"
        )


class BNAndPad(nn.Module):
    """BatchNorm followed by padding with the BatchNorm of zero (RepVGG/Meta-SpikeFormer).

    The border value is ``beta - mean * gamma / sqrt(var + eps)`` from the running statistics
    (also in training mode, as in the reference code), so ``Conv1x1 -> BNAndPad -> Conv3x3``
    (no padding) equals a single zero-padded 3x3 convolution.

    Args:
        channels: number of channels.
        pad: pixels added on every side.
        eps: BatchNorm epsilon.

    Shapes:
        input ``[N, C, H, W]``, output ``[N, C, H + 2 pad, W + 2 pad]``.
    """

    def __init__(self, *, channels: int, pad: int = 1, eps: float = 1e-5) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=eps)
        self.pad = pad

    def border_value(self) -> torch.Tensor:
        """Per-channel value of the BatchNorm applied to zero, ``[C]``."""
        bn = self.bn
        assert bn.running_mean is not None
        assert bn.running_var is not None
        return bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize and pad; ``[N, C, H, W] -> [N, C, H + 2p, W + 2p]``."""
        out = self.bn(x)
        if self.pad == 0:
            return out
        pv = self.border_value().view(1, -1, 1, 1)
        return F.pad(out - pv, [self.pad] * 4) + pv


class RepConv(nn.Module):
    """Re-parameterizable convolution: ``1x1 -> BNAndPad -> depthwise 3x3 -> 1x1 -> BN``.

    In eval mode the chain equals one zero-padded 3x3 convolution with bias
    (:meth:`fuse`), so after fusion its input is consumed by a single convolution.

    Args:
        in_channels: input channels.
        out_channels: output channels.

    Shapes:
        input ``[N, C_in, H, W]``, output ``[N, C_out, H, W]`` (N is the folded ``T*B``).
    """

    def __init__(self, *, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1x1 = nn.Conv2d(in_channels, in_channels, 1, bias=False)
        self.bn_pad = BNAndPad(channels=in_channels)
        self.dw = nn.Conv2d(in_channels, in_channels, 3, groups=in_channels, bias=False)
        self.pw = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, C_in, H, W] -> [N, C_out, H, W]``."""
        return self.bn(self.pw(self.dw(self.bn_pad(self.conv1x1(x)))))

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        """The equivalent zero-padded 3x3 convolution (uses running BatchNorm statistics).

        Returns:
            ``nn.Conv2d(C_in, C_out, 3, padding=1, bias=True)`` equal to this module in eval mode.
        """
        bn1, bn2 = self.bn_pad.bn, self.bn
        assert bn1.running_var is not None
        assert bn2.running_var is not None
        s1 = bn1.weight / torch.sqrt(bn1.running_var + bn1.eps)
        t1 = self.bn_pad.border_value()
        s2 = bn2.weight / torch.sqrt(bn2.running_var + bn2.eps)
        assert bn2.running_mean is not None
        t2 = bn2.bias - bn2.running_mean * s2
        a = self.conv1x1.weight[:, :, 0, 0] * s1[:, None]  # [C, C_in]
        d = self.dw.weight[:, 0]  # [C, 3, 3]
        p = self.pw.weight[:, :, 0, 0]  # [C_out, C]
        kernel = torch.einsum("oc,cuv,ci->oiuv", p, d, a) * s2[:, None, None, None]
        bias = (p @ (d.sum((1, 2)) * t1)) * s2 + t2
        conv = nn.Conv2d(a.shape[1], p.shape[0], 3, padding=1, bias=True)
        conv.weight.copy_(kernel)
        assert conv.bias is not None
        conv.bias.copy_(bias)
        return conv.to(self.pw.weight)
