"""Legendre Memory Unit mathematics (Voelker, Kajic & Eliasmith, NeurIPS 2019).

Continuous memory of order ``d`` over a window ``theta`` (time steps): ``theta m' = A m + B u`` with::

    A[i, j] = (2i + 1) * (-1 if i < j else (-1)^(i - j + 1))
    B[i]    = (2i + 1) * (-1)^i

Zero-order hold with ``dt = 1``: ``Abar = exp(A / theta)``, ``Bbar = A^-1 (exp(A / theta) - I) B``,
computed as the top blocks of ``exp([[A/theta, B/theta], [0, 0]])``. Euler:
``Abar = I + A / theta``, ``Bbar = B / theta``.
"""

from __future__ import annotations

import torch

__all__ = ["discretize_lmu", "lmu_matrices"]


def lmu_matrices(
    order: int, *, dtype: torch.dtype = torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    """The continuous LMU matrices ``A`` ``[d, d]`` and ``B`` ``[d]``.

    Args:
        order: memory order ``d >= 1``.
        dtype: floating dtype of the result.

    Returns:
        ``(A, B)``.

    Raises:
        ValueError: if ``order`` is not an integer >= 1.

    Examples:
        >>> A, B = lmu_matrices(2)
        >>> A.tolist(), B.tolist()
        ([[-1.0, -1.0], [3.0, -3.0]], [1.0, -3.0])
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}")
    i = torch.arange(order, dtype=dtype, device="cpu").view(-1, 1)
    j = torch.arange(order, dtype=dtype, device="cpu").view(1, -1)
    sign = torch.where(i < j, torch.full_like(i * j, -1.0), (-1.0) ** (i - j + 1))
    A = (2 * i + 1) * sign
    B = (2 * i.flatten() + 1) * (-1.0) ** i.flatten()
    return A, B


def discretize_lmu(
    order: int,
    theta: float | torch.Tensor,
    *,
    method: str = "zoh",
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Discrete ``(Abar [d, d], Bbar [d])`` for ``dt = 1`` and window ``theta``.

    Args:
        order: memory order ``d >= 1``.
        theta: window length in time steps (> 0); a tensor keeps gradients (trainable theta).
        method: ``"zoh"`` (zero-order hold, default) or ``"euler"``.
        dtype: dtype when ``theta`` is a number.

    Returns:
        ``(Abar, Bbar)``; ``m_t = Abar m_{t-1} + Bbar u_t``.

    Raises:
        ValueError: for ``order < 1``, ``theta <= 0`` or an unknown method.
    """
    if method not in ("zoh", "euler"):
        raise ValueError(f"method must be 'zoh' or 'euler', got {method!r}")
    th = (
        theta
        if isinstance(theta, torch.Tensor)
        else torch.tensor(float(theta), dtype=dtype, device="cpu")
    )
    if not bool(torch.isfinite(th).all()) or not bool((th > 0).all()):
        raise ValueError(f"theta must be a positive finite number, got {theta!r}")
    A, B = lmu_matrices(order, dtype=th.dtype)
    A, B = A.to(th.device), B.to(th.device)
    if method == "euler":
        return torch.eye(order, dtype=th.dtype, device=th.device) + A / th, B / th
    bottom = torch.zeros(1, order + 1, dtype=th.dtype, device=th.device)
    aug = torch.cat([torch.cat([A / th, (B / th).unsqueeze(1)], dim=1), bottom], dim=0)
    e = torch.linalg.matrix_exp(aug)
    return e[:order, :order], e[:order, order]
