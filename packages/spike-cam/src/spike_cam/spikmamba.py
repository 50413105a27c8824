"""SpikMamba (Chen et al., ACM MM Asia 2024) over event frames.

A spiking patch embedding, spiking window-based linear attention (SpikeSLA) and bidirectional
Mamba layers.

Input frames are ``[B, 3, T, H, W]`` as in the reference code and the spec's checks (three-channel
event frames per time step); tokens are kept time-major ``[T*B, N, C]`` so the multi-step LIF
neurons run over the frame axis without transposes. Not reproduced: ExACT's AFE frame
representation (use :func:`spike_cam.to_frames` or precomputed frames) and the 8-frame model's
extra forward/reversed token merge inside the attention block (unconfirmed details).
"""

from __future__ import annotations

import dataclasses
import math
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from spike_cam._mamba import BiMamba, RMSNorm
from spike_core import LIF, SpikingModel

__all__ = ["PatchEmbed", "SpikMamba", "SpikMambaConfig", "SpikeSLA", "linear_attention"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpikMambaConfig:
    """SpikMamba hyper-parameters (defaults: the 8-frame model of the reference code).

    Attributes:
        num_classes: classes.
        frames: time steps ``T``.
        img_size: frame side (128).
        patch: patch side ``P`` (8 for 8 frames, 4 for 16).
        dim: width ``C`` (256).
        sla_depth: SpikeSLA blocks (2).
        heads: attention heads (8).
        mlp_hidden: FFN hidden width (1024).
        mamba_layers: bidirectional Mamba blocks (4 in the code).
        d_state: SSM state size.
        d_conv: causal conv width.
        expand: Mamba inner width factor.
        drop_path: stochastic depth of the attention blocks.
        bn_axis: ``"token"`` (the code's BatchNorm1d over N, for parity) or ``"channel"``.
    """

    num_classes: int = 11
    frames: int = 8
    img_size: int = 128
    patch: int = 8
    dim: int = 256
    sla_depth: int = 2
    heads: int = 8
    mlp_hidden: int = 1024
    mamba_layers: int = 4
    d_state: int = 16
    d_conv: int = 4
    expand: int = 2
    drop_path: float = 0.3
    bn_axis: str = "token"


def linear_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Softmax-free linear attention ``out_i = sum_j (q_i . k_j) v_j / sum_j (q_i . k_j)``.

    Computed as ``(q kv) * z`` with ``kv = (k / sqrt N)^T (v / sqrt N)`` and
    ``z = 1 / (q . mean_n(k) + eps)``, linear in ``N``.

    Args:
        q: ``[..., N, d]`` non-negative.
        k: ``[..., N, d]`` non-negative.
        v: ``[..., N, dv]``.
        eps: added to the normaliser.

    Returns:
        ``[..., N, dv]``.
    """
    n = q.shape[-2]
    z = 1.0 / (q @ k.mean(-2, keepdim=True).transpose(-2, -1) + eps)
    kv = (k / math.sqrt(n)).transpose(-2, -1) @ (v / math.sqrt(n))
    return (q @ kv) * z


def _rope2d(x: torch.Tensor, h: int, w: int, base: float = 10_000.0) -> torch.Tensor:
    """2-D rotary embedding: first half of the channels rotated by row, second by column."""
    d = x.shape[-1]
    half = d // 2
    quarter = half // 2
    freqs = base ** (-torch.arange(quarter, device=x.device, dtype=x.dtype) / max(quarter, 1))
    rows = torch.arange(h, device=x.device, dtype=x.dtype).repeat_interleave(w)
    cols = torch.arange(w, device=x.device, dtype=x.dtype).repeat(h)
    out = x.clone()
    for part, pos in ((slice(0, half), rows), (slice(half, 2 * half), cols)):
        seg = x[..., part]
        a, b = seg[..., 0::2], seg[..., 1::2]
        ang = pos[:, None] * freqs[None]
        cos, sin = torch.cos(ang), torch.sin(ang)
        rot = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
        out[..., part] = rot
    return out


class _DropPath(nn.Module):
    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = (
            torch.rand(x.shape[0], *([1] * (x.dim() - 1)), device=x.device, dtype=x.dtype) >= self.p
        )
        return x * keep / (1 - self.p)


class _DWConv(nn.Module):
    """Depthwise 3x3 convolution over the token grid of each frame: ``[M, N, C]``."""

    def __init__(self, dim: int, side: int) -> None:
        super().__init__()
        self.side = side
        self.conv = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        M, N, C = x.shape
        g = x.transpose(1, 2).reshape(M, C, self.side, self.side)
        return self.conv(g).reshape(M, C, N).transpose(1, 2)


class PatchEmbed(nn.Module):
    """Spiking 3-D patch embedding: ``Conv3d(3 -> C, (1, P, P))`` + BN + multi-step LIF.

    Args:
        dim: ``C``.
        patch: ``P``.
        img_size: frame side.
        bn_axis: ``"token"`` (normalise over the N token axis, as the reference code) or
            ``"channel"``.

    Shapes:
        ``[B, 3, T, H, W] -> [T*B, N, C]`` binary spikes, time-major (``N = (H / P)^2``).
    """

    def __init__(self, *, dim: int, patch: int, img_size: int, bn_axis: str = "token") -> None:
        super().__init__()
        if img_size % patch:
            raise ValueError(f"img_size {img_size} is not a multiple of patch {patch}")
        if bn_axis not in ("token", "channel"):
            raise ValueError(f"bn_axis must be 'token' or 'channel', got {bn_axis!r}")
        self.n = (img_size // patch) ** 2
        self.proj = nn.Conv3d(3, dim, (1, patch, patch), stride=(1, patch, patch))
        self.bn = nn.BatchNorm1d(self.n if bn_axis == "token" else dim)
        self.bn_axis = bn_axis
        self.lif = LIF(tau_mem=2.0, detach_reset=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed frames; see the class docstring for shapes."""
        if x.dim() != 5 or x.shape[1] != 3:
            raise ValueError(f"frames must be [B, 3, T, H, W], got shape {tuple(x.shape)}")
        y = self.proj(x)  # [B, C, T, h, w]
        B, C, T = y.shape[:3]
        tok = y.permute(2, 0, 3, 4, 1).reshape(T * B, -1, C)  # time-major tokens
        if tok.shape[1] != self.n:
            raise ValueError(f"frames give {tok.shape[1]} tokens, expected {self.n}")
        tok = (
            self.bn(tok)
            if self.bn_axis == "token"
            else self.bn(tok.transpose(1, 2)).transpose(1, 2)
        )
        return self.lif(tok.reshape(T, B, self.n, C)).reshape(T * B, self.n, C)


class SpikeSLA(nn.Module):
    """Spiking window-based linear attention block (MLLA-style; one window = one frame).

    Args:
        dim: ``C``.
        side: token grid side ``sqrt(N)``.
        heads: attention heads.
        mlp_hidden: FFN hidden width.
        drop_path: stochastic depth.
        frames: ``T`` (the spiking q/k neurons run over frames).

    Shapes:
        ``[T*B, N, C] -> [T*B, N, C]`` (time-major tokens).
    """

    def __init__(
        self, *, dim: int, side: int, heads: int, mlp_hidden: int, drop_path: float, frames: int
    ) -> None:
        super().__init__()
        self.side, self.heads, self.frames = side, heads, frames
        self.cpe1, self.cpe2 = _DWConv(dim, side), _DWConv(dim, side)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.in_proj, self.act_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.dwc = _DWConv(dim, side)
        self.qk = nn.Linear(dim, 2 * dim)
        self.qk_bn = nn.BatchNorm1d(2 * dim)
        self.qk_lif = LIF(tau_mem=2.0, detach_reset=True)
        self.lepe = _DWConv(dim, side)
        self.out_proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_hidden), nn.GELU(), nn.Linear(mlp_hidden, dim))
        self.drop = _DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to time-major tokens ``[T*B, N, C]``."""
        M, N, C = x.shape
        x = x + self.cpe1(x)
        s = x
        h = self.norm1(x)
        g = F.silu(self.act_proj(h))
        h = F.silu(self.dwc(self.in_proj(h)))
        qk = self.qk(h)
        qk = self.qk_bn(qk.reshape(-1, 2 * C)).reshape(M, N, 2 * C)
        qk = self.qk_lif(qk.reshape(self.frames, M // self.frames, N, 2 * C)).reshape(M, N, 2 * C)
        q, k = (F.elu(t) + 1.0 for t in qk.chunk(2, dim=-1))
        hd = C // self.heads
        split = lambda t: t.reshape(M, N, self.heads, hd).transpose(1, 2)  # noqa: E731
        qh, kh, vh = split(q), split(k), split(h)
        z = 1.0 / (qh @ kh.mean(-2, keepdim=True).transpose(-2, -1) + 1e-6)
        qr, kr = _rope2d(qh, self.side, self.side), _rope2d(kh, self.side, self.side)
        kv = (kr / math.sqrt(N)).transpose(-2, -1) @ (vh / math.sqrt(N))
        out = ((qr @ kv) * z).transpose(1, 2).reshape(M, N, C) + self.lepe(h)
        x = s + self.drop(self.out_proj(out * g))
        x = x + self.cpe2(x)
        return x + self.drop(self.mlp(self.norm2(x)))


class _MambaLayer(nn.Module):
    def __init__(self, cfg: SpikMambaConfig) -> None:
        super().__init__()
        self.norm = RMSNorm(cfg.dim)
        self.mixer = BiMamba(cfg.dim, d_state=cfg.d_state, d_conv=cfg.d_conv, expand=cfg.expand)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mixer(self.norm(x))


class SpikMamba(SpikingModel):
    """SpikMamba classifier over event frames.

    Args:
        config: a :class:`SpikMambaConfig`.

    Shapes:
        ``forward(frames [B, 3, T, H, W]) -> [B, num_classes]``: mean over each frame's tokens,
        then over ``T``, then a linear head (no spiking in the head, as in the reference).
        ``forward_features`` returns tokens ``[B, T*N, C]``.
    """

    def __init__(self, config: SpikMambaConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = PatchEmbed(dim=c.dim, patch=c.patch, img_size=c.img_size, bn_axis=c.bn_axis)
        n = self.embed.n
        side = c.img_size // c.patch
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, c.dim) * 0.02)
        self.time_embed = nn.Parameter(torch.randn(1, c.frames, c.dim) * 0.02)
        self.blocks = nn.ModuleList(
            SpikeSLA(
                dim=c.dim,
                side=side,
                heads=c.heads,
                mlp_hidden=c.mlp_hidden,
                drop_path=c.drop_path * (i + 1) / c.sla_depth,
                frames=c.frames,
            )
            for i in range(c.sla_depth)
        )
        self.mamba = nn.ModuleList(_MambaLayer(c) for _ in range(c.mamba_layers))
        self.norm_f = RMSNorm(c.dim)
        self.head = nn.Linear(c.dim, c.num_classes)

    def forward_features(self, frames: torch.Tensor) -> torch.Tensor:
        """Token features ``[B, T*N, C]`` of frames ``[B, 3, T, H, W]``."""
        c = self.config
        if frames.dim() != 5 or frames.shape[2] != c.frames:
            raise ValueError(
                f"frames must be [B, 3, {c.frames}, H, W], got shape {tuple(frames.shape)}"
            )
        x = self.embed(frames)  # [T*B, N, C]
        M = x.shape[0]
        x = torch.cat([self.cls_token.expand(M, -1, -1), x], dim=1) + self.pos_embed
        x = x[:, 1:]
        T, B = c.frames, M // c.frames
        x = (x.reshape(T, B, -1, c.dim) + self.time_embed[0, :, None, None]).reshape(M, -1, c.dim)
        for blk in self.blocks:
            x = blk(x)
        # the Mamba layers scan each sample's tokens of all frames in time order
        seq = x.reshape(T, B, -1, c.dim).permute(1, 0, 2, 3).reshape(B, -1, c.dim)
        for layer in self.mamba:
            seq = layer(seq)
        return self.norm_f(seq)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, num_classes]``."""
        feats = self.forward_features(frames)
        B = feats.shape[0]
        per_frame = feats.reshape(B, self.config.frames, -1, self.config.dim).mean(2)
        return self.head(per_frame.mean(1))

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the head with a fresh ``C -> num_outputs`` layer."""
        w = cast(nn.Linear, self.head).weight
        self.head = nn.Linear(w.shape[1], num_outputs).to(w.device, w.dtype)

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random frames ``[B, 3, T, H, W]`` (``T`` is the config's)."""
        del time_steps
        c = self.config
        w = cast(nn.Linear, self.head).weight
        return torch.rand(
            batch_size, 3, c.frames, c.img_size, c.img_size, device=w.device, dtype=w.dtype
        )
