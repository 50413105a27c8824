"""Fine-grained distillation (FGD) of Q-SDSA features toward an ANN teacher (project default form).

For block ``l`` and ``X in {Q, K, V}`` with head-merged features ``X`` of shape ``[N, C]``::

    R(X)   = softmax_row(X X^T / sqrt(C))                       # N x N token relations
    L_FGD  = 1 / (3 L) sum_l sum_X KL(R(X_teacher) || R(X_student))   (batch and row mean)
    L      = L_CE + lambda L_FGD,  lambda = 1

Relation matrices are ``N x N``, so teacher and student widths may differ. The teacher is
detached. The paper's exact distance is unconfirmed; this is the project's documented default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from spike_core._validation import check_finite, check_rank, check_tensor

__all__ = ["FGDLoss", "fgd_loss", "relation_matrix", "spike_entropy"]


def relation_matrix(x: torch.Tensor) -> torch.Tensor:
    """Log of the row-softmax token relation ``softmax(X X^T / sqrt(C))``.

    Args:
        x: features ``[..., N, C]`` (leading dims are batch-like, e.g. ``[T, B]`` or
            ``[B, heads]`` merged by the caller).

    Returns:
        Log-probabilities ``[..., N, N]``.
    """
    check_rank(x, "x", 2, "[..., N, C]")
    return F.log_softmax(x @ x.transpose(-1, -2) / math.sqrt(x.shape[-1]), dim=-1)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``[..., heads, N, d] -> [..., N, heads*d]`` for 5-D Q-SDSA features, else unchanged."""
    if x.dim() == 5:  # [T, B, heads, N, d]
        T, B, h, N, d = x.shape
        return x.permute(0, 1, 3, 2, 4).reshape(T * B, N, h * d)
    return x


def fgd_loss(
    student: Sequence[Sequence[torch.Tensor]], teacher: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """FGD loss between matched blocks of student and teacher ``(Q, K, V)`` features.

    Args:
        student: per block a ``(q, k, v)`` triple, each ``[B, N, C_s]`` or Q-SDSA's
            ``[T, B, heads, N, d]`` (heads merged; T folded into B).
        teacher: per block a ``(q, k, v)`` triple ``[B, N, C_t]`` (widths may differ).

    Returns:
        Scalar loss (0 when the features are identical); no gradient reaches the teacher.

    Raises:
        ValueError: for mismatched block counts, token counts or non-finite features.
    """
    if len(student) != len(teacher) or not student:
        raise ValueError(
            f"student and teacher must list the same non-zero number of blocks, got "
            f"{len(student)} and {len(teacher)}"
        )
    total = None
    count = 0
    for b, (s_blk, t_blk) in enumerate(zip(student, teacher, strict=True)):
        if len(s_blk) != len(t_blk):
            raise ValueError(f"block {b}: student and teacher give different feature counts")
        for s, t in zip(s_blk, t_blk, strict=True):
            check_tensor(s, "student feature")
            check_tensor(t, "teacher feature")
            s2, t2 = _merge_heads(s), _merge_heads(t).detach()
            check_finite(s2, "student feature")
            check_finite(t2, "teacher feature")
            if s2.shape[:-1] != t2.shape[:-1]:
                raise ValueError(
                    f"block {b}: student {tuple(s2.shape)} and teacher {tuple(t2.shape)} "
                    "must agree on all but the channel axis"
                )
            log_s, log_t = relation_matrix(s2), relation_matrix(t2)
            kl = (log_t.exp() * (log_t - log_s)).sum(-1).mean()
            total = kl if total is None else total + kl
            count += 1
    assert total is not None
    return total / count


class FGDLoss(nn.Module):
    """``L_CE + lambda * L_FGD`` with the features taken from recorded Q-SDSA modules.

    Args:
        weight: ``lambda`` (1.0).

    Shapes:
        ``forward(logits [B, K], target [B], student, teacher)`` with features as in
        :func:`fgd_loss`; returns a scalar.
    """

    def __init__(self, *, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = float(weight)

    def forward(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        student: Sequence[Sequence[torch.Tensor]],
        teacher: Sequence[Sequence[torch.Tensor]],
    ) -> torch.Tensor:
        """Cross-entropy plus weighted FGD."""
        return F.cross_entropy(logits, target) + self.weight * fgd_loss(student, teacher)


def spike_entropy(spikes: torch.Tensor, levels: int = 4, norm: float = 1.0) -> dict[str, object]:
    """Histogram and empirical entropy (bits) of integer spikes (SID diagnostic).

    Args:
        spikes: emitted values ``k / norm`` (any shape).
        levels: ``D``; counts ``k = round(spikes * norm)`` fall in ``{0..D}``.
        norm: the neuron's divisor (1 when ``spikes`` already holds counts).

    Returns:
        ``{"histogram": D+1 probabilities, "entropy_bits": float}``; the entropy is at most
        ``log2(D + 1)`` bits (1 bit for binary spikes).

    Raises:
        ValueError: if a count falls outside ``[0, levels]``.
    """
    check_tensor(spikes, "spikes")
    k = torch.round(spikes.detach().flatten().double() * norm).long()
    if k.numel() and (int(k.min()) < 0 or int(k.max()) > levels):
        raise ValueError(f"spikes * norm must lie in [0, {levels}]")
    p = torch.bincount(k, minlength=levels + 1).double()
    p = p / max(float(p.sum()), 1.0)
    nz = p[p > 0]
    return {"histogram": p.tolist(), "entropy_bits": float(-(nz * nz.log2()).sum())}
