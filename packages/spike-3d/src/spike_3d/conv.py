"""Spike sparse convolutions: submanifold (active-site), strided and inverse, by gather-matmul-scatter.

For every kernel offset ``k`` with valid pairs ``(i, o)`` in the rulebook::

    out[:, o] += features[:, i] @ W[k]

which equals a dense ``conv3d`` evaluated at the output sites when inputs outside the active set
are zero. Autograd runs through ``index_select``, ``matmul`` and ``index_add`` unchanged.

Each layer records the operation counts of its last call for energy accounting:
``last_rulebook_pairs`` (``|P|``), ``last_input_sum`` (sum over valid pairs, channels and time
steps of the input values: the accumulate count per output channel for integer spikes),
``last_time_steps``, ``last_num_out`` and ``last_spike_input`` (the input held only
non-negative integers, i.e. spikes).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spike_3d.rulebook import (
    Rulebook,
    _triple,
    inverse_rulebook,
    strided_rulebook,
    submanifold_rulebook,
)
from spike_3d.sparse import SparseVoxelTensor

__all__ = ["SparseConv3d", "SparseInverseConv3d", "SubMConv3d", "sparse_conv"]

CENTER_GATES = ("occupancy", "spike")


def sparse_conv(
    features: torch.Tensor,
    rulebook: Rulebook,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Gather-matmul-scatter convolution over a rulebook.

    Args:
        features: ``[T, N_in, C_in]`` input features.
        rulebook: the pairs (``rulebook.num_in == N_in``).
        weight: ``[K, C_in, C_out]``, one matrix per kernel offset.
        bias: optional ``[C_out]``.

    Returns:
        ``[T, N_out, C_out]``.

    Shapes:
        time-major ``[T, N, C]`` in and out.
    """
    if features.shape[1] != rulebook.num_in:
        raise ValueError(
            f"features has {features.shape[1]} sites, the rulebook expects {rulebook.num_in}"
        )
    if weight.shape[0] != rulebook.kernel_volume:
        raise ValueError(
            f"weight has {weight.shape[0]} kernel offsets, the rulebook has {rulebook.kernel_volume}"
        )
    out = _RulebookConv.apply(features, weight, rulebook)
    if bias is not None:
        out = out + bias
    return out


def _pairs(rulebook: Rulebook) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
    ptr = rulebook.offset_ptr
    return [
        (k, rulebook.in_idx[ptr[k] : ptr[k + 1]], rulebook.out_idx[ptr[k] : ptr[k + 1]])
        for k in range(rulebook.kernel_volume)
        if ptr[k + 1] > ptr[k]
    ]


class _RulebookConv(torch.autograd.Function):
    """Gather-matmul-scatter with a hand-written backward (one buffer per gradient)."""

    @staticmethod
    def forward(
        ctx, features: torch.Tensor, weight: torch.Tensor, rulebook: Rulebook
    ) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(features, weight)
        ctx.rulebook = rulebook
        T = features.shape[0]
        out = features.new_zeros(T, rulebook.num_out, weight.shape[2])
        for k, i, o in _pairs(rulebook):
            out.index_add_(1, o, features.index_select(1, i) @ weight[k])
        return out

    @staticmethod
    def backward(
        ctx, grad_out: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, None]:  # type: ignore[override]
        features, weight = ctx.saved_tensors
        rb: Rulebook = ctx.rulebook
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        gx = torch.zeros_like(features) if need_x else None
        gw = torch.zeros_like(weight) if need_w else None
        for k, i, o in _pairs(rb):
            go = grad_out.index_select(1, o)  # [T, P_k, C_out]
            if gx is not None:
                gx.index_add_(1, i, go @ weight[k].T)
            if gw is not None:
                xi = features.index_select(1, i)
                gw[k] = xi.reshape(-1, xi.shape[-1]).T @ go.reshape(-1, go.shape[-1])
        return gx, gw, None


