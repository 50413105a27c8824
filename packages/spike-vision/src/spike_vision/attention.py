"""Softmax-free spiking attention operators (SSA, SDSA-1, Meta-SpikeFormer's SDSA).

All operators act on per-head token tensors ``[T, B, h, N, d]`` whose entries are spikes
(``{0, 1}``) or small non-negative integers, so every product below reduces to masking and
additions.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["merge_heads", "qkv_product", "sdsa1", "split_heads"]


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Channels-first tokens to per-head tokens.

    Args:
        x: ``[T, B, C, N]``.
        num_heads: ``h``; must divide ``C``.

    Returns:
        ``[T, B, h, N, C // h]``.
    """
    t, b, c, n = x.shape
    return x.reshape(t, b, num_heads, c // num_heads, n).transpose(-1, -2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: ``[T, B, h, N, d] -> [T, B, h*d, N]``."""
    t, b, h, n, d = x.shape
    return x.transpose(-1, -2).reshape(t, b, h * d, n)


def qkv_product(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, scale: float, kv_first: bool = True
) -> torch.Tensor:
    """Scaled attention product without softmax, ``Q K^T V * scale``.

    With binary ``Q, K, V`` the result is a matrix of non-negative integers (times ``scale``)
    computed with additions only. ``kv_first`` evaluates ``Q (K^T V)`` (cost linear in ``N``);
    otherwise ``(Q K^T) V``. Both orders give identical results for integer inputs.

    Args:
        q: ``[..., N, d]``.
        k: ``[..., N, d]``.
        v: ``[..., N, d]``.
        scale: the constant ``s`` (0.125 in Spikformer and Meta-SpikeFormer).
        kv_first: association order.

    Returns:
        ``[..., N, d]``.
    """
    if kv_first:
        return (q @ (k.transpose(-2, -1) @ v)) * scale
    return ((q @ k.transpose(-2, -1)) @ v) * scale


def sdsa1(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, neuron: nn.Module) -> torch.Tensor:
    """Spike-driven self-attention, version 1: ``Q * SN(sum_N(K * V))``.

    ``K * V`` is an element-wise AND of spikes, the sum over tokens gives one ``1 x d`` row of
    counts per head, the spiking neuron (threshold 0.5) turns it into a binary channel mask,
    and the mask is applied to every token of ``Q``. No ``N x N`` tensor is formed.

    Args:
        q: ``[T, B, h, N, d]`` spikes.
        k: ``[T, B, h, N, d]`` spikes.
        v: ``[T, B, h, N, d]`` spikes.
        neuron: multi-step neuron applied over time to the ``[T, B, h, 1, d]`` column sums.

    Returns:
        ``[T, B, h, N, d]``; binary when ``Q`` is binary.
    """
    kv = (k * v).sum(dim=-2, keepdim=True)
    return q * neuron(kv)
