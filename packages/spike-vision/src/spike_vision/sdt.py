"""Spike-driven Transformer, version 1 (Yao et al., NeurIPS 2023).

Membrane-shortcut patch splitting (MS-SPS), then ``L`` blocks::

    U'  = U + SDSA-1(U),     SDSA-1(U) = BN(Conv1x1(Q * SN_{0.5}(sum_N(K * V))))
    U'' = U' + MLP(U'),      MLP(U) = BN(Conv1x1(LIF(BN(Conv1x1(LIF(U))))))

with ``Q, K, V = LIF(BN(Conv1x1(LIF(U))))``; head: mean over tokens -> LIF -> Linear.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from spike_core import SeqToBatch, SpikingModel
from spike_vision.attention import merge_heads, sdsa1, split_heads
from spike_vision.layers import as_time_major_image, check_image_size, spiking_neuron

__all__ = [
    "MSPatchSplitting",
    "SDSA1Attention",
    "SDTBlock",
    "SpikeDrivenTransformer",
    "SpikeDrivenTransformerConfig",
]


@dataclass(frozen=True, kw_only=True)
class SpikeDrivenTransformerConfig:
    """Configuration of :class:`SpikeDrivenTransformer`.

    Attributes:
        pooling: four characters selecting the max-pooled stem stages (``"1111"`` ImageNet,
            ``"0011"`` CIFAR and CIFAR10-DVS at 64x64, ``"0111"`` DVS128-Gesture).
        depth: blocks ``L``.
        embed_dim: ``D`` (a multiple of 8 and of ``num_heads``).
        num_heads: heads (8).
        num_classes: classifier outputs (>= 1).
        in_channels: 3 for images, 2 for events.
        img_size: side of the example input.
        time_steps: steps used to direct-encode a 4-D image.
        mlp_ratio: MLP width factor.
        reference_compat: instantiate the unused ``talking_heads`` Conv1d (``h*h`` weights per
            block).
        backend: LIF backend.
    """

    pooling: str = "1111"
    depth: int = 8
    embed_dim: int = 512
    num_heads: int = 8
    num_classes: int = 1000
    in_channels: int = 3
    img_size: int = 224
    time_steps: int = 4
    mlp_ratio: int = 4
    reference_compat: bool = False
    backend: str = "auto"


def _conv_bn(cin: int, cout: int, k: int, *, bias: bool, dims: int = 2) -> SeqToBatch:
    conv = nn.Conv2d if dims == 2 else nn.Conv1d
    bn = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    return SeqToBatch(nn.Sequential(conv(cin, cout, k, padding=k // 2, bias=bias), bn(cout)))


class MSPatchSplitting(nn.Module):
    """Membrane-shortcut patch splitting; its output is a real-valued membrane tensor.

    Stages 0-2: ``Conv3x3 -> BN -> LIF -> (MaxPool)``; stage 3: ``Conv3x3 -> BN -> (MaxPool)``
    giving ``x_feat``; output ``BN(Conv3x3(LIF(x_feat))) + x_feat``.

    Args:
        in_channels: input channels.
        embed_dim: ``D``.
        pooling: four characters of 0/1.
        backend: LIF backend.

    Shapes:
        ``[T, B, C, H, W] -> [T, B, D, H / s, W / s]``.
    """

    def __init__(
        self, *, in_channels: int, embed_dim: int, pooling: str = "1111", backend: str = "auto"
    ) -> None:
        super().__init__()
        if len(pooling) != 4 or set(pooling) - {"0", "1"}:
            raise ValueError(f"pooling must be four characters of 0/1, got {pooling!r}")
        widths = [in_channels, embed_dim // 8, embed_dim // 4, embed_dim // 2, embed_dim]
        self.convs = nn.ModuleList(
            _conv_bn(widths[i], widths[i + 1], 3, bias=False) for i in range(4)
        )
        self.lifs = nn.ModuleList(spiking_neuron(backend=backend) for _ in range(3))
        self.pooling = pooling
        self.pool = SeqToBatch(nn.MaxPool2d(3, 2, 1))
        self.rpe_lif = spiking_neuron(backend=backend)
        self.rpe = _conv_bn(embed_dim, embed_dim, 3, bias=False)

    @property
    def stride(self) -> int:
        """Total down-sampling factor."""
        return 2 ** self.pooling.count("1")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W] -> [T, B, D, H / s, W / s]`` (membrane)."""
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i < 3:
                x = self.lifs[i](x)
            if self.pooling[i] == "1":
                x = self.pool(x)
        return x + self.rpe(self.rpe_lif(x))