class _SparseConvBase(nn.Module):
    """Weights ``[K, C_in, C_out]`` (truncated normal, std 0.02), optional bias, op counters."""

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int],
        bias: bool,
    ) -> None:
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _triple(kernel_size, "kernel_size")
        K = math.prod(self.kernel_size)
        self.weight = nn.Parameter(torch.empty(K, in_channels, out_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        nn.init.trunc_normal_(self.weight, std=0.02)
        self.last_rulebook_pairs = 0
        self.last_input_sum: torch.Tensor | None = None
        self.last_time_steps = 0
        self.last_num_out = 0
        self.last_spike_input = False

    def _record(self, x: torch.Tensor, rb: Rulebook, pair_gate: torch.Tensor | None = None) -> None:
        with torch.no_grad():
            per_site = x.detach().sum(-1)  # [T, N_in]
            if pair_gate is None:
                self.last_input_sum = (per_site * rb.input_counts().to(per_site)).sum()
            else:
                self.last_input_sum = (per_site[:, rb.in_idx] * pair_gate).sum()
        self.last_spike_input = bool((x == x.round()).all()) and bool((x >= 0).all())
        self.last_rulebook_pairs = rb.num_pairs
        self.last_time_steps = int(x.shape[0])
        self.last_num_out = rb.num_out

    def synaptic_ops(self) -> dict[str, float]:
        """Operation counts of the last call.

        Returns:
            ``{"ac": Σ_pairs S_in · C_out`` (accumulates for integer spike input),
            ``"mac": T · |P| · C_in · C_out`` (multiply-accumulates for real input),
            ``"flops": T · (2 |P| C_in C_out − N_out C_out)}`` (the E-3DSNN script's count, per
            output channel's final addition).
        """
        s = float(self.last_input_sum) if self.last_input_sum is not None else 0.0
        p, t = self.last_rulebook_pairs, self.last_time_steps
        cin, cout = self.in_channels, self.out_channels
        return {
            "ac": s * cout,
            "mac": float(t * p * cin * cout),
            "flops": float(t * (2 * p * cin * cout - self.last_num_out * cout)),
        }

    def dense_weight(self) -> torch.Tensor:
        """The weight in ``torch.nn.functional.conv3d`` layout ``[C_out, C_in, kx, ky, kz]``."""
        kx, ky, kz = self.kernel_size
        w = self.weight.reshape(kx, ky, kz, self.in_channels, self.out_channels)
        return w.permute(4, 3, 0, 1, 2)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"bias={self.bias is not None}"
        )


def _check_input(x: object, channels: int) -> SparseVoxelTensor:
    if not isinstance(x, SparseVoxelTensor):
        raise TypeError(f"x must be a SparseVoxelTensor, got {type(x).__name__}")
    if x.num_channels != channels:
        raise ValueError(f"x must have {channels} channels, got {x.num_channels}")
    return x


class SubMConv3d(_SparseConvBase):
    """Submanifold spike sparse convolution: outputs only at the active input sites.

    ``U_q = sum_{k, q + k in A} W_k S_{q+k}`` for ``q in A`` (padding ``kernel_size // 2``).
    The rulebook is built once per site set and cached on the tensor.

    Args:
        in_channels: ``C_in``.
        out_channels: ``C_out``.
        kernel_size: odd kernel size (3 in E-3DSNN; 1 for the pointwise head).
        bias: add a learnable bias (only the head has one in E-3DSNN).
        center_gate: ``"occupancy"`` (compute every active site, as the reference code) or
            ``"spike"`` (output 0 at sites whose input is zero in every channel).

    Shapes:
        features ``[T, N, C_in] -> [T, N, C_out]`` on the same sites.

    Examples:
        >>> x = SparseVoxelTensor(torch.ones(1, 2, 3), torch.tensor([[0, 0, 0, 0], [0, 0, 0, 1]]), (2, 2, 2), 1)
        >>> SubMConv3d(in_channels=3, out_channels=4)(x).features.shape
        torch.Size([1, 2, 4])
    """

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int] = 3,
        bias: bool = False,
        center_gate: str = "occupancy",
    ) -> None:
        super().__init__(
            in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, bias=bias
        )
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        if center_gate not in CENTER_GATES:
            raise ValueError(f"center_gate must be one of {CENTER_GATES}, got {center_gate!r}")
        self.center_gate = center_gate

    def rulebook(self, x: SparseVoxelTensor) -> Rulebook:
        """The (cached) submanifold rulebook of ``x``'s sites."""
        key = (x.level, "subm", self.kernel_size)
        if key not in x.cache:
            x.cache[key] = submanifold_rulebook(x.coords, x.spatial_shape, self.kernel_size)
        return x.cache[key]

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Convolve at the active sites; returns a tensor on the same sites."""
        x = _check_input(x, self.in_channels)
        rb = self.rulebook(x)
        if self.center_gate == "spike":
            gate = (x.features != 0).any(-1).to(x.features.dtype)  # [T, N]
            self._record(x.features, rb, pair_gate=gate[:, rb.out_idx])
            out = sparse_conv(x.features, rb, self.weight, self.bias) * gate.unsqueeze(-1)
        else:
            self._record(x.features, rb)
            out = sparse_conv(x.features, rb, self.weight, self.bias)
        return x.replace_features(out)

    def extra_repr(self) -> str:  # noqa: D102
        return f"{super().extra_repr()}, center_gate={self.center_gate!r}"


class SparseConv3d(_SparseConvBase):
    """Regular (strided) sparse convolution: downsampling between stages.

    Output sites are those where a dense ``conv3d`` with the same kernel, stride and padding sees an
    active input; with ``kernel_size == stride`` and no padding these are the parent cells
    ``floor(p / stride)`` (E-3DSNN classification/segmentation), with ``kernel_size=3, stride=2,
    padding=1`` the set dilates (detection backbone).

    Args:
        in_channels: ``C_in``.
        out_channels: ``C_out``.
        kernel_size: kernel size per axis.
        stride: stride per axis.
        padding: zero padding per axis.
        bias: add a learnable bias.
        indice_key: name under which the rulebook is kept so a :class:`SparseInverseConv3d` with the
            same key can invert it.

    Shapes:
        features ``[T, N_in, C_in] -> [T, N_out, C_out]``; spatial shape
        ``(X + 2 padding - kernel_size) // stride + 1`` per axis.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int] = 2,
        stride: int | tuple[int, int, int] = 2,
        padding: int | tuple[int, int, int] = 0,
        bias: bool = False,
        indice_key: str | None = None,
    ) -> None:
        super().__init__(
            in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, bias=bias
        )
        self.stride = _triple(stride, "stride")
        self.padding = _triple(padding, "padding")
        self.indice_key = indice_key

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Convolve with stride; returns a tensor on the output sites."""
        x = _check_input(x, self.in_channels)
        key = (x.level, "conv", self.kernel_size, self.stride, self.padding)
        if key not in x.cache:
            x.cache[key] = strided_rulebook(
                x.coords, x.spatial_shape, self.kernel_size, self.stride, self.padding
            )
        rb: Rulebook = x.cache[key]
        if self.indice_key is not None:
            fine = (x.coords, x.spatial_shape, x.batch_size, x.tensor_stride, x.level)
            x.cache[("inverse", self.indice_key)] = (rb, fine)
        self._record(x.features, rb)
        out = sparse_conv(x.features, rb, self.weight, self.bias)
        stride = tuple(s * t for s, t in zip(x.tensor_stride, self.stride, strict=True))
        return SparseVoxelTensor(
            out,
            rb.out_coords,
            rb.out_shape,
            x.batch_size,
            tensor_stride=stride,  # type: ignore[arg-type]
            level=f"{x.level}/k{self.kernel_size}s{self.stride}p{self.padding}",
            cache=x.cache,
            validate=False,
        )

    def extra_repr(self) -> str:  # noqa: D102
        return f"{super().extra_repr()}, stride={self.stride}, padding={self.padding}"


class SparseInverseConv3d(_SparseConvBase):
    """Inverse of a strided sparse convolution: restores exactly the sites it read.

    Reuses the rulebook stored under ``indice_key`` by a :class:`SparseConv3d`, transposed; at the
    restored sites this equals a dense ``conv_transpose3d`` with that convolution's kernel,
    stride and padding.

    Args:
        in_channels: ``C_in`` (coarse).
        out_channels: ``C_out`` (fine).
        kernel_size: must equal the inverted convolution's kernel size.
        indice_key: the key given to the :class:`SparseConv3d` being inverted.
        bias: add a learnable bias.

    Shapes:
        features ``[T, N_coarse, C_in] -> [T, N_fine, C_out]``.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int] = 2,
        indice_key: str,
        bias: bool = False,
    ) -> None:
        super().__init__(
            in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, bias=bias
        )
        if not isinstance(indice_key, str) or not indice_key:
            raise ValueError(f"indice_key must be a non-empty str, got {indice_key!r}")
        self.indice_key = indice_key

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Route the coarse features back to the fine sites."""
        x = _check_input(x, self.in_channels)
        entry = x.cache.get(("inverse", self.indice_key))
        if entry is None:
            raise ValueError(
                f"no SparseConv3d with indice_key {self.indice_key!r} ran on this tensor's history"
            )
        rb, fine = entry
        if rb.kernel_volume != self.weight.shape[0] or rb.num_out != x.num_sites:
            raise ValueError(
                f"indice_key {self.indice_key!r} belongs to a convolution with "
                f"{rb.kernel_volume} offsets and {rb.num_out} output sites; this layer has "
                f"{self.weight.shape[0]} offsets and the input {x.num_sites} sites"
            )
        coords, shape, batch_size, tensor_stride, level = fine
        inv = inverse_rulebook(rb, coords, shape)
        self._record(x.features, inv)
        out = sparse_conv(x.features, inv, self.weight, self.bias)
        return SparseVoxelTensor(
            out,
            coords,
            shape,
            batch_size,
            tensor_stride=tensor_stride,
            level=level,
            cache=x.cache,
            validate=False,
        )

    def dense_transpose_weight(self) -> torch.Tensor:
        """The weight in ``conv_transpose3d`` layout ``[C_in, C_out, kx, ky, kz]``."""
        kx, ky, kz = self.kernel_size
        w = self.weight.reshape(kx, ky, kz, self.in_channels, self.out_channels)
        return w.permute(3, 4, 0, 1, 2)
