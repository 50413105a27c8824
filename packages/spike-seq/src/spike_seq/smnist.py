"""Sequential MNIST (S-MNIST) and permuted sequential MNIST (PS-MNIST) sequence builders.

Each 28 x 28 image becomes a sequence of 784 steps with one input feature, in raster order
(pixel ``(r, c)`` is step ``28 r + c``); PS-MNIST reorders the steps by one fixed permutation
``pi`` (step ``n`` is pixel ``pi[n]``), the same for every image and split. No data are
downloaded: pass image tensors (e.g. from torchvision) in.
"""

from __future__ import annotations

import torch

from spike_core._validation import check_tensor

__all__ = ["ps_mnist_permutation", "sequential_mnist"]


def ps_mnist_permutation(seed: int = 0, *, length: int = 784) -> torch.Tensor:
    """The fixed PS-MNIST permutation of ``0..length-1`` drawn with ``seed`` (CPU generator).

    Args:
        seed: generator seed (package default 0; the papers' seed is unconfirmed).
        length: sequence length.

    Returns:
        An int64 permutation ``[length]``.
    """
    return torch.randperm(length, generator=torch.Generator().manual_seed(seed))


def sequential_mnist(
    images: torch.Tensor, *, permutation: torch.Tensor | None = None
) -> torch.Tensor:
    """Turn images into time-major pixel sequences.

    Args:
        images: ``[N, 28, 28]``, ``[N, 1, 28, 28]`` or ``[N, 784]``; integers (0-255) are scaled to
            [0, 1], floats are kept.
        permutation: optional bijection of ``0..783`` (PS-MNIST); step ``n`` takes pixel
            ``permutation[n]``.

    Returns:
        Sequences ``[784, N, 1]`` (time-major).

    Raises:
        ValueError: for a wrong shape or a permutation that is not a bijection of ``0..783``.
    """
    check_tensor(images, "images")
    if images.dim() >= 2 and images.shape[1:] in ((28, 28), (1, 28, 28), (784,)):
        flat = images.reshape(images.shape[0], 784)
    else:
        raise ValueError(
            f"images must have shape [N, 28, 28], [N, 1, 28, 28] or [N, 784], got {tuple(images.shape)}"
        )
    flat = flat.float() / 255.0 if not flat.is_floating_point() else flat
    if permutation is not None:
        check_tensor(permutation, "permutation")
        ok = permutation.shape == (784,) and torch.equal(
            torch.sort(permutation.long()).values, torch.arange(784, device=permutation.device)
        )
        if not ok:
            raise ValueError("permutation must be a bijection of 0..783 (shape [784])")
        flat = flat[:, permutation.long().to(flat.device)]
    return flat.T.unsqueeze(-1).contiguous()
