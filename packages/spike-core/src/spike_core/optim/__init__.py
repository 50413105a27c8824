"""Optimisers shared by Spike training code.

:class:`SPAM` (Spike-Aware Adam with Momentum Reset, Huang et al., ICLR 2025): Adam with
spike-aware gradient clipping, periodic momentum reset, a cosine warm-up after each reset and
optional sparse momentum.
"""

from spike_core.optim.spam import SPAM, SPAMStepInfo, spam_warmup_scale

__all__ = ["SPAM", "SPAMStepInfo", "spam_warmup_scale"]