class SDSA1Attention(nn.Module):
    """SDSA-1 sub-block: ``BN(Conv1x1(Q * SN_{0.5}(sum_N(K * V))))`` with a leading LIF.

    Args:
        dim: channels ``D``.
        num_heads: heads.
        reference_compat: add the unused ``talking_heads`` Conv1d(h, h, 1, bias=False).
        backend: LIF backend.

    Shapes:
        ``[T, B, D, N] -> [T, B, D, N]`` (membrane).
    """

    def __init__(
        self, *, dim: int, num_heads: int, reference_compat: bool = False, backend: str = "auto"
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_lif = spiking_neuron(backend=backend)
        self.q = _conv_bn(dim, dim, 1, bias=False, dims=1)
        self.k = _conv_bn(dim, dim, 1, bias=False, dims=1)
        self.v = _conv_bn(dim, dim, 1, bias=False, dims=1)
        self.q_lif = spiking_neuron(backend=backend)
        self.k_lif = spiking_neuron(backend=backend)
        self.v_lif = spiking_neuron(backend=backend)
        self.kv_lif = spiking_neuron(v_threshold=0.5, backend=backend)
        self.proj = _conv_bn(dim, dim, 1, bias=True, dims=1)
        if reference_compat:  # constructed but unused by the reference forward
            self.talking_heads = nn.Conv1d(num_heads, num_heads, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, D, N] -> [T, B, D, N]``."""
        s = self.head_lif(x)
        h = self.num_heads
        q = split_heads(self.q_lif(self.q(s)), h)
        k = split_heads(self.k_lif(self.k(s)), h)
        v = split_heads(self.v_lif(self.v(s)), h)
        return self.proj(merge_heads(sdsa1(q, k, v, self.kv_lif)))


class SDTBlock(nn.Module):
    """``U' = U + SDSA-1(U)``; ``U'' = U' + MLP(U')`` with membrane shortcuts.

    Args:
        dim: channels.
        num_heads: heads.
        mlp_ratio: MLP width factor.
        reference_compat: see :class:`SDSA1Attention`.
        backend: LIF backend.

    Shapes:
        ``[T, B, D, N] -> [T, B, D, N]``.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int,
        mlp_ratio: int = 4,
        reference_compat: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.attn = SDSA1Attention(
            dim=dim, num_heads=num_heads, reference_compat=reference_compat, backend=backend
        )
        hidden = dim * mlp_ratio
        self.lif1 = spiking_neuron(backend=backend)
        self.fc1 = _conv_bn(dim, hidden, 1, bias=True, dims=1)
        self.lif2 = spiking_neuron(backend=backend)
        self.fc2 = _conv_bn(hidden, dim, 1, bias=True, dims=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, D, N] -> [T, B, D, N]``."""
        x = x + self.attn(x)
        return x + self.fc2(self.lif2(self.fc1(self.lif1(x))))


class SpikeDrivenTransformer(SpikingModel):
    """Spike-driven Transformer V1 classifier.

    Args:
        config: a :class:`SpikeDrivenTransformerConfig`.

    Shapes:
        input ``[T, B, C, H, W]`` (or ``[B, C, H, W]``); ``forward`` returns per-step logits
        ``[T, B, K]`` (the reference averages them over ``T``); ``forward_features`` returns
        the head spikes ``[T, B, D]``.

    Examples:
        >>> cfg = SpikeDrivenTransformerConfig(pooling="0011", depth=1, embed_dim=16, num_classes=3)
        >>> SpikeDrivenTransformer(cfg)(torch.rand(2, 1, 3, 16, 16)).shape
        torch.Size([2, 1, 3])
    """

    def __init__(self, config: SpikeDrivenTransformerConfig) -> None:
        super().__init__()
        c = config
        if c.num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {c.num_classes}")
        if c.embed_dim % 8 or c.embed_dim % c.num_heads:
            raise ValueError(
                f"embed_dim must be a multiple of 8 and of num_heads={c.num_heads}, "
                f"got {c.embed_dim}"
            )
        self.config = c
        self.patch_embed = MSPatchSplitting(
            in_channels=c.in_channels, embed_dim=c.embed_dim, pooling=c.pooling, backend=c.backend
        )
        self.blocks = nn.ModuleList(
            SDTBlock(
                dim=c.embed_dim,
                num_heads=c.num_heads,
                mlp_ratio=c.mlp_ratio,
                reference_compat=c.reference_compat,
                backend=c.backend,
            )
            for _ in range(c.depth)
        )
        self.head_lif = spiking_neuron(backend=c.backend)
        self.head = nn.Linear(c.embed_dim, c.num_classes)

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Head spikes ``LIF(mean over tokens)``, ``[T, B, D]``."""
        x = as_time_major_image(
            x_seq, time_steps=self.config.time_steps, in_channels=self.config.in_channels
        )
        check_image_size(x, self.patch_embed.stride)
        x = self.patch_embed(x).flatten(3)
        for blk in self.blocks:
            x = blk(x)
        return self.head_lif(x.mean(-1))

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the linear head with a fresh one with ``num_outputs`` outputs."""
        if num_outputs < 1:
            raise ValueError(f"num_outputs must be >= 1, got {num_outputs}")
        self.head = nn.Linear(self.config.embed_dim, num_outputs).to(next(self.parameters()))
        self.config = dataclasses.replace(self.config, num_classes=num_outputs)

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random ``[T, B, C, S, S]`` with ``S = config.img_size``."""
        c = self.config
        return torch.rand(
            time_steps, batch_size, c.in_channels, c.img_size, c.img_size,
            device=next(self.parameters()).device,
        )  # fmt: skip
