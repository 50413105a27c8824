"""Batch-norm folding: ``W' = gamma / sigma * W``, ``b' = gamma / sigma * (b - mu) + beta``."""

from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["fold_batchnorm"]

_FOLDABLE = (nn.Linear, nn.Conv1d, nn.Conv2d)
_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


@torch.no_grad()
def _fold_into(
    layer: nn.Linear | nn.Conv1d | nn.Conv2d, bn: nn.modules.batchnorm._BatchNorm
) -> None:
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a BatchNorm without running statistics (track_running_stats)")
    if bn.num_features != layer.weight.shape[0]:
        raise ValueError(
            f"BatchNorm has {bn.num_features} features but the preceding layer has "
            f"{layer.weight.shape[0]} outputs"
        )
    w = layer.weight
    inv_std = torch.rsqrt(bn.running_var.to(w) + bn.eps)
    gamma = bn.weight.to(w) if bn.weight is not None else torch.ones_like(inv_std)
    beta = bn.bias.to(w) if bn.bias is not None else torch.zeros_like(inv_std)
    scale = gamma * inv_std
    bias = layer.bias if layer.bias is not None else w.new_zeros(w.shape[0])
    new_bias = scale * (bias - bn.running_mean.to(w)) + beta
    layer.weight.copy_(w * scale.view(-1, *([1] * (w.dim() - 1))))
    if layer.bias is None:
        layer.bias = nn.Parameter(new_bias)
    else:
        layer.bias.copy_(new_bias)


def _fold_sequential(seq: nn.Sequential, prefix: str) -> None:
    names = list(seq._modules)
    for i, name in enumerate(names):
        module = seq._modules[name]
        full = f"{prefix}{name}"
        if isinstance(module, _BATCHNORMS):
            prev = seq._modules[names[i - 1]] if i > 0 else None
            if not isinstance(prev, _FOLDABLE):
                raise ValueError(
                    f"layer {full!r} (BatchNorm) must directly follow a Linear/Conv1d/Conv2d to be "
                    "folded"
                )
            _fold_into(prev, module)
            seq._modules[name] = nn.Identity()
        else:
            fold_children(module, f"{full}.")


def fold_children(module: nn.Module | None, prefix: str = "") -> None:
    """Fold every BatchNorm inside ``module`` in place (internal helper of :func:`fold_batchnorm`)."""
    if module is None:
        return
    if isinstance(module, nn.Sequential):
        _fold_sequential(module, prefix)
        return
    if isinstance(module, _BATCHNORMS):
        raise ValueError(
            f"layer {prefix.rstrip('.')!r} (BatchNorm) has no preceding layer to fold into"
        )
    for name, child in module.named_children():
        fold_children(child, f"{prefix}{name}.")


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Return a copy of ``model`` with every BatchNorm folded into the layer before it.

    Folding uses the running statistics (evaluation-mode BN) and replaces the BN by
    ``nn.Identity``, so the folded model computes the same function in eval mode.

    Args:
        model: a network whose ``BatchNorm1d``/``BatchNorm2d`` layers each directly follow a
            ``Linear``/``Conv1d``/``Conv2d`` inside an ``nn.Sequential``.

    Returns:
        The folded copy (``model`` itself is unchanged).

    Raises:
        ValueError: a BatchNorm that does not follow a foldable layer (the message names it).

    Shapes:
        Unchanged: the folded model takes and returns what ``model`` does.

    Examples:
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).eval()
        >>> folded = fold_batchnorm(net)
        >>> x = torch.randn(2, 4)
        >>> torch.allclose(folded(x), net(x), atol=1e-6)
        True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    folded = copy.deepcopy(model)
    fold_children(folded)
    return folded
