"""Meta-SpikeFormer / Spike-driven Transformer V2 (Yao et al., ICLR 2024).

Four stages (widths ``C0..C3``): two conv-based stages (``SepConv`` + channel conv blocks) and
two transformer stages, all with membrane shortcuts: every sub-block starts with a LIF and ends
with Conv+BN, and residuals add real-valued membrane potentials. Attention per head
(``sdsa_meta``, the released operator)::

    A = Q (K^T V) * 0.125 ;  O = LIF_{V_th = 0.5}(A)

``attention="sdsa1"`` swaps in the V1 operator ``Q * SN(sum_N(K * V))``.
Feature strides are 2, 4, 8, 16, 16 (stage 4 only changes channels).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from spike_core import SeqToBatch, SpikingModel
from spike_vision.attention import qkv_product, sdsa1
from spike_vision.layers import RepConv, as_time_major_image, check_image_size, spiking_neuron

__all__ = [
    "ChannelMLP",
    "DownSampling",
    "MetaAttention",
    "MetaConvBlock",
    "MetaSpikeFormer",
    "MetaSpikeFormerConfig",
    "MetaTransformerBlock",
    "SepConv",
]

_ATTENTION = ("sdsa_meta", "sdsa1")


@dataclass(frozen=True, kw_only=True)
class MetaSpikeFormerConfig:
    """Configuration of :class:`MetaSpikeFormer`.

    Attributes:
        embed_dims: stage widths ``(C0, C1, C2, C3)``; ``C0`` even, ``C2, C3`` multiples of
            ``num_heads``.
        depths: transformer blocks in stages 3 and 4 (6 and 2 in every released size).
        num_heads: attention heads.
        num_classes: classifier outputs (>= 1).
        in_channels: input channels.
        img_size: side of the example input (any multiple of 16 is accepted).
        time_steps: steps used to direct-encode a 4-D image (reference default 1).
        attention: ``"sdsa_meta"`` (released operator) or ``"sdsa1"``.
        attn_scale: scale of ``Q K^T V`` (0.125).
        kd_head: add the second linear head used for hard distillation.
        backend: spike-core kernel backend of every LIF.
    """

    embed_dims: tuple[int, int, int, int] = (128, 256, 512, 640)
    depths: tuple[int, int] = (6, 2)
    num_heads: int = 8
    num_classes: int = 1000
    in_channels: int = 3
    img_size: int = 224
    time_steps: int = 1
    attention: str = "sdsa_meta"
    attn_scale: float = 0.125
    kd_head: bool = False
    backend: str = "auto"


def _seq(*layers: nn.Module) -> SeqToBatch:
    return SeqToBatch(nn.Sequential(*layers))


class DownSampling(nn.Module):
    """``[LIF ->] Conv(k, s, p, bias) -> BN``; the first one (encoding layer) has no LIF.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: convolution kernel.
        stride: convolution stride.
        padding: convolution padding.
        first: the encoding layer (real-valued input, no neuron).
        backend: LIF backend.

    Shapes:
        ``[T, B, C_in, H, W] -> [T, B, C_out, H', W']`` (membrane).
    """

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 2,
        padding: int = 1,
        first: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.lif = None if first else spiking_neuron(backend=backend)
        self.conv = _seq(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C_in, H, W] -> [T, B, C_out, H', W']``."""
        return self.conv(x if self.lif is None else self.lif(x))


