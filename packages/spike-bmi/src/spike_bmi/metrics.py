"""The NeuroBench R² of decoded velocity, accumulated over batches.

Per axis ``d``: ``R²_d = 1 - sum (y_d - ŷ_d)² / sum (y_d - mean(y_d))²`` over the whole test
split; the score is the mean over axes (``(R²_x + R²_y) / 2``). Moments are merged with Chan's
parallel formulas so batch-wise accumulation equals the one-shot value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["R2Result", "R2Score", "r2_score"]


def _as_2d(x: object, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        arr = x.detach().cpu().double().numpy()
    elif isinstance(x, np.ndarray):
        arr = x.astype(np.float64)
    else:
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if arr.ndim < 1:
        raise ValueError(f"{name} must have at least 1 dimension [..., axes], got a scalar")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1 else arr.reshape(-1, 1)


@dataclass(frozen=True)
class R2Result:
    """R² and companions over everything seen.

    Attributes:
        r2: mean of the per-axis R² (the NeuroBench score).
        r2_per_axis: per-axis R².
        mse: per-axis mean squared error.
        corr: per-axis Pearson correlation.
        count: number of samples.
    """

    r2: float
    r2_per_axis: tuple[float, ...]
    mse: tuple[float, ...]
    corr: tuple[float, ...]
    count: int


class R2Score:
    """Streaming accumulator of the NeuroBench R².

    Examples:
        >>> m = R2Score()
        >>> y = torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
        >>> m.update(y, y)
        >>> m.compute().r2
        1.0
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything seen."""
        self.n = 0
        self.mean_y: np.ndarray | None = None
        self.mean_p: np.ndarray | None = None
        self.m2_y: np.ndarray | None = None
        self.m2_p: np.ndarray | None = None
        self.c_yp: np.ndarray | None = None
        self.sse: np.ndarray | None = None

    def update(self, pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray) -> None:
        """Add a batch.

        Args:
            pred: predictions ``[..., axes]`` (e.g. ``[T, B, 2]``).
            target: labels of the same shape.

        Raises:
            ValueError: for mismatched shapes, a changed axis count, or non-finite values.
        """
        p, y = _as_2d(pred, "pred"), _as_2d(target, "target")
        if p.shape != y.shape:
            raise ValueError(
                f"pred and target must have the same shape, got {p.shape} and {y.shape}"
            )
        nb = p.shape[0]
        if nb == 0:
            return
        my, mp = y.mean(0), p.mean(0)
        dy, dp = y - my, p - mp
        m2y, m2p, cyp = (dy * dy).sum(0), (dp * dp).sum(0), (dy * dp).sum(0)
        sse = ((y - p) ** 2).sum(0)
        if self.n == 0:
            self.mean_y, self.mean_p, self.m2_y, self.m2_p, self.c_yp, self.sse = (
                my,
                mp,
                m2y,
                m2p,
                cyp,
                sse,
            )
            self.n = nb
            return
        assert self.mean_y is not None
        assert self.mean_p is not None
        if my.shape != self.mean_y.shape:
            raise ValueError(f"pred has {my.size} axes, earlier batches had {self.mean_y.size}")
        na, n = self.n, self.n + nb
        ddy, ddp = my - self.mean_y, mp - self.mean_p
        self.m2_y = self.m2_y + m2y + ddy * ddy * na * nb / n  # type: ignore[operator]
        self.m2_p = self.m2_p + m2p + ddp * ddp * na * nb / n  # type: ignore[operator]
        self.c_yp = self.c_yp + cyp + ddy * ddp * na * nb / n  # type: ignore[operator]
        self.mean_y = self.mean_y + ddy * nb / n
        self.mean_p = self.mean_p + ddp * nb / n
        self.sse = self.sse + sse  # type: ignore[operator]
        self.n = n

    def compute(self) -> R2Result:
        """R² over everything seen.

        Returns:
            The :class:`R2Result`; an axis whose labels are constant has R² ``nan``.

        Raises:
            ValueError: if nothing was added.
        """
        if self.n == 0:
            raise ValueError("R2Score.compute() called before any update()")
        assert self.m2_y is not None
        assert self.sse is not None
        assert self.m2_p is not None
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = 1.0 - self.sse / self.m2_y
            corr = self.c_yp / np.sqrt(self.m2_y * self.m2_p)  # type: ignore[operator]
        return R2Result(
            float(r2.mean()),
            tuple(float(v) for v in r2),
            tuple(float(v) for v in self.sse / self.n),
            tuple(float(v) for v in corr),
            self.n,
        )


def r2_score(pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray) -> float:
    """One-shot NeuroBench R² (mean over the last axis of per-axis R²).

    Args:
        pred: predictions ``[..., axes]``.
        target: labels, same shape.

    Returns:
        The score.
    """
    m = R2Score()
    m.update(pred, target)
    return m.compute().r2
