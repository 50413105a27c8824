"""Input checks shared by every package: clear errors that name the argument."""

from __future__ import annotations

import math

import torch

__all__ = [
    "check_finite",
    "check_floating",
    "check_positive",
    "check_probability",
    "check_rank",
    "check_state_shape",
    "check_tensor",
]


def check_tensor(x: object, name: str) -> torch.Tensor:
    """Raise ``TypeError`` unless ``x`` is a ``torch.Tensor``; return it."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x


def check_floating(x: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``TypeError`` unless ``x`` is a floating-point tensor."""
    check_tensor(x, name)
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    return x


def check_rank(x: torch.Tensor, name: str, min_rank: int, layout: str) -> torch.Tensor:
    """Raise ``ValueError`` when ``x`` has fewer than ``min_rank`` dimensions.

    Args:
        x: tensor to check.
        name: argument name used in the message.
        min_rank: the smallest accepted number of dimensions.
        layout: the expected layout, e.g. ``"[T, B, ...]"``, quoted in the message.
    """
    check_tensor(x, name)
    if x.dim() < min_rank:
        raise ValueError(
            f"{name} must have at least {min_rank} dimensions {layout}, got shape {tuple(x.shape)}"
        )
    return x


def check_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` if ``x`` holds a NaN or an infinity."""
    if torch.is_floating_point(x) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_positive(value: float | torch.Tensor, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` (a number or every tensor entry) is > 0 and finite."""
    if isinstance(value, torch.Tensor):
        ok = bool(torch.isfinite(value).all()) and bool((value > 0).all())
    else:
        ok = isinstance(value, int | float) and math.isfinite(value) and value > 0
    if not ok:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def check_probability(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``0 <= value <= 1``."""
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def check_state_shape(state: tuple[torch.Tensor, ...], shape: torch.Size, name: str) -> None:
    """Raise ``ValueError`` when a state tensor cannot broadcast to the input's step shape."""
    for field, value in zip(getattr(state, "_fields", range(len(state))), state, strict=True):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name}.{field} must be a torch.Tensor, got {type(value).__name__}")
        if value.shape != shape:
            raise ValueError(
                f"{name}.{field} has shape {tuple(value.shape)}, expected {tuple(shape)} "
                "(the shape of one input step)"
            )
