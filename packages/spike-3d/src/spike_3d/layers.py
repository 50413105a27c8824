"""Site-wise layers on :class:`SparseVoxelTensor`: batch norm, integer spikes, linear, pooling."""

from __future__ import annotations

import torch
from torch import nn

from spike_3d.rulebook import Rulebook, _triple, strided_rulebook
from spike_3d.sparse import SparseVoxelTensor
from spike_core import IntLIF, int_spike

__all__ = [
    "IntSpike",
    "SparseAvgPool3d",
    "SparseBatchNorm",
    "SparseIntLIF",
    "SparseLinear",
    "SparseMaxPool3d",
    "global_avg_pool",
    "global_max_pool",
    "sparse_cat",
]


def _check(x: object) -> SparseVoxelTensor:
    if not isinstance(x, SparseVoxelTensor):
        raise TypeError(f"x must be a SparseVoxelTensor, got {type(x).__name__}")
    return x


class IntSpike(nn.Module):
    """E-3DSNN's spike function on a dense tensor: ``floor(clamp(U, 0, D) + 0.5)``.

    Straight-through gradient inside ``(0, D)`` (spike-core's :func:`~spike_core.int_spike`).

    Args:
        levels: ``D`` (4 in E-3DSNN).
        rounding: ``"half_up"`` or ``"half_even"``.

    Shapes:
        any shape in, the same shape out (integers ``0..D`` in the input's dtype).

    Examples:
        >>> IntSpike(levels=4)(torch.tensor([-1.0, 0.5, 3.6, 9.0])).tolist()
        [0.0, 1.0, 4.0, 4.0]
    """

    def __init__(self, *, levels: int = 4, rounding: str = "half_up") -> None:
        super().__init__()
        if not isinstance(levels, int) or levels < 1:
            raise ValueError(f"levels must be a positive int, got {levels!r}")
        self.levels, self.rounding = levels, rounding

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """Integer spikes of ``u``."""
        return int_spike(u, self.levels, self.rounding)


