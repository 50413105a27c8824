"""Errors of spike-hw."""

from __future__ import annotations

__all__ = ["UnsupportedNodeError"]


class UnsupportedNodeError(ValueError):
    """A layer or node that the target (NIR, PyNN, the fixed-point backend) cannot express.

    The message names the layer and the reason (soft reset, adaptive threshold, attention,
    integer spikes, ...); nothing is silently approximated.
    """
