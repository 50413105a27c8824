"""Spikformer (Zhou et al., ICLR 2023) and the Spikformer V2 convolutional stem.

``image -> SPS -> L x (SSA + MLP, spike-add residuals) -> mean over tokens -> Linear``.

Spiking self-attention (SSA), per head with binary ``Q, K, V``::

    SSA'(Q, K, V) = LIF_{V_th = 0.5}(Q K^T V * s)          # no softmax, s = 0.125 (0.25 for DVS)
    SSA(X)        = LIF(BN(Conv1x1(SSA'(Q, K, V))))

Blocks add spike outputs to their input (SEW residual): ``X' = X + SSA(X)``,
``X_out = X' + MLP(X')``, so block inputs are small non-negative integers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from spike_core import SeqToBatch, SpikingModel
from spike_vision.attention import merge_heads, qkv_product, split_heads
from spike_vision.layers import as_time_major_image, check_image_size, spiking_neuron

__all__ = [
    "Spikformer",
    "SpikformerBlock",
    "SpikformerConfig",
    "SpikingMLP",
    "SpikingPatchSplitting",
    "SpikingSelfAttention",
]

_VARIANTS = ("imagenet", "cifar", "dvs")
_POOLING = {"imagenet": "1111", "cifar": "0011", "dvs": "1111"}


@dataclass(frozen=True, kw_only=True)
class SpikformerConfig:
    """Configuration of :class:`Spikformer` (and the Spikformer V2 reconstruction).

    Attributes:
        variant: ``"imagenet"`` (pool after every stem stage, 1x1 convs without bias for
            Q/K/V), ``"cifar"`` (pool after stages 2 and 3, Q/K/V with bias) or ``"dvs"``
            (two-channel events, pool after every stage, attention scale 0.25).
        depth: number of encoder blocks ``L``.
        embed_dim: ``D`` (a multiple of 8 and of ``num_heads``).
        num_heads: attention heads.
        num_classes: classifier outputs (>= 1).
        in_channels: input channels (3 for images, 2 for events).
        img_size: side of the example input (the model accepts any multiple of the patch size).
        time_steps: steps used when a 4-D image is direct-encoded.
        mlp_ratio: hidden width factor of the MLP.
        attn_scale: ``s``; ``None`` picks 0.125 (0.25 for ``"dvs"``).
        stem_convs: Conv-BN-LIF units per stem stage; ``(1, 1, 1, 1)`` is Spikformer's SPS,
            ``(2, 2, 2, 2)`` the project's Spikformer V2 spiking convolutional stem (SCS).
        reference_compat: instantiate the reference code's unused parameters (per-block
            LayerNorms; for DVS also the positional embedding and the final LayerNorm).
        backend: spike-core kernel backend of every LIF.
    """

    variant: str = "imagenet"
    depth: int = 8
    embed_dim: int = 384
    num_heads: int = 12
    num_classes: int = 1000
    in_channels: int = 3
    img_size: int = 224
    time_steps: int = 4
    mlp_ratio: int = 4
    attn_scale: float | None = None
    stem_convs: tuple[int, ...] = (1, 1, 1, 1)
    reference_compat: bool = False
    backend: str = "auto"


def _conv_bn(cin: int, cout: int, k: int, *, bias: bool, dims: int = 2) -> SeqToBatch:
    conv = nn.Conv2d if dims == 2 else nn.Conv1d
    bn = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    return SeqToBatch(nn.Sequential(conv(cin, cout, k, padding=k // 2, bias=bias), bn(cout)))


class SpikingPatchSplitting(nn.Module):
    """Spiking patch splitting (SPS) / Spikformer V2 convolutional stem (SCS).

    Four stages with ``D/8, D/4, D/2, D`` channels, each made of ``stem_convs[i]``
    ``Conv3x3 -> BN -> LIF`` units and an optional ``MaxPool(3, 2, 1)``; then the relative
    position embedding ``x + LIF(BN(Conv3x3(x)))``.

    Args:
        in_channels: input channels.
        embed_dim: ``D``.
        pooling: four characters, ``"1"`` where a stage ends with max-pooling.
        stem_convs: units per stage (four entries).
        backend: LIF backend.

    Shapes:
        input ``[T, B, C, H, W]``; output ``[T, B, D, H / s, W / s]`` with ``s`` = 2 to the
        number of pooling stages; values in ``{0, 1, 2}``.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        embed_dim: int,
        pooling: str = "1111",
        stem_convs: tuple[int, ...] = (1, 1, 1, 1),
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if len(pooling) != 4 or set(pooling) - {"0", "1"}:
            raise ValueError(f"pooling must be four characters of 0/1, got {pooling!r}")
        if len(stem_convs) != 4 or min(stem_convs) < 1:
            raise ValueError(f"stem_convs must hold four counts >= 1, got {stem_convs!r}")
        widths = [embed_dim // 8, embed_dim // 4, embed_dim // 2, embed_dim]
        self.convs = nn.ModuleList()
        self.lifs = nn.ModuleList()
        self.stage_of: list[int] = []
        cin = in_channels
        for i, (w, n) in enumerate(zip(widths, stem_convs, strict=True)):
            for _ in range(n):
                self.convs.append(_conv_bn(cin, w, 3, bias=False))
                self.lifs.append(spiking_neuron(backend=backend))
                self.stage_of.append(i)
                cin = w
        self.pooling = pooling
        self.pool = SeqToBatch(nn.MaxPool2d(3, 2, 1))
        self.rpe = _conv_bn(embed_dim, embed_dim, 3, bias=False)
        self.rpe_lif = spiking_neuron(backend=backend)

    @property
    def stride(self) -> int:
        """Total down-sampling factor (the effective patch size)."""
        return 2 ** self.pooling.count("1")

    def forward(self, x_seq: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Run the stem.

        Args:
            x_seq: ``[T, B, C, H, W]``.
            keep: optional visibility mask ``[B, 1, h, w]`` (1 = visible) re-applied after every
                convolution (nearest-resized), emulating sparse convolution for masked
                pre-training.

        Returns:
            ``[T, B, D, H / s, W / s]``.
        """
        x = x_seq
        for j, (conv, lif) in enumerate(zip(self.convs, self.lifs, strict=True)):
            x = conv(x)
            if keep is not None:
                x = x * _resize_mask(keep, x)
            x = lif(x)
            last_of_stage = j + 1 == len(self.stage_of) or self.stage_of[j + 1] != self.stage_of[j]
            if last_of_stage and self.pooling[self.stage_of[j]] == "1":
                x = self.pool(x)
        r = self.rpe(x)
        if keep is not None:
            r = r * _resize_mask(keep, r)
        return x + self.rpe_lif(r)


def _resize_mask(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``[B, 1, h, w]`` mask nearest-resized to ``like``'s spatial size, in its dtype."""
    size = tuple(like.shape[-2:])
    return nn.functional.interpolate(keep.to(like.dtype), size=size, mode="nearest")


class SpikingSelfAttention(nn.Module):
    """Spikformer's spiking self-attention (SSA) over tokens.

    Args:
        dim: channels ``D``.
        num_heads: heads ``h`` (``d = D / h``).
        scale: ``s``.
        qkv_bias: bias in the Q/K/V projections (CIFAR code uses Linear layers with bias).
        backend: LIF backend.

    Shapes:
        input ``[T, B, D, N]``, output spikes ``[T, B, D, N]``.
    """

    def __init__(
        self, *, dim: int, num_heads: int, scale: float, qkv_bias: bool, backend: str = "auto"
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = scale
        self.q = _conv_bn(dim, dim, 1, bias=qkv_bias, dims=1)
        self.k = _conv_bn(dim, dim, 1, bias=qkv_bias, dims=1)
        self.v = _conv_bn(dim, dim, 1, bias=qkv_bias, dims=1)
        self.q_lif = spiking_neuron(backend=backend)
        self.k_lif = spiking_neuron(backend=backend)
        self.v_lif = spiking_neuron(backend=backend)
        self.attn_lif = spiking_neuron(v_threshold=0.5, backend=backend)
        self.proj = _conv_bn(dim, dim, 1, bias=True, dims=1)
        self.proj_lif = spiking_neuron(backend=backend)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, D, N] -> [T, B, D, N]``."""
        h = self.num_heads
        q = split_heads(self.q_lif(self.q(x)), h)
        k = split_heads(self.k_lif(self.k(x)), h)
        v = split_heads(self.v_lif(self.v(x)), h)
        out = merge_heads(qkv_product(q, k, v, scale=self.scale))
        return self.proj_lif(self.proj(self.attn_lif(out)))


class SpikingMLP(nn.Module):
    """``LIF(BN(FC2(LIF(BN(FC1(X))))))`` with 1x1 convolutions over tokens (with bias).

    Args:
        dim: channels ``D``.
        hidden: hidden channels (``4 D``).
        backend: LIF backend.

    Shapes:
        input ``[T, B, D, N]``, output spikes ``[T, B, D, N]``.
    """

    def __init__(self, *, dim: int, hidden: int, backend: str = "auto") -> None:
        super().__init__()
        self.fc1 = _conv_bn(dim, hidden, 1, bias=True, dims=1)
        self.lif1 = spiking_neuron(backend=backend)
        self.fc2 = _conv_bn(hidden, dim, 1, bias=True, dims=1)
        self.lif2 = spiking_neuron(backend=backend)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, D, N] -> [T, B, D, N]``."""
        return self.lif2(self.fc2(self.lif1(self.fc1(x))))


class SpikformerBlock(nn.Module):
    """Encoder block with spike-add residuals: ``X' = X + SSA(X)``, ``X'' = X' + MLP(X')``.

    Args:
        dim: channels.
        num_heads: heads.
        scale: attention scale.
        mlp_ratio: MLP width factor.
        qkv_bias: bias in Q/K/V.
        reference_compat: add the reference's unused ``norm1``/``norm2`` LayerNorms.
        backend: LIF backend.

    Shapes:
        input ``[T, B, D, N]``, output ``[T, B, D, N]``.
    """

    def __init__(
        self,
        *,
        dim: int,
        num_heads: int,
        scale: float,
        mlp_ratio: int,
        qkv_bias: bool,
        reference_compat: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.attn = SpikingSelfAttention(
            dim=dim, num_heads=num_heads, scale=scale, qkv_bias=qkv_bias, backend=backend
        )
        self.mlp = SpikingMLP(dim=dim, hidden=dim * mlp_ratio, backend=backend)
        if reference_compat:  # constructed but never used by the reference forward
            self.norm1 = nn.LayerNorm(dim)
            self.norm2 = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, D, N] -> [T, B, D, N]``."""
        x = x + self.attn(x)
        return x + self.mlp(x)


class Spikformer(SpikingModel):
    """Spikformer classifier (and the Spikformer V2 reconstruction with ``stem_convs``).

    Args:
        config: a :class:`SpikformerConfig`.

    Shapes:
        input ``[T, B, C, H, W]`` (or ``[B, C, H, W]``, direct-encoded over
        ``config.time_steps``); ``forward`` returns per-step logits ``[T, B, K]`` (the
        reference's output is their mean over ``T``); ``forward_features`` returns
        ``[T, B, D]`` (mean over tokens).

    Examples:
        >>> cfg = SpikformerConfig(depth=1, embed_dim=16, num_heads=2, num_classes=3)
        >>> Spikformer(cfg)(torch.rand(2, 1, 3, 32, 32)).shape
        torch.Size([2, 1, 3])
    """

    def __init__(self, config: SpikformerConfig) -> None:
        super().__init__()
        c = config
        if c.variant not in _VARIANTS:
            raise ValueError(f"variant must be one of {_VARIANTS}, got {c.variant!r}")
        if c.num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {c.num_classes}")
        if c.embed_dim % 8 or c.embed_dim % c.num_heads:
            raise ValueError(
                f"embed_dim must be a multiple of 8 and of num_heads={c.num_heads}, "
                f"got {c.embed_dim}"
            )
        self.config = c
        scale = (
            c.attn_scale if c.attn_scale is not None else (0.25 if c.variant == "dvs" else 0.125)
        )
        self.patch_embed = SpikingPatchSplitting(
            in_channels=c.in_channels,
            embed_dim=c.embed_dim,
            pooling=_POOLING[c.variant],
            stem_convs=c.stem_convs,
            backend=c.backend,
        )
        self.blocks = nn.ModuleList(
            SpikformerBlock(
                dim=c.embed_dim,
                num_heads=c.num_heads,
                scale=scale,
                mlp_ratio=c.mlp_ratio,
                qkv_bias=c.variant == "cifar",
                reference_compat=c.reference_compat,
                backend=c.backend,
            )
            for _ in range(c.depth)
        )
        if c.reference_compat and c.variant == "dvs":  # unused in the reference forward
            n_tokens = (c.img_size // self.patch_embed.stride) ** 2
            self.pos_embed = nn.Parameter(torch.zeros(1, n_tokens, c.embed_dim))
            self.norm = nn.LayerNorm(c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.num_classes)

    @property
    def patch_size(self) -> int:
        """Effective patch size (total stride of the stem)."""
        return self.patch_embed.stride

    def tokens(self, x_seq: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder output tokens ``[T, B, D, N]`` (see :meth:`SpikingPatchSplitting.forward`)."""
        x_seq = as_time_major_image(
            x_seq, time_steps=self.config.time_steps, in_channels=self.config.in_channels
        )
        check_image_size(x_seq, self.patch_size)
        x = self.patch_embed(x_seq, keep).flatten(3)
        for blk in self.blocks:
            x = blk(x)
        return x

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Mean over tokens of the encoder output, ``[T, B, D]``."""
        return self.tokens(x_seq).mean(-1)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the linear head with a fresh one with ``num_outputs`` outputs."""
        if num_outputs < 1:
            raise ValueError(f"num_outputs must be >= 1, got {num_outputs}")
        self.head = nn.Linear(self.config.embed_dim, num_outputs).to(next(self.parameters()))
        self.config = dataclasses.replace(self.config, num_classes=num_outputs)

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random ``[T, B, C, S, S]`` input with ``S = config.img_size``."""
        c = self.config
        return torch.rand(
            time_steps, batch_size, c.in_channels, c.img_size, c.img_size,
            device=next(self.parameters()).device,
        )  # fmt: skip
