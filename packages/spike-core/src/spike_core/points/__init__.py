"""Shared point-cloud operators (spike-3d §2; used by spike-3d and spike-cam's SpikePoint).

Pure torch, batched, time-free: coordinates ``[B, N, 3]``, features ``[B, N, C]``. Time-major
callers fold ``T`` into ``B`` first.
"""

from spike_core.points.grouping import LocalGrouper, group, knn, standardize_groups
from spike_core.points.rate import rate_code, signed_to_rate
from spike_core.points.sampling import fps

__all__ = [
    "LocalGrouper",
    "fps",
    "group",
    "knn",
    "rate_code",
    "signed_to_rate",
    "standardize_groups",
]
