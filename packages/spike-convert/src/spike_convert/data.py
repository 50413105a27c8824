"""Sequential digit tasks: S-Digits / PS-Digits (embedded) and S-MNIST / PS-MNIST (local IDX files).

* **S-Digits**: scikit-learn's bundled 8x8 UCI digits (1,797 images, intensities 0..16 scaled to
  ``[0, 1]``) read pixel by pixel in raster order: a sequence of 64 elements with 1 feature; element
  ``n`` is pixel ``(n // 8, n % 8)``. The embedded analogue of S-MNIST (784 elements).
* **PS-Digits**: the same with the 64 positions reordered by one fixed permutation
  (``torch.randperm(64)`` from a ``torch.Generator`` seeded with 0, :func:`sequence_permutation`),
  applied identically to every sample: element ``n`` is pixel ``perm[n]``.
* Split: a fixed shuffle of the 1,797 indices (generator seed 0); the last ``round(0.2 * 1797) = 359``
  images are the test set (1,438 train).
* **S-MNIST / PS-MNIST** from local ``*-images-idx3-ubyte`` / ``*-labels-idx1-ubyte`` files
  (optionally ``.gz``): 784 elements, intensities ``/ 255``, permutation seed 0 by default.

Sequences are returned time-major: ``x`` is ``[N, B, 1]`` and ``y`` is ``[B]`` (int64).
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "digits_images",
    "digits_split",
    "image_sequences",
    "load_sequential_mnist",
    "read_idx",
    "sequence_permutation",
    "sequential_digits",
    "write_idx",
]

_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_SPLITS = ("train", "test", "all")


def sequence_permutation(length: int, seed: int = 0) -> torch.Tensor:
    """The fixed permutation of PS-Digits / PS-MNIST: ``torch.randperm(length)`` with ``seed``.

    Args:
        length: sequence length (64 for digits, 784 for MNIST).
        seed: generator seed (package default 0).

    Returns:
        A permutation of ``0..length-1`` (int64).
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive int, got {length!r}")
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randperm(length, generator=gen)


def image_sequences(images: torch.Tensor, permutation: torch.Tensor | None = None) -> torch.Tensor:
    """Raster-order pixel sequences (optionally permuted), time-major.

    Args:
        images: ``[B, H, W]`` intensities.
        permutation: optional permutation of ``0..H*W-1``; element ``n`` becomes pixel
            ``permutation[n]``.

    Returns:
        ``[H * W, B, 1]``.

    Shapes:
        ``[B, H, W] -> [H*W, B, 1]``.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 3:
        raise ValueError(
            f"images must be a [B, H, W] tensor, got {getattr(images, 'shape', type(images))}"
        )
    flat = images.reshape(images.shape[0], -1)
    if permutation is not None:
        if sorted(permutation.tolist()) != list(range(flat.shape[1])):
            raise ValueError(f"permutation must be a permutation of 0..{flat.shape[1] - 1}")
        flat = flat[:, permutation]
    return flat.t().unsqueeze(-1).contiguous()


def digits_images() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled UCI digits as ``([1797, 8, 8] in [0, 1], [1797] labels)``.

    Returns:
        ``(images float32, labels int64)``.

    Raises:
        ImportError: scikit-learn missing (install the ``data`` extra).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the digits tasks need scikit-learn: pip install 'spike-convert[data]'"
        ) from exc
    d = load_digits()
    images = torch.from_numpy(np.asarray(d.images, dtype=np.float32) / 16.0)
    return images, torch.from_numpy(np.asarray(d.target, dtype=np.int64))


def _split_indices(n: int, split: str) -> torch.Tensor:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    n_test = round(0.2 * n)
    if split == "train":
        return order[: n - n_test]
    if split == "test":
        return order[n - n_test :]
    return torch.arange(n)


def sequential_digits(
    split: str = "train", *, permuted: bool = False, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """S-Digits (``permuted=False``) or PS-Digits sequences.

    Args:
        split: ``"train"`` (1,438), ``"test"`` (359) or ``"all"`` (1,797).
        permuted: apply the fixed permutation (PS-Digits).
        seed: permutation seed.

    Returns:
        ``(x [64, B, 1], y [B])``.

    Shapes:
        ``x`` time-major ``[N=64, B, 1]``.
    """
    images, labels = digits_images()
    idx = _split_indices(images.shape[0], split)
    perm = sequence_permutation(64, seed) if permuted else None
    return image_sequences(images[idx], perm), labels[idx]


def digits_split(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The 8x8 digits as images, with the same fixed split as :func:`sequential_digits`.

    Args:
        split: ``"train"`` (1,438), ``"test"`` (359) or ``"all"``.

    Returns:
        ``(images [B, 1, 8, 8] in [0, 1], labels [B])``.

    Shapes:
        Batch-major images ``[B, 1, 8, 8]`` (what a CNN or ``nn.Flatten`` MLP takes).
    """
    images, labels = digits_images()
    idx = _split_indices(images.shape[0], split)
    return images[idx].unsqueeze(1), labels[idx]


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzip-compressed.

    Args:
        path: file path (``.gz`` is decompressed).

    Returns:
        The array with the stored dtype and shape.

    Raises:
        FileNotFoundError: missing file.
        ValueError: corrupt header or truncated data.
    """
    p = Path(path)
    raw = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{p} is not an IDX file (bad magic number)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{p} is truncated (header)")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(dims)) if dims else 1
    body = raw[4 + 4 * ndim :]
    if len(body) != count * dtype.itemsize:
        raise ValueError(
            f"{p} is corrupt: expected {count * dtype.itemsize} data bytes for shape {dims}, "
            f"got {len(body)}"
        )
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as an uncompressed IDX file, atomically (temp file + rename).

    Args:
        path: destination.
        array: ``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or ``float64`` data.
    """
    arr = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"array dtype {arr.dtype} cannot be stored in IDX")
    code = codes[native]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = arr.astype(np.dtype(_IDX_TYPES[code])).tobytes()
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=p.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header + data)
        Path(tmp).replace(p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _find(root: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        if (root / name).exists():
            return root / name
    raise FileNotFoundError(f"{stem}[.gz] not found in {root}")


def load_sequential_mnist(
    root: str | os.PathLike[str],
    split: str = "train",
    *,
    permuted: bool = False,
    seed: int = 0,
    limit: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """S-MNIST / PS-MNIST from local IDX files (nothing is downloaded).

    Args:
        root: folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``).
        split: ``"train"`` or ``"test"``.
        permuted: apply the fixed permutation of ``0..783`` (PS-MNIST).
        seed: permutation seed (default 0).
        limit: keep only the first ``limit`` samples.

    Returns:
        ``(x [784, B, 1] in [0, 1], y [B])``.

    Raises:
        FileNotFoundError: missing files. ValueError: corrupt files or mismatched counts.

    Shapes:
        ``x`` time-major ``[H*W, B, 1]`` (784 for 28x28 images).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    r = Path(root)
    images = read_idx(_find(r, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(r, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"images {images.shape} and labels {labels.shape} do not form a [B, H, W] / [B] pair"
        )
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    perm = sequence_permutation(x.shape[1] * x.shape[2], seed) if permuted else None
    return image_sequences(x, perm), torch.from_numpy(labels.astype(np.int64))
