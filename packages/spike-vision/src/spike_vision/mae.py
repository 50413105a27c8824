"""Masked-image pre-training for Spikformer V2 (a project reconstruction).

The paper's recipe is unpublished; the defaults below follow the spec's project choice.

* Random per-sample masking of the token grid (ratio 0.5); masked pixels are zeroed before the
  stem and every stem convolution output is re-masked (sparse-convolution emulation).
* The spiking encoder runs at ``T = 1``; its tokens are averaged over ``T``, LayerNorm'ed and
  projected to a small ANN Transformer decoder (256-d, 4 layers, 4 heads) with fixed 2-D sin-cos
  positions and a learned mask token at masked positions.
* The decoder predicts the ``p x p x C`` pixels of every patch; the target is each patch
  normalized by its own mean and standard deviation; the loss is the MSE averaged over masked
  patches only.
* Fine-tuning hand-off: ``mae.encoder`` is an ordinary :class:`~spike_vision.Spikformer` whose
  ``state_dict`` loads into the registered model of the same config.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from spike_core import direct_encode
from spike_core._validation import check_floating
from spike_vision.spikformer import Spikformer

__all__ = ["SpikformerMAE", "patchify", "random_token_mask", "sincos_pos_embed_2d"]


def sincos_pos_embed_2d(grid_h: int, grid_w: int, dim: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine positional embedding.

    Half of the channels encode the row, half the column; each half is
    ``[sin(pos w_k), cos(pos w_k)]`` with ``w_k = 10000^(-k / (dim / 4))``.

    Args:
        grid_h: rows.
        grid_w: columns.
        dim: embedding size (a multiple of 4).

    Returns:
        ``[grid_h * grid_w, dim]`` (row-major token order).
    """
    if dim % 4:
        raise ValueError(f"dim must be a multiple of 4, got {dim}")
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4))
    yy, xx = torch.meshgrid(
        torch.arange(grid_h, dtype=torch.float64),
        torch.arange(grid_w, dtype=torch.float64),
        indexing="ij",
    )
    parts = []
    for pos in (yy.flatten(), xx.flatten()):
        out = pos[:, None] * omega[None]
        parts += [out.sin(), out.cos()]
    return torch.cat(parts, 1).float()


def random_token_mask(
    batch: int, num_tokens: int, ratio: float, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Per-sample random mask with exactly ``round(ratio * N)`` masked tokens.

    Args:
        batch: ``B``.
        num_tokens: ``N``.
        ratio: fraction masked, in ``[0, 1)``.
        generator: optional RNG.

    Returns:
        ``[B, N]`` bool, True where masked.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"mask ratio must be in [0, 1), got {ratio}")
    n_mask = round(ratio * num_tokens)
    noise = torch.rand(batch, num_tokens, generator=generator)
    ranks = noise.argsort(1).argsort(1)
    return ranks < n_mask


def patchify(images: torch.Tensor, patch: int) -> torch.Tensor:
    """``[B, C, H, W] -> [B, N, patch * patch * C]`` (row-major patches, channel last)."""
    b, c, h, w = images.shape
    x = images.reshape(b, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // patch) * (w // patch), patch * patch * c)


class SpikformerMAE(nn.Module):
    """Masked-autoencoder pre-training wrapper around a Spikformer (V2) encoder.

    Args:
        encoder: the spiking encoder (its head is unused during pre-training).
        mask_ratio: fraction of masked tokens (0.5).
        decoder_dim: decoder width (256).
        decoder_depth: decoder layers (4).
        decoder_heads: decoder heads (4).
        time_steps: encoder steps during pre-training (1).

    Shapes:
        ``forward(images [B, C, H, W])`` -> ``(loss, pred [B, N, p*p*C], mask [B, N])``.

    Examples:
        >>> from spike_vision import SpikformerConfig
        >>> enc = Spikformer(SpikformerConfig(depth=1, embed_dim=16, num_heads=2))
        >>> mae = SpikformerMAE(enc, decoder_dim=16, decoder_depth=1, decoder_heads=2)
        >>> loss, pred, mask = mae(torch.rand(2, 3, 32, 32))
        >>> pred.shape, int(mask.sum())
        (torch.Size([2, 4, 768]), 4)
    """

    def __init__(
        self,
        encoder: Spikformer,
        *,
        mask_ratio: float = 0.5,
        decoder_dim: int = 256,
        decoder_depth: int = 4,
        decoder_heads: int = 4,
        time_steps: int = 1,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.mask_ratio = mask_ratio
        self.time_steps = time_steps
        d = encoder.config.embed_dim
        p = encoder.patch_size
        c = encoder.config.in_channels
        self.norm = nn.LayerNorm(d)
        self.proj = nn.Linear(d, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        nn.init.normal_(self.mask_token, std=0.02)
        layer = nn.TransformerEncoderLayer(
            decoder_dim,
            decoder_heads,
            4 * decoder_dim,
            dropout=0.0,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.decoder = nn.TransformerEncoder(layer, decoder_depth, enable_nested_tensor=False)
        self.decoder_norm = nn.LayerNorm(decoder_dim)
        self.pred = nn.Linear(decoder_dim, p * p * c)
        self.decoder_dim = decoder_dim

    def forward(
        self, images: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mask, encode, decode and compute the normalized-pixel loss on masked patches.

        Args:
            images: ``[B, C, H, W]`` (sides multiples of the patch size).
            mask: optional ``[B, N]`` bool (True = masked); drawn at random when ``None``.

        Returns:
            ``(loss, pred, mask)``.
        """
        check_floating(images, "images")
        if images.dim() != 4:
            raise ValueError(f"images must be [B, C, H, W], got shape {tuple(images.shape)}")
        p = self.encoder.patch_size
        b, _, h, w = images.shape
        if h % p or w % p:
            raise ValueError(f"images size {h}x{w} is not a multiple of the patch size {p}")
        gh, gw = h // p, w // p
        if mask is None:
            mask = random_token_mask(b, gh * gw, self.mask_ratio).to(images.device)
        if mask.shape != (b, gh * gw):
            raise ValueError(f"mask must be [B, N] = {(b, gh * gw)}, got {tuple(mask.shape)}")
        keep = (~mask).to(images.dtype).view(b, 1, gh, gw)
        x = images * F.interpolate(keep, size=(h, w), mode="nearest")
        tokens = self.encoder.tokens(direct_encode(x, self.time_steps), keep)  # [T, B, D, N]
        z = self.proj(self.norm(tokens.mean(0).transpose(1, 2)))  # [B, N, dd]
        z = torch.where(mask[..., None], self.mask_token.to(z), z)
        z = z + sincos_pos_embed_2d(gh, gw, self.decoder_dim).to(z)
        pred = self.pred(self.decoder_norm(self.decoder(z)))
        target = patchify(images, p)
        mean = target.mean(-1, keepdim=True)
        var = target.var(-1, keepdim=True)
        target = (target - mean) / (var + 1e-6).sqrt()
        per_patch = (pred - target).square().mean(-1)
        loss = (per_patch * mask).sum() / mask.sum().clamp(min=1)
        return loss, pred, mask
