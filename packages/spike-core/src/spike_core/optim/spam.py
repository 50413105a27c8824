"""SPAM: Spike-Aware Adam with Momentum Reset (Huang et al., ICLR 2025, arXiv 2501.06842).

One call of :meth:`SPAM.step` with ``k`` completed calls before it, warm-up index ``c`` and, per
parameter, its own step counter ``t``::

    sf = scale(c) = 1 - 0.99 (1 + cos(pi c / (N + 1))) / 2   for c < N, else 1
    if (k + 1) % delta_t == 0:            m = v = 0                        (momentum reset)
    t = t + 1
    if threshold and k + 1 >= A and (k + 1) % delta_t >= A:
        g_i = sign(g_i) sqrt(v_i threshold)   where g_i^2 > threshold v_i     (spike-aware clipping)
    m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2
    p = p - (lr sqrt(1 - b2^t) / (1 - b1^t)) sf m / (sqrt(v) + eps)
    p = p - lr wd p                                                          (after the update)

then ``k += 1, c += 1`` and, when the next call will reset, ``c = 0`` and the sparse-momentum
masks are redrawn. ``A`` is ``grad_accu_steps`` and ``N`` is ``warmup_steps``. The arithmetic
follows the authors' reference implementation operation by operation, so in float64 the
parameters match it bit for bit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import torch

__all__ = ["SPAM", "SPAMStepInfo", "spam_warmup_scale"]


def spam_warmup_scale(c: int, warmup_steps: int) -> float:
    """The update scale ``c`` calls after a momentum reset (cosine ramp from 0.01 to 1).

    Evaluates the closed form of ``CosineAnnealingLR`` with base 0.99, period ``N + 1`` and
    minimum 0, as the reference does, and returns ``1 - dr``.

    Args:
        c: warm-up index (0 on the reset call).
        warmup_steps: ramp length ``N``; from ``c >= N`` on the scale is exactly 1.

    Returns:
        The scale factor in ``[0.01, 1]``.

    Examples:
        >>> spam_warmup_scale(0, 150)
        0.010000000000000009
        >>> spam_warmup_scale(150, 150)
        1.0
    """
    if c >= warmup_steps:
        return 1.0
    eta_min, base = 0.0, 0.99
    dr = eta_min + (base - eta_min) * (1 + math.cos(math.pi * c / (warmup_steps + 1))) / 2
    return 1 - dr


class SPAMStepInfo(NamedTuple):
    """What the last :meth:`SPAM.step` did (for logging and tests).

    Attributes:
        total_step: the number of calls completed before that call (``k``).
        reset: whether the moments were reset.
        clipping: whether spike-aware clipping was active.
        warmup_index: the warm-up index ``c`` used.
        scale: the warm-up scale factor applied to the update.
    """

    total_step: int
    reset: bool
    clipping: bool
    warmup_index: int
    scale: float


def _check_unit(value: float, name: str) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value < 1.0):
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")


def _check_nonneg(value: float, name: str) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


class SPAM(torch.optim.Optimizer):
    """Spike-Aware Adam with Momentum Reset.

    Adam (HuggingFace-style: bias correction folded into the step size, ``eps`` added to the
    uncorrected ``sqrt(v)``, weight decay applied after the update) plus spike-aware clipping,
    a momentum reset every ``delta_t`` calls, a cosine warm-up of the update over
    ``warmup_steps`` calls after every reset, and sparse momentum for parameter groups that
    carry a ``density`` key (2-D parameters only; only a random subset of entries keeps moments
    and is updated, redrawn at every reset). Equations in :mod:`spike_core.optim.spam`.

    Args:
        params: parameters or parameter-group dicts (a group may add ``density`` in (0, 1]).
        lr: learning rate.
        betas: moment decays ``(b1, b2)``.
        eps: term added to ``sqrt(v)``.
        weight_decay: shrink ``p -= lr * weight_decay * p`` after the update (not warm-up scaled).
        correct_bias: Adam bias correction of the step size.
        threshold: clipping threshold ``theta`` on ``g^2 / v``; 0 disables clipping.
        delta_t: momentum-reset interval ``delta_t`` (calls), >= 1.
        warmup_steps: length ``N`` of the warm-up after a reset.
        grad_accu_steps: calls ``A`` after the start and after each reset without clipping;
            >= 2 (the reference accepts smaller values, which lose the first update; allowed
            only with ``reference_compat``).
        reference_compat: reproduce the reference implementation's quirks: clipping writes into
            ``p.grad`` (dense groups); masked groups leave the scaled update in ``p.grad`` and get
            no weight decay; a summary is printed on construction and at each mask update; a
            ``FutureWarning`` unless ``no_deprecation_warning``.
        no_deprecation_warning: silence the compat-mode warning.
        generator: random generator for the initial masks (CPU) (default: the global one).
            Mask redraws at resets use the global generator of the parameter's device.

    Raises:
        ValueError: for out-of-range hyper-parameters or a masked parameter that is not 2-D.

    Examples:
        >>> w = torch.nn.Parameter(torch.ones(3))
        >>> opt = SPAM([w], lr=0.1, threshold=5000, delta_t=500, warmup_steps=150)
        >>> w.grad = torch.tensor([1.0, -2.0, 0.5])
        >>> _ = opt.step()
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, 1.1, 0.9]
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        *,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        correct_bias: bool = True,
        threshold: float = 5000.0,
        delta_t: int = 500,
        warmup_steps: int = 150,
        grad_accu_steps: int = 20,
        reference_compat: bool = False,
        no_deprecation_warning: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        _check_nonneg(lr, "lr")
        _check_unit(betas[0], "betas[0]")
        _check_unit(betas[1], "betas[1]")
        _check_nonneg(eps, "eps")
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(threshold, "threshold")
        if not (isinstance(delta_t, int) and delta_t >= 1):
            raise ValueError(f"delta_t must be an int >= 1, got {delta_t!r}")
        if not (isinstance(warmup_steps, int) and warmup_steps >= 0):
            raise ValueError(f"warmup_steps must be an int >= 0, got {warmup_steps!r}")
        min_accu = 0 if reference_compat else 2
        if not (isinstance(grad_accu_steps, int) and grad_accu_steps >= min_accu):
            raise ValueError(
                f"grad_accu_steps must be an int >= {min_accu}, got {grad_accu_steps!r} "
                "(with A <= 1 clipping at the first call, where v = 0, zeroes the update)"
            )
        if reference_compat and not no_deprecation_warning:
            warnings.warn(
                "SPAM(reference_compat=True) reproduces the reference AdamW-style class; "
                "pass no_deprecation_warning=True to silence this warning",
                FutureWarning,
                stacklevel=2,
            )
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "correct_bias": correct_bias,
        }
        super().__init__(params, defaults)
        self.threshold = float(threshold)
        self.delta_t = delta_t
        self.warmup_steps = warmup_steps
        self.grad_accu_steps = grad_accu_steps
        self.reference_compat = bool(reference_compat)
        self._counters["total_step"] = 0
        self._counters["current_step"] = warmup_steps + 1
        self.last_step: SPAMStepInfo | None = None
        for group in self.param_groups:
            if "density" in group:
                self._init_masks(group, generator)

    @property
    def _counters(self) -> dict[Any, Any]:
        """The optimiser state, where ``total_step`` and ``current_step`` live under string keys."""
        return self.state

    # ----------------------------------------------------------------------------- masks
    def _init_masks(self, group: dict[str, Any], generator: torch.Generator | None) -> None:
        d = group["density"]
        if not (isinstance(d, int | float) and 0.0 < d <= 1.0):
            raise ValueError(f"density must be in (0, 1], got {d!r}")
        for p in group["params"]:
            if p.dim() != 2:
                raise ValueError(
                    f"parameters of a group with density must be 2-D (rows, cols), "
                    f"got shape {tuple(p.shape)}"
                )
            rows, cols = p.shape
            total = rows * cols
            count = min(int(d * total), total)
            mask = torch.zeros((rows, cols), dtype=torch.bool)
            if count > 0:
                idx = torch.randperm(total, generator=generator)[:count]
                mask[idx // cols, idx % cols] = True
            self.state[p]["mask"] = mask.to(p.device)
        if self.reference_compat:
            kept = sum(int(self.state[p]["mask"].sum()) for p in group["params"])
            total = sum(p.numel() for p in group["params"])
            print(f"SPAM: density {d}: {kept} of {total} entries keep moments")

    def _update_masks(self) -> None:
        for group in self.param_groups:
            if "density" not in group:
                continue
            d = group["density"]
            for p in group["params"]:
                state = self.state[p]
                old = state["mask"]
                new = torch.rand(p.shape, device=p.device) < d
                if "exp_avg" in state:
                    both = new & old
                    for key in ("exp_avg", "exp_avg_sq"):
                        moved = torch.zeros_like(p[new])
                        moved[both[new]] = state[key][both[old]]
                        state[key] = moved
                state["mask"] = new
                if self.reference_compat:
                    print(f"SPAM: mask redrawn, {int(new.sum())} of {new.numel()} entries kept")

    # ----------------------------------------------------------------------------- step
    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Perform one optimisation step (see the class docstring for the rule).

        Args:
            closure: re-evaluates the model and returns the loss (optional).

        Returns:
            The closure's loss, or ``None``.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        k = int(self._counters["total_step"])
        c = int(self._counters["current_step"])
        sf = spam_warmup_scale(c, self.warmup_steps)
        reset = (k + 1) % self.delta_t == 0
        accu = self.grad_accu_steps
        clipping = self.threshold != 0 and k + 1 >= accu and (k + 1) % self.delta_t >= accu
        compat = self.reference_compat
        for group in self.param_groups:
            masked = "density" in group
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise TypeError("SPAM does not support sparse gradients")
                state = self.state[p]
                if "step" not in state:
                    state["step"] = 0
                if masked:
                    mask = state["mask"]
                    grad = p.grad[mask]
                else:
                    grad = p.grad if (compat or not clipping) else p.grad.clone()
                if "exp_avg" not in state or reset:
                    state["exp_avg"] = torch.zeros_like(grad)
                    state["exp_avg_sq"] = torch.zeros_like(grad)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                if clipping:
                    spikes = grad.pow(2) > self.threshold * exp_avg_sq
                    grad[spikes] = grad[spikes].sign() * torch.sqrt(
                        exp_avg_sq[spikes] * self.threshold
                    )
                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                denom = exp_avg_sq.sqrt().add_(group["eps"])
                step_size = group["lr"]
                if group["correct_bias"]:
                    t = state["step"]
                    step_size = step_size * (math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t))
                update = exp_avg / denom
                wd = group["weight_decay"]
                if masked:
                    full = torch.zeros_like(p)
                    full[mask] = update
                    full = full * sf
                    if compat:
                        p.grad = full
                    p.add_(full, alpha=-step_size)
                    if wd > 0.0 and not compat:
                        p[mask] = p[mask].add(p[mask], alpha=-group["lr"] * wd)
                else:
                    p.add_(update, alpha=-step_size * sf)
                    if wd > 0.0:
                        p.add_(p, alpha=-group["lr"] * wd)
        self.last_step = SPAMStepInfo(k, reset, clipping, c, sf)
        k += 1
        self._counters["total_step"] = k
        self._counters["current_step"] = c + 1
        if k != 0 and (k + 1) % self.delta_t == 0:
            self._update_masks()
            self._counters["current_step"] = 0
        return loss
