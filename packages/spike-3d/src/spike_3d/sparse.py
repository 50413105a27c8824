"""A sparse voxel tensor in pure torch: active sites, their time-major features and a rulebook cache."""

from __future__ import annotations

from typing import Any

import torch

from spike_3d.rulebook import coordinate_keys
from spike_core._validation import check_tensor

__all__ = ["SparseVoxelTensor"]


class SparseVoxelTensor:
    """Active voxels of a batch of grids, with time-major features.

    Sites are ``coords[i] = (batch, x, y, z)``; site ``i`` carries ``features[:, i, :]`` (one row
    per time step). Every site listed is *active* (occupied), even when its features are zero.
    Rulebooks built for this set of sites are cached in ``cache`` and shared by every tensor
    derived from it with :meth:`replace_features`, so all layers at one resolution reuse them.

    Args:
        features: ``[T, N, C]`` floating features (time-major; ``T = 1`` for a static cloud).
        coords: ``[N, 4]`` integer sites ``(batch, x, y, z)``, unique.
        spatial_shape: ``(X, Y, Z)``; every site satisfies ``0 <= x < X`` etc.
        batch_size: ``B``; every batch index is in ``[0, B)``.
        tensor_stride: voxel size of this level relative to the input grid.
        level: name of the site set (rulebook cache key); derived levels append to it.
        cache: rulebook cache to share (internal; a new dict by default).
        validate: check ranks, dtypes, ranges and uniqueness (skip only for trusted inputs).

    Shapes:
        ``features``: ``[T, N, C]``; ``coords``: ``[N, 4]``; :meth:`to_dense` gives
        ``[T, B, C, X, Y, Z]``.

    Raises:
        TypeError: for non-tensors or wrong dtypes.
        ValueError: for wrong ranks, mismatched ``N``, sites outside the grid or batch, duplicates,
            or non-finite features.

    Examples:
        >>> coords = torch.tensor([[0, 1, 2, 3], [1, 0, 0, 0]])
        >>> x = SparseVoxelTensor(torch.ones(1, 2, 4), coords, (4, 4, 4), batch_size=2)
        >>> x.to_dense().shape
        torch.Size([1, 2, 4, 4, 4, 4])
    """

    def __init__(
        self,
        features: torch.Tensor,
        coords: torch.Tensor,
        spatial_shape: tuple[int, int, int] | list[int],
        batch_size: int,
        *,
        tensor_stride: tuple[int, int, int] = (1, 1, 1),
        level: str = "input",
        cache: dict[Any, Any] | None = None,
        validate: bool = True,
    ) -> None:
        shape = tuple(int(s) for s in spatial_shape)
        if validate:
            _validate(features, coords, shape, batch_size)
        self.features = features
        self.coords = coords.long()
        self.spatial_shape: tuple[int, int, int] = shape  # type: ignore[assignment]
        self.batch_size = int(batch_size)
        self.tensor_stride = tuple(tensor_stride)
        self.level = level
        self.cache: dict[Any, Any] = {} if cache is None else cache

    @property
    def time_steps(self) -> int:
        """``T``."""
        return int(self.features.shape[0])

    @property
    def num_sites(self) -> int:
        """``N``, the number of active sites."""
        return int(self.coords.shape[0])

    @property
    def num_channels(self) -> int:
        """``C``."""
        return int(self.features.shape[-1])

    @property
    def batch_index(self) -> torch.Tensor:
        """``[N]`` batch index of each site."""
        return self.coords[:, 0]

    def replace_features(self, features: torch.Tensor) -> SparseVoxelTensor:
        """Same sites (and rulebook cache) with new features ``[T, N, C']``."""
        if features.dim() != 3 or features.shape[1] != self.num_sites:
            raise ValueError(
                f"features must be [T, {self.num_sites}, C], got shape {tuple(features.shape)}"
            )
        return SparseVoxelTensor(
            features,
            self.coords,
            self.spatial_shape,
            self.batch_size,
            tensor_stride=self.tensor_stride,  # type: ignore[arg-type]
            level=self.level,
            cache=self.cache,
            validate=False,
        )

    def pad_spatial_shape(self, multiple: int) -> SparseVoxelTensor:
        """Same sites on a grid enlarged to a multiple of ``multiple`` per axis.

        Strided convolutions drop sites beyond ``(X - k) // s * s + k``; padding the grid to a
        multiple of the total stride keeps every site (the reference code adds 96 cells).
        """
        if not isinstance(multiple, int) or multiple < 1:
            raise ValueError(f"multiple must be a positive int, got {multiple!r}")
        shape = tuple(-(-s // multiple) * multiple for s in self.spatial_shape)
        return SparseVoxelTensor(
            self.features,
            self.coords,
            shape,  # type: ignore[arg-type]
            self.batch_size,
            tensor_stride=self.tensor_stride,  # type: ignore[arg-type]
            level=self.level,
            cache=self.cache,
            validate=False,
        )

    def repeat_time(self, time_steps: int) -> SparseVoxelTensor:
        """Repeat ``T = 1`` features over ``time_steps`` steps (direct encoding)."""
        if not isinstance(time_steps, int) or time_steps < 1:
            raise ValueError(f"time_steps must be a positive int, got {time_steps!r}")
        if self.time_steps != 1:
            raise ValueError(f"repeat_time needs T = 1 features, got T = {self.time_steps}")
        return self.replace_features(self.features.expand(time_steps, -1, -1).contiguous())

    def to_dense(self) -> torch.Tensor:
        """Dense grid with zeros outside the active set.

        Returns:
            ``[T, B, C, X, Y, Z]`` in the features' dtype and device.
        """
        T, _, C = self.features.shape
        X, Y, Z = self.spatial_shape
        dense = self.features.new_zeros(T, self.batch_size, X, Y, Z, C)
        b, x, y, z = self.coords.unbind(1)
        dense[:, b, x, y, z] = self.features
        return dense.permute(0, 1, 5, 2, 3, 4)

    @classmethod
    def from_dense(
        cls, dense: torch.Tensor, active: torch.Tensor | None = None
    ) -> SparseVoxelTensor:
        """Sparse view of a dense grid.

        Args:
            dense: ``[T, B, C, X, Y, Z]``.
            active: optional ``[B, X, Y, Z]`` boolean occupancy; default: sites where any time
                step or channel is non-zero.

        Returns:
            The :class:`SparseVoxelTensor` (sites sorted by linear key).
        """
        check_tensor(dense, "dense")
        if dense.dim() != 6:
            raise ValueError(f"dense must be [T, B, C, X, Y, Z], got shape {tuple(dense.shape)}")
        if active is None:
            active = (dense != 0).any(0).any(1)
        coords = active.nonzero()
        b, x, y, z = coords.unbind(1)
        feats = dense.permute(0, 1, 3, 4, 5, 2)[:, b, x, y, z]
        return cls(feats, coords, tuple(dense.shape[3:]), dense.shape[1])  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return (
            f"SparseVoxelTensor(T={self.time_steps}, N={self.num_sites}, C={self.num_channels}, "
            f"B={self.batch_size}, spatial_shape={self.spatial_shape}, "
            f"tensor_stride={self.tensor_stride})"
        )


def _validate(
    features: torch.Tensor, coords: torch.Tensor, shape: tuple[int, ...], batch_size: int
) -> None:
    check_tensor(features, "features")
    check_tensor(coords, "coords")
    if not features.is_floating_point():
        raise TypeError(f"features must be floating point, got dtype {features.dtype}")
    if coords.is_floating_point() or coords.dtype == torch.bool:
        raise TypeError(f"coords must be an integer tensor, got dtype {coords.dtype}")
    if features.dim() != 3:
        raise ValueError(f"features must be [T, N, C], got shape {tuple(features.shape)}")
    if coords.dim() != 2 or coords.shape[1] != 4:
        raise ValueError(f"coords must be [N, 4] (batch, x, y, z), got shape {tuple(coords.shape)}")
    if features.shape[1] != coords.shape[0]:
        raise ValueError(f"features has {features.shape[1]} sites but coords has {coords.shape[0]}")
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"spatial_shape must be three positive ints, got {shape}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if coords.numel():
        lo = coords.min(0).values
        hi = coords.max(0).values
        limits = (batch_size, *shape)
        if bool((lo < 0).any()) or any(
            int(h) >= m for h, m in zip(hi.tolist(), limits, strict=True)
        ):
            raise ValueError(
                f"coords must lie in [0, {limits}) per column (batch, x, y, z); "
                f"got min {lo.tolist()}, max {hi.tolist()}"
            )
        keys = coordinate_keys(coords, shape)
        if torch.unique(keys).numel() != keys.numel():
            raise ValueError("coords must be unique (one row per active site)")
    if not bool(torch.isfinite(features).all()):
        raise ValueError("features contains NaN or infinite values")