class SparseBatchNorm(nn.Module):
    """Batch norm over the active sites (and time steps) only; empty space never enters the stats.

    Args:
        num_features: ``C``.
        eps: added to the variance (E-3DSNN: ``1e-3``).
        momentum: running-stat momentum (E-3DSNN: ``0.01``).

    Shapes:
        features ``[T, N, C] -> [T, N, C]``.
    """

    def __init__(self, *, num_features: int, eps: float = 1e-3, momentum: float = 0.01) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features, eps=eps, momentum=momentum)

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Normalise the features of every active site."""
        f = _check(x).features
        return x.replace_features(self.bn(f.reshape(-1, f.shape[-1])).reshape(f.shape))


class SparseIntLIF(nn.Module):
    """E-3DSNN's integer LIF (I-LIF) at the active sites, via spike-core's :class:`~spike_core.IntLIF`.

    ``S = clip(round(U), 0, D)`` with a straight-through gradient inside ``(0, D)``; with
    ``beta > 0`` a residual membrane ``H[t] = beta (U[t] - S[t])`` carries over time steps.

    Args:
        levels: ``D`` (E-3DSNN: 4).
        beta: residual membrane decay (0: stateless, the paper's ``T = 1`` setting).
        rounding: ``"half_up"`` (the reference code) or ``"half_even"``.

    Shapes:
        features ``[T, N, C] -> [T, N, C]`` integer counts in ``[0, D]`` (time-major, sites act
        as the batch axis).
    """

    def __init__(self, *, levels: int = 4, beta: float = 0.0, rounding: str = "half_up") -> None:
        super().__init__()
        self.neuron = IntLIF(levels=levels, beta=beta, rounding=rounding, backend="torch")

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Spike every active site."""
        f = _check(x).features
        if f.shape[1] == 0:
            return x
        return x.replace_features(self.neuron(f))


class SparseLinear(nn.Module):
    """A per-site linear layer (``nn.Linear`` over the channels).

    Args:
        in_features: ``C_in``.
        out_features: ``C_out``.
        bias: learnable bias.

    Shapes:
        features ``[T, N, C_in] -> [T, N, C_out]``.
    """

    def __init__(self, *, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        nn.init.trunc_normal_(self.linear.weight, std=0.02)
        if self.linear.bias is not None:
            nn.init.zeros_(self.linear.bias)

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Apply the linear map at every site."""
        return x.replace_features(self.linear(_check(x).features))


def sparse_cat(tensors: list[SparseVoxelTensor]) -> SparseVoxelTensor:
    """Concatenate the channels of tensors on the same sites.

    Args:
        tensors: tensors sharing one site set (same ``coords`` object or equal coords).

    Returns:
        Tensor with ``sum(C_i)`` channels on those sites.

    Raises:
        ValueError: when the site sets differ.
    """
    first = tensors[0]
    for t in tensors[1:]:
        if t.coords is not first.coords and not torch.equal(t.coords, first.coords):
            raise ValueError("sparse_cat needs tensors on the same sites")
    return first.replace_features(torch.cat([t.features for t in tensors], -1))


class _SparsePool(nn.Module):
    reduce: str

    def __init__(
        self,
        *,
        kernel_size: int | tuple[int, int, int] = 2,
        stride: int | tuple[int, int, int] | None = None,
        padding: int | tuple[int, int, int] = 0,
    ) -> None:
        super().__init__()
        self.kernel_size = _triple(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _triple(stride, "stride")
        self.padding = _triple(padding, "padding")

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        """Pool the active inputs of each output window."""
        x = _check(x)
        key = (x.level, "conv", self.kernel_size, self.stride, self.padding)
        if key not in x.cache:
            x.cache[key] = strided_rulebook(
                x.coords, x.spatial_shape, self.kernel_size, self.stride, self.padding
            )
        rb: Rulebook = x.cache[key]
        f = x.features
        T, _, C = f.shape
        idx = rb.out_idx.view(1, -1, 1).expand(T, -1, C)
        src = f.index_select(1, rb.in_idx)
        out = f.new_zeros(T, rb.num_out, C).scatter_reduce(
            1, idx, src, reduce=self.reduce, include_self=False
        )
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


class SparseMaxPool3d(_SparsePool):
    """Max over the *active* inputs of each window (empty sites are ignored, not zeros).

    Args:
        kernel_size: window size.
        stride: step (default: ``kernel_size``).
        padding: zero padding.

    Shapes:
        features ``[T, N_in, C] -> [T, N_out, C]``; output sites as :class:`SparseConv3d`.
    """

    reduce = "amax"


class SparseAvgPool3d(_SparsePool):
    """Mean over the *active* inputs of each window.

    Args:
        kernel_size: window size.
        stride: step (default: ``kernel_size``).
        padding: zero padding.

    Shapes:
        features ``[T, N_in, C] -> [T, N_out, C]``; output sites as :class:`SparseConv3d`.
    """

    reduce = "mean"


def global_avg_pool(x: SparseVoxelTensor) -> torch.Tensor:
    """Per-sample mean over active sites (a scatter-mean by batch index).

    Args:
        x: sparse tensor.

    Returns:
        ``[T, B, C]``; a sample without sites gives zeros.
    """
    f = _check(x).features
    T, _, C = f.shape
    idx = x.batch_index.view(1, -1, 1).expand(T, -1, C)
    total = f.new_zeros(T, x.batch_size, C).scatter_add(1, idx, f)
    count = torch.bincount(x.batch_index, minlength=x.batch_size).clamp(min=1).to(f)
    return total / count.view(1, -1, 1)


def global_max_pool(x: SparseVoxelTensor) -> torch.Tensor:
    """Per-sample max over active sites.

    Args:
        x: sparse tensor.

    Returns:
        ``[T, B, C]``; a sample without sites gives zeros.
    """
    f = _check(x).features
    T, _, C = f.shape
    idx = x.batch_index.view(1, -1, 1).expand(T, -1, C)
    return f.new_zeros(T, x.batch_size, C).scatter_reduce(
        1, idx, f, reduce="amax", include_self=False
    )
