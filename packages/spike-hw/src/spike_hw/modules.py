"""Small modules that give NIR primitives without a spike-core twin a PyTorch form.

All multi-step modules take time-major ``[T, B, ...]``; the stateless ones (``SumPool2d``,
``Scale``) take any ``[N, ...]`` and are wrapped in ``SeqToBatch`` when used over time.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from spike_core._validation import check_floating, check_rank

__all__ = ["Integrator", "Recurrent", "Scale", "SumPool2d"]


class _IntegratorState(NamedTuple):
    v: torch.Tensor


class Integrator(nn.Module):
    """Non-spiking integrator (NIR ``I``): ``v' = v + r x``; outputs ``v'`` every step.

    Args:
        r: input gain per step (NIR ``r`` times ``dt``).

    Shapes:
        input ``[T, B, ...]``, output ``[T, B, ...]`` (the membrane trace).
    """

    def __init__(self, *, r: float = 1.0) -> None:
        super().__init__()
        self.r = float(r)

    def forward(self, x_seq: torch.Tensor, state: Any = None) -> torch.Tensor:
        """Cumulative sum of ``r x`` over time (plus the initial membrane ``state``)."""
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 2, "[T, B, ...]")
        v0 = x_seq.new_zeros(x_seq.shape[1:]) if state is None else state
        out, v = [], v0
        for x in x_seq:
            v = v + self.r * x
            out.append(v)
        return torch.stack(out)


class SumPool2d(nn.Module):
    """Sum over each pooling window (NIR ``SumPool2d``).

    Args:
        kernel_size: window size.
        stride: stride (defaults to the kernel size).
        padding: zero padding.

    Shapes:
        input ``[N, C, H, W]``, output ``[N, C, H', W']``.
    """

    def __init__(
        self,
        *,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.kernel_size = nn.modules.utils._pair(kernel_size)
        self.stride = nn.modules.utils._pair(stride if stride is not None else kernel_size)
        self.padding = nn.modules.utils._pair(padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Window sums."""
        area = self.kernel_size[0] * self.kernel_size[1]
        y = F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, count_include_pad=True)
        return y * area


class Scale(nn.Module):
    """Elementwise scale ``y = s * x`` (NIR ``Scale``).

    Args:
        scale: per-element factors, shape of one sample (broadcast over the leading axis).

    Shapes:
        input ``[N, *S]``, output ``[N, *S]``.
    """

    scale: torch.Tensor

    def __init__(self, *, scale: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``scale * x``."""
        return x * self.scale.to(x)


class Recurrent(nn.Module):
    """A spiking layer with a recurrent synapse: input ``x_t + W s_{t-1}`` (one-step delay).

    Exported to NIR as the subgraph ``{input, lif, w_rec, output}`` with the edges
    ``input->lif, lif->w_rec, w_rec->lif, lif->output`` (the layout snnTorch uses for
    ``RLeaky``/``RSynaptic``).

    Args:
        neuron: a spike-core neuron with ``step``/``init_state`` (e.g. ``LIF``, ``CubaLIF``).
        recurrent: an ``nn.Linear`` from the layer to itself.

    Shapes:
        input ``[T, B, n]``, output spikes ``[T, B, n]``.
    """

    def __init__(self, *, neuron: nn.Module, recurrent: nn.Linear) -> None:
        super().__init__()
        if recurrent.in_features != recurrent.out_features:
            raise ValueError(
                f"recurrent must be square, got {recurrent.out_features}x{recurrent.in_features}"
            )
        self.neuron = neuron
        self.recurrent = recurrent

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Run over time, feeding back the previous step's spikes through ``recurrent``."""
        check_floating(x_seq, "x_seq")
        check_rank(x_seq, "x_seq", 3, "[T, B, n]")
        state = self.neuron.init_state(x_seq[0])  # type: ignore[operator]
        s = x_seq.new_zeros(x_seq.shape[1:])
        out = []
        for x in x_seq:
            s, state = self.neuron.step(x + self.recurrent(s), state)  # type: ignore[operator]
            out.append(s)
        return torch.stack(out)
