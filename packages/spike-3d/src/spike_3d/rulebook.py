"""Coordinate hashing and rulebooks: which input site feeds which output site through which weight.

Active sites are hashed to one linear key ``((b X + x) Y + y) Z + z`` (int64); a neighbour lookup
is a sorted search of those keys. A rulebook lists the valid ``(input, output, kernel offset)``
triples, grouped by kernel offset, so a sparse convolution is one gather-matmul-scatter per offset.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

__all__ = [
    "Rulebook",
    "coordinate_keys",
    "inverse_rulebook",
    "strided_rulebook",
    "submanifold_rulebook",
]


def _triple(value: int | tuple[int, ...], name: str) -> tuple[int, int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value, value)
    if (
        not isinstance(value, tuple | list)
        or len(value) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be an int or a tuple of three ints, got {value!r}")
    return (int(value[0]), int(value[1]), int(value[2]))


def coordinate_keys(coords: torch.Tensor, spatial_shape: tuple[int, int, int]) -> torch.Tensor:
    """Linear int64 key of each site: ``((b X + x) Y + y) Z + z``.

    Args:
        coords: ``[N, 4]`` integer sites ``(batch, x, y, z)`` inside ``spatial_shape``.
        spatial_shape: ``(X, Y, Z)``.

    Returns:
        ``[N]`` int64 keys, unique iff the sites are unique.

    Shapes:
        ``coords``: ``[N, 4]``; output ``[N]``.
    """
    X, Y, Z = spatial_shape
    c = coords.long()
    return ((c[:, 0] * X + c[:, 1]) * Y + c[:, 2]) * Z + c[:, 3]


@dataclass(frozen=True)
class Rulebook:
    """Valid ``(input, output, offset)`` pairs of one sparse convolution, grouped by offset.

    Attributes:
        in_idx: ``[P]`` input site index of each pair.
        out_idx: ``[P]`` output site index of each pair.
        offset_ptr: ``K + 1`` python ints; the pairs of kernel offset ``k`` are
            ``offset_ptr[k]:offset_ptr[k + 1]``.
        num_in: number of input sites.
        num_out: number of output sites.
        out_coords: ``[num_out, 4]`` output sites.
        out_shape: output spatial shape ``(X, Y, Z)``.
    """

    in_idx: torch.Tensor
    out_idx: torch.Tensor
    offset_ptr: tuple[int, ...]
    num_in: int
    num_out: int
    out_coords: torch.Tensor
    out_shape: tuple[int, int, int]

    @property
    def num_pairs(self) -> int:
        """``|P|``, the number of valid pairs."""
        return int(self.in_idx.numel())

    @property
    def kernel_volume(self) -> int:
        """``K``, the number of kernel offsets."""
        return len(self.offset_ptr) - 1

    def input_counts(self) -> torch.Tensor:
        """``[num_in]``: how many pairs read each input site."""
        return torch.bincount(self.in_idx, minlength=self.num_in)


def _grouped(
    in_idx: torch.Tensor, out_idx: torch.Tensor, found: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, tuple[int, ...]]:
    """Flatten ``[K, N]`` candidate pairs (``found`` mask) into offset-grouped pair lists."""
    counts = found.sum(1).tolist()
    ptr = tuple(itertools.accumulate(counts, initial=0))
    return in_idx[found], out_idx[found], ptr


def submanifold_rulebook(
    coords: torch.Tensor,
    spatial_shape: tuple[int, int, int],
    kernel_size: int | tuple[int, int, int] = 3,
) -> Rulebook:
    """Rulebook of a submanifold convolution: outputs exactly at the input sites.

    Output ``q`` reads input ``q + k - (kernel_size // 2)`` for every kernel offset ``k`` whose
    input is active, which is a dense ``conv3d`` with padding ``kernel_size // 2`` restricted to
    the active set.

    Args:
        coords: ``[N, 4]`` unique sites ``(batch, x, y, z)``.
        spatial_shape: ``(X, Y, Z)``.
        kernel_size: odd kernel size per axis.

    Returns:
        The :class:`Rulebook` (``out_coords`` is ``coords``).

    Raises:
        ValueError: for an even kernel size.
    """
    ks = _triple(kernel_size, "kernel_size")
    if any(k % 2 == 0 or k < 1 for k in ks):
        raise ValueError(f"kernel_size must be odd and positive for a submanifold conv, got {ks}")
    device = coords.device
    c = coords.long()
    n = c.shape[0]
    X, Y, Z = spatial_shape
    # Work in key order: each offset shifts every key by a constant, so the queries of one offset
    # are themselves sorted (cache-friendly search) and no neighbour coordinates are built.
    sorted_keys, order = coordinate_keys(c, spatial_shape).sort()
    cs = c[order]
    offs = torch.tensor(
        list(itertools.product(*[range(-(k // 2), k // 2 + 1) for k in ks])),
        dtype=torch.long,
        device=device,
    )
    shift = (offs[:, 0] * Y + offs[:, 1]) * Z + offs[:, 2]
    queries = sorted_keys.unsqueeze(0) + shift.unsqueeze(1)  # [K, N]
    inside = torch.ones_like(queries, dtype=torch.bool)
    for axis, size in enumerate((X, Y, Z)):
        moved = cs[:, 1 + axis].unsqueeze(0) + offs[:, axis].unsqueeze(1)
        inside &= (moved >= 0) & (moved < size)
    if n == 0:
        pos = torch.zeros_like(queries)
        found = torch.zeros_like(inside)
    else:
        pos = torch.searchsorted(sorted_keys, queries).clamp_(max=n - 1)
        found = inside & (sorted_keys[pos] == queries)
    in_idx = order[pos]
    out_idx = order.expand_as(queries)
    i, o, ptr = _grouped(in_idx, out_idx, found)
    return Rulebook(i, o, ptr, n, n, c, tuple(spatial_shape))  # type: ignore[arg-type]


def strided_rulebook(
    coords: torch.Tensor,
    spatial_shape: tuple[int, int, int],
    kernel_size: int | tuple[int, int, int],
    stride: int | tuple[int, int, int],
    padding: int | tuple[int, int, int] = 0,
) -> Rulebook:
    """Rulebook of a regular (strided) sparse convolution.

    An output site ``q`` is active when some kernel offset ``k`` gives an active input
    ``p = q * stride - padding + k``, exactly the sites where a dense ``conv3d`` with the same
    kernel, stride and padding sees a non-zero input. With ``kernel_size == stride`` and no
    padding the output sites are the parent cells ``floor(p / stride)`` (no dilation).

    Args:
        coords: ``[N, 4]`` unique sites ``(batch, x, y, z)``.
        spatial_shape: ``(X, Y, Z)`` of the input.
        kernel_size: kernel size per axis.
        stride: stride per axis.
        padding: zero padding per axis.

    Returns:
        The :class:`Rulebook`; output sites are sorted by linear key.

    Raises:
        ValueError: for a non-positive kernel/stride, negative padding, or an empty output grid.
    """
    ks = _triple(kernel_size, "kernel_size")
    st = _triple(stride, "stride")
    pd = _triple(padding, "padding")
    if min(ks) < 1 or min(st) < 1 or min(pd) < 0:
        raise ValueError(f"need kernel_size >= 1, stride >= 1, padding >= 0; got {ks}, {st}, {pd}")
    out_shape = tuple(
        (s + 2 * p - k) // t + 1 for s, k, t, p in zip(spatial_shape, ks, st, pd, strict=True)
    )
    if min(out_shape) < 1:
        raise ValueError(f"spatial_shape {tuple(spatial_shape)} is too small for kernel_size {ks}")
    device = coords.device
    c = coords.long()
    n = c.shape[0]
    offs = torch.tensor(
        list(itertools.product(*[range(k) for k in ks])), dtype=torch.long, device=device
    )
    num = c[None, :, 1:] + torch.tensor(pd, device=device) - offs[:, None, :]  # [K, N, 3]
    stv = torch.tensor(st, device=device)
    q = torch.div(num, stv, rounding_mode="floor")
    valid = (
        ((num % stv) == 0).all(-1)
        & (q >= 0).all(-1)
        & (q < torch.tensor(out_shape, device=device)).all(-1)
    )
    Xo, Yo, Zo = out_shape
    qkeys = ((c[None, :, 0] * Xo + q[..., 0]) * Yo + q[..., 1]) * Zo + q[..., 2]
    uniq, inverse = torch.unique(qkeys[valid], return_inverse=True)
    out_idx = torch.zeros_like(qkeys)
    out_idx[valid] = inverse
    in_idx = torch.arange(n, device=device).expand_as(qkeys)
    i, o, ptr = _grouped(in_idx, out_idx, valid)
    b = torch.div(uniq, Xo * Yo * Zo, rounding_mode="floor")
    r = uniq - b * (Xo * Yo * Zo)
    x = torch.div(r, Yo * Zo, rounding_mode="floor")
    r = r - x * (Yo * Zo)
    y = torch.div(r, Zo, rounding_mode="floor")
    z = r - y * Zo
    out_coords = torch.stack([b, x, y, z], 1)
    return Rulebook(i, o, ptr, n, int(uniq.numel()), out_coords, out_shape)  # type: ignore[arg-type]


def inverse_rulebook(
    rulebook: Rulebook, in_coords: torch.Tensor, in_shape: tuple[int, int, int]
) -> Rulebook:
    """Transpose a strided rulebook: route the coarse sites back to the fine input sites.

    Args:
        rulebook: the rulebook of the strided convolution being inverted.
        in_coords: ``[N, 4]`` the fine sites that convolution read (the new outputs).
        in_shape: spatial shape of those fine sites.

    Returns:
        A :class:`Rulebook` from ``rulebook.num_out`` coarse inputs to ``rulebook.num_in`` fine
        outputs with the same offset grouping; a transposed dense convolution at the fine sites.
    """
    return Rulebook(
        rulebook.out_idx,
        rulebook.in_idx,
        rulebook.offset_ptr,
        rulebook.num_out,
        rulebook.num_in,
        in_coords,
        tuple(in_shape),  # type: ignore[arg-type]
    )