class SepConv(nn.Module):
    """``BN(PW2(DW7x7(LIF(BN(PW1(LIF(U)))))))``, expansion 2, all convs bias-free.

    Args:
        dim: channels ``C``.
        backend: LIF backend.

    Shapes:
        ``[T, B, C, H, W] -> [T, B, C, H, W]``.
    """

    def __init__(self, *, dim: int, backend: str = "auto") -> None:
        super().__init__()
        med = 2 * dim
        self.lif1 = spiking_neuron(backend=backend)
        self.pw1 = _seq(nn.Conv2d(dim, med, 1, bias=False), nn.BatchNorm2d(med))
        self.lif2 = spiking_neuron(backend=backend)
        self.dw_pw2 = _seq(
            nn.Conv2d(med, med, 7, padding=3, groups=med, bias=False),
            nn.Conv2d(med, dim, 1, bias=False),
            nn.BatchNorm2d(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W] -> [T, B, C, H, W]``."""
        return self.dw_pw2(self.lif2(self.pw1(self.lif1(x))))


class MetaConvBlock(nn.Module):
    """Conv-based SNN block: ``U' = U + SepConv(U)``, ``U'' = U' + ChannelConv(U')``.

    ``ChannelConv(U) = BN(Conv3x3_{4C->C}(LIF(BN(Conv3x3_{C->4C}(LIF(U))))))`` (bias-free).

    Args:
        dim: channels ``C``.
        backend: LIF backend.

    Shapes:
        ``[T, B, C, H, W] -> [T, B, C, H, W]``.
    """

    def __init__(self, *, dim: int, backend: str = "auto") -> None:
        super().__init__()
        self.sep = SepConv(dim=dim, backend=backend)
        self.lif1 = spiking_neuron(backend=backend)
        self.conv1 = _seq(
            nn.Conv2d(dim, 4 * dim, 3, padding=1, bias=False), nn.BatchNorm2d(4 * dim)
        )
        self.lif2 = spiking_neuron(backend=backend)
        self.conv2 = _seq(nn.Conv2d(4 * dim, dim, 3, padding=1, bias=False), nn.BatchNorm2d(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W] -> [T, B, C, H, W]``."""
        x = x + self.sep(x)
        return x + self.conv2(self.lif2(self.conv1(self.lif1(x))))


class MetaAttention(nn.Module):
    """Spike-driven self-attention of Meta-SpikeFormer with RepConv projections.

    ``S = LIF(U)``; ``Q, K, V = LIF(BN(RepConv(S)))``; ``O = LIF_{0.5}(Q (K^T V) s)`` (or the
    SDSA-1 operator); output ``BN(RepConv(O))`` (membrane).

    Args:
        dim: channels ``C``.
        num_heads: heads.
        variant: ``"sdsa_meta"`` or ``"sdsa1"``.
        scale: attention scale for ``sdsa_meta``.
        backend: LIF backend.

    Shapes:
        ``[T, B, C, H, W] -> [T, B, C, H, W]``.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int,
        variant: str = "sdsa_meta",
        scale: float = 0.125,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if variant not in _ATTENTION:
            raise ValueError(f"attention must be one of {_ATTENTION}, got {variant!r}")
        self.num_heads = num_heads
        self.variant = variant
        self.scale = scale
        self.head_lif = spiking_neuron(backend=backend)
        self.q = _seq(RepConv(in_channels=dim, out_channels=dim), nn.BatchNorm2d(dim))
        self.k = _seq(RepConv(in_channels=dim, out_channels=dim), nn.BatchNorm2d(dim))
        self.v = _seq(RepConv(in_channels=dim, out_channels=dim), nn.BatchNorm2d(dim))
        self.q_lif = spiking_neuron(backend=backend)
        self.k_lif = spiking_neuron(backend=backend)
        self.v_lif = spiking_neuron(backend=backend)
        self.attn_lif = spiking_neuron(v_threshold=0.5, backend=backend)
        self.proj = _seq(RepConv(in_channels=dim, out_channels=dim), nn.BatchNorm2d(dim))

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        t, b, c, h, w = x.shape
        return x.reshape(t, b, self.num_heads, c // self.num_heads, h * w).transpose(-1, -2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W] -> [T, B, C, H, W]``."""
        s = self.head_lif(x)
        q = self._heads(self.q_lif(self.q(s)))
        k = self._heads(self.k_lif(self.k(s)))
        v = self._heads(self.v_lif(self.v(s)))
        if self.variant == "sdsa1":
            o = sdsa1(q, k, v, self.attn_lif)
        else:
            o = self.attn_lif(qkv_product(q, k, v, scale=self.scale))
        o = o.transpose(-1, -2).reshape(x.shape)
        return self.proj(o)


class ChannelMLP(nn.Module):
    """``BN(Conv1x1_{4C->C}(LIF(BN(Conv1x1_{C->4C}(LIF(U))))))`` (1x1 convs with bias).

    Args:
        dim: channels ``C``.
        hidden: hidden channels.
        backend: LIF backend.

    Shapes:
        ``[T, B, C, H, W] -> [T, B, C, H, W]``.
    """

    def __init__(self, *, dim: int, hidden: int, backend: str = "auto") -> None:
        super().__init__()
        self.lif1 = spiking_neuron(backend=backend)
        self.fc1 = _seq(nn.Conv2d(dim, hidden, 1), nn.BatchNorm2d(hidden))
        self.lif2 = spiking_neuron(backend=backend)
        self.fc2 = _seq(nn.Conv2d(hidden, dim, 1), nn.BatchNorm2d(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W] -> [T, B, C, H, W]``."""
        return self.fc2(self.lif2(self.fc1(self.lif1(x))))


class MetaTransformerBlock(nn.Module):
    """Transformer-based SNN block: ``U' = U + SDSA(U)``, ``U'' = U' + ChannelMLP(U')``.

    Args:
        dim: channels.
        num_heads: heads.
        variant: attention operator.
        scale: attention scale.
        backend: LIF backend.

    Shapes:
        ``[T, B, C, H, W] -> [T, B, C, H, W]``.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int,
        variant: str = "sdsa_meta",
        scale: float = 0.125,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.attn = MetaAttention(
            dim=dim, num_heads=num_heads, variant=variant, scale=scale, backend=backend
        )
        self.mlp = ChannelMLP(dim=dim, hidden=4 * dim, backend=backend)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W] -> [T, B, C, H, W]``."""
        x = x + self.attn(x)
        return x + self.mlp(x)


class MetaSpikeFormer(SpikingModel):
    """Meta-SpikeFormer classifier.

    Args:
        config: a :class:`MetaSpikeFormerConfig`.

    Shapes:
        input ``[T, B, C, H, W]`` (or ``[B, C, H, W]``, direct-encoded over
        ``config.time_steps``), ``H, W`` multiples of 16; ``forward`` returns per-step logits
        ``[T, B, K]`` (the reference averages them over ``T``); ``forward_stages`` returns the
        five membrane maps at strides 2, 4, 8, 16, 16.

    Examples:
        >>> cfg = MetaSpikeFormerConfig(embed_dims=(8, 16, 16, 16), depths=(1, 1), num_classes=4)
        >>> MetaSpikeFormer(cfg)(torch.rand(1, 2, 3, 32, 32)).shape
        torch.Size([1, 2, 4])
    """

    def __init__(self, config: MetaSpikeFormerConfig) -> None:
        super().__init__()
        c = config
        if c.num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {c.num_classes}")
        if len(c.embed_dims) != 4 or c.embed_dims[0] % 2:
            raise ValueError(f"embed_dims must be four widths with C0 even, got {c.embed_dims}")
        if c.embed_dims[2] % c.num_heads or c.embed_dims[3] % c.num_heads:
            raise ValueError(
                f"embed_dims[2:] must be multiples of num_heads={c.num_heads}, got {c.embed_dims}"
            )
        self.config = c
        c0, c1, c2, c3 = c.embed_dims
        b = c.backend
        self.downsample1_1 = DownSampling(
            in_channels=c.in_channels, out_channels=c0 // 2, kernel_size=7, padding=3, first=True,
            backend=b,
        )  # fmt: skip
        self.conv_block1_1 = MetaConvBlock(dim=c0 // 2, backend=b)
        self.downsample1_2 = DownSampling(in_channels=c0 // 2, out_channels=c0, backend=b)
        self.conv_block1_2 = MetaConvBlock(dim=c0, backend=b)
        self.downsample2 = DownSampling(in_channels=c0, out_channels=c1, backend=b)
        self.conv_block2 = nn.Sequential(*(MetaConvBlock(dim=c1, backend=b) for _ in range(2)))
        self.downsample3 = DownSampling(in_channels=c1, out_channels=c2, backend=b)
        blk = {"num_heads": c.num_heads, "variant": c.attention, "scale": c.attn_scale}
        self.block3 = nn.Sequential(
            *(MetaTransformerBlock(dim=c2, backend=b, **blk) for _ in range(c.depths[0]))  # type: ignore[arg-type]
        )
        self.downsample4 = DownSampling(in_channels=c2, out_channels=c3, stride=1, backend=b)
        self.block4 = nn.Sequential(
            *(MetaTransformerBlock(dim=c3, backend=b, **blk) for _ in range(c.depths[1]))  # type: ignore[arg-type]
        )
        self.head_lif = spiking_neuron(backend=b)
        self.head = nn.Linear(c3, c.num_classes)
        self.head_kd = nn.Linear(c3, c.num_classes) if c.kd_head else None

    def _input(self, x_seq: torch.Tensor) -> torch.Tensor:
        x = as_time_major_image(
            x_seq, time_steps=self.config.time_steps, in_channels=self.config.in_channels
        )
        check_image_size(x, 16)
        return x

    def forward_stages(self, x_seq: torch.Tensor) -> list[torch.Tensor]:
        """The five feature maps (membrane potentials).

        Args:
            x_seq: ``[T, B, C, H, W]`` or ``[B, C, H, W]``.

        Returns:
            ``[T, B, C0/2, H/2, W/2]``, ``[T, B, C0, H/4, W/4]``, ``[T, B, C1, H/8, W/8]``,
            ``[T, B, C2, H/16, W/16]``, ``[T, B, C3, H/16, W/16]``.
        """
        x = self._input(x_seq)
        s1 = self.conv_block1_1(self.downsample1_1(x))
        s2 = self.conv_block1_2(self.downsample1_2(s1))
        s3 = self.conv_block2(self.downsample2(s2))
        s4 = self.block3(self.downsample3(s3))
        s5 = self.block4(self.downsample4(s4))
        return [s1, s2, s3, s4, s5]

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Spikes of the pooled last stage, ``[T, B, C3]``."""
        return self.head_lif(self.forward_stages(x_seq)[-1].flatten(3).mean(-1))

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Per-step logits ``[T, B, K]`` (eval with ``kd_head``: mean of both heads)."""
        f = self.forward_features(x_seq)
        out = self.head(f)
        if self.head_kd is not None and not self.training:
            out = (out + self.head_kd(f)) / 2
        return out

    def forward_heads(self, x_seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both heads' per-step logits ``([T, B, K], [T, B, K])`` for hard distillation.

        Raises:
            ValueError: if the model has no ``kd_head``.
        """
        if self.head_kd is None:
            raise ValueError("forward_heads needs a model built with kd_head=True")
        f = self.forward_features(x_seq)
        return self.head(f), self.head_kd(f)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the head(s) with fresh ones with ``num_outputs`` outputs."""
        if num_outputs < 1:
            raise ValueError(f"num_outputs must be >= 1, got {num_outputs}")
        c3 = self.config.embed_dims[3]
        self.head = nn.Linear(c3, num_outputs).to(next(self.parameters()))
        if self.head_kd is not None:
            self.head_kd = nn.Linear(c3, num_outputs).to(next(self.parameters()))
        self.config = dataclasses.replace(self.config, num_classes=num_outputs)

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random ``[T, B, C, S, S]`` with ``S = config.img_size``."""
        c = self.config
        return torch.rand(
            time_steps, batch_size, c.in_channels, c.img_size, c.img_size,
            device=next(self.parameters()).device,
        )  # fmt: skip
