"""Spiking decoders of NeuroBench's primate-reaching baselines: SNN_Streaming and SNN_3D.

SNN_Streaming (NeuroBench ``SNN2``), one update per 4 ms bin ``x_t``::

    h_t = beta h_{t-1} + W1 x_t              (no bias, dropout 0.3 while training)
    s_t = H(h_t - 1);  h_t <- h_t (1 - s_t)  (reset to zero)
    y_t = beta y_{t-1} + W2 s_t              (leaky integrator, no reset): the velocity

SNN_3D (NeuroBench ``SNNModel3``): the last ``W = 50`` bins are summed in ``C = 7`` chunks of
``W // C = 7`` bins (oldest first; the newest bin is left out when the buffer is full), the
``[C, channels]`` counts are layer-normalised and run through
``Linear -> LIF -> Linear -> LIF -> Linear -> LI`` for ``C`` steps from a fresh membrane at every
prediction; the output is the last membrane times two learned scales ``(v_x, v_y)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from spike_bmi._stream import (
    StreamingDecoder,
    TimeLinear,
    WindowState,
    chunk_sums,
    init_window,
    sliding_windows,
)
from spike_core import LIFCell, LIFState

__all__ = ["SNN3D", "SNN3DConfig", "SNNStreaming", "SNNStreamingConfig", "SNNStreamingState"]


def _standard_normal(n: int) -> torch.Tensor:
    """N(0, 1) values (left uninitialised on the meta device, whose random kernels load sympy)."""
    x = torch.empty(n)
    return x if x.device.type == "meta" else nn.init.normal_(x)


@dataclass(frozen=True, kw_only=True)
class SNNStreamingConfig:
    """Configuration of :class:`SNNStreaming` (defaults: NeuroBench, Indy)."""

    input_dim: int = 96
    hidden: int = 50
    output_dim: int = 2
    beta: float = 0.96
    v_threshold: float = 1.0
    dropout: float = 0.3
    surrogate: str = "fast-sigmoid"
    surrogate_alpha: float = 20.0


class SNNStreamingState(NamedTuple):
    """State of :class:`SNNStreaming`: hidden membrane ``[B, hidden]`` and output ``[B, 2]``."""

    hidden: torch.Tensor
    out: torch.Tensor


class SNNStreaming(StreamingDecoder):
    """SNN_Streaming: ``channels -> 50 LIF -> 2 leaky integrators``, one step per 4 ms bin.

    Args:
        config: the :class:`SNNStreamingConfig`.

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, 2]`` (membranes of the output integrators).

    Examples:
        >>> m = SNNStreaming(SNNStreamingConfig(input_dim=4, hidden=8))
        >>> m(torch.ones(3, 1, 4)).shape
        torch.Size([3, 1, 2])
    """

    def __init__(self, config: SNNStreamingConfig | None = None) -> None:
        super().__init__()
        c = config or SNNStreamingConfig()
        self.config = c
        self.input_dim, self.output_dim = c.input_dim, c.output_dim
        self.fc1 = TimeLinear(in_features=c.input_dim, out_features=c.hidden, bias=False)
        self.dropout = nn.Dropout(c.dropout)
        self.lif1 = LIFCell(
            beta=c.beta,
            v_threshold=c.v_threshold,
            reset="hard",
            surrogate=c.surrogate,
            surrogate_kwargs={"alpha": c.surrogate_alpha},
        )
        self.head = TimeLinear(in_features=c.hidden, out_features=c.output_dim, bias=False)
        self.lif_out = LIFCell(beta=c.beta, v_threshold=c.v_threshold, reset="none")

    def init_state(self, x: torch.Tensor) -> SNNStreamingState:
        """Zero membranes for step input ``x [B, channels]``."""
        b = x.shape[0]
        return SNNStreamingState(
            x.new_zeros(b, self.config.hidden), x.new_zeros(b, self.output_dim)
        )

    def _hidden(self, x_seq: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cur = self.dropout(self.fc1(x_seq))
        spikes = []
        state = LIFState(v)
        for c in cur:
            s, state = self.lif1.step(c, state)
            spikes.append(s)
        return torch.stack(spikes), state.v

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Hidden spikes ``[T, B, hidden]`` from a fresh state."""
        self._check(x_seq, "x_seq", 3)
        return self._hidden(x_seq, self.init_state(x_seq[0]).hidden)[0]

    def _run(
        self, x_seq: torch.Tensor, state: SNNStreamingState
    ) -> tuple[torch.Tensor, SNNStreamingState]:
        spikes, vh = self._hidden(x_seq, state.hidden)
        cur = self.head(spikes)
        out = LIFState(state.out)
        ys = []
        for c in cur:
            _, out = self.lif_out.step(c, out)
            ys.append(out.v)
        return torch.stack(ys), SNNStreamingState(vh, out.v)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with a fresh ``hidden -> num_outputs`` layer."""
        p = next(self.parameters())
        self.head = TimeLinear(
            in_features=self.config.hidden, out_features=num_outputs, bias=False
        ).to(p.device, p.dtype)
        self.output_dim = num_outputs


@dataclass(frozen=True, kw_only=True)
class SNN3DConfig:
    """Configuration of :class:`SNN3D` (defaults: NeuroBench, Indy)."""

    input_dim: int = 96
    window: int = 50
    num_chunks: int = 7
    hidden1: int = 32
    hidden2: int = 48
    output_dim: int = 2
    beta: float = 0.5
    v_threshold: float = 0.5
    dropout: float = 0.5
    surrogate: str = "atan"
    surrogate_alpha: float = 2.0
    reset: str = "soft"


class SNN3D(StreamingDecoder):
    """SNN_3D: chunked 200 ms buffer, LayerNorm, three spiking layers re-run per prediction.

    Args:
        config: the :class:`SNN3DConfig`.

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, 2]``.

    Examples:
        >>> m = SNN3D(SNN3DConfig(input_dim=4, window=8, num_chunks=2))
        >>> m(torch.ones(3, 1, 4)).shape
        torch.Size([3, 1, 2])
    """

    def __init__(self, config: SNN3DConfig | None = None) -> None:
        super().__init__()
        c = config or SNN3DConfig()
        if not 1 <= c.num_chunks <= c.window:
            raise ValueError(f"num_chunks must be in [1, window={c.window}], got {c.num_chunks}")
        self.config = c
        self.input_dim, self.output_dim = c.input_dim, c.output_dim
        self.warmup = c.window - 1
        lif = {
            "beta": c.beta,
            "v_threshold": c.v_threshold,
            "surrogate": c.surrogate,
            "surrogate_kwargs": {"alpha": c.surrogate_alpha},
        }
        self.norm = nn.LayerNorm([c.num_chunks, c.input_dim])
        self.fc1 = TimeLinear(in_features=c.input_dim, out_features=c.hidden1)
        self.dropout = nn.Dropout(c.dropout)
        self.lif1 = LIFCell(reset=c.reset, **lif)  # type: ignore[arg-type]
        self.fc2 = TimeLinear(in_features=c.hidden1, out_features=c.hidden2)
        self.lif2 = LIFCell(reset=c.reset, **lif)  # type: ignore[arg-type]
        self.head = TimeLinear(in_features=c.hidden2, out_features=c.output_dim)
        self.lif_out = LIFCell(reset="none", **lif)  # type: ignore[arg-type]
        self.scale = nn.Parameter(_standard_normal(c.output_dim))

    def init_state(self, x: torch.Tensor) -> WindowState:
        """A buffer holding one zero row, for step input ``x [B, channels]``."""
        return init_window(x, self.config.window)

    def _layers(self, chunks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.norm(chunks)
        s1 = LIFState(z.new_zeros(*z.shape[:2], self.config.hidden1))
        s2 = LIFState(z.new_zeros(*z.shape[:2], self.config.hidden2))
        so = LIFState(z.new_zeros(*z.shape[:2], self.output_dim))
        spk2 = []
        for k in range(self.config.num_chunks):
            a, s1 = self.lif1.step(self.dropout(self.fc1(z[:, :, k])), s1)
            b, s2 = self.lif2.step(self.fc2(a), s2)
            _, so = self.lif_out.step(self.head(b), so)
            spk2.append(b)
        return so.v * self.scale, torch.stack(spk2, dim=2)

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Second-layer spikes ``[T, B, num_chunks, hidden2]`` from a fresh buffer."""
        self._check(x_seq, "x_seq", 3)
        win, _, _ = sliding_windows(x_seq, self.init_state(x_seq[0]))
        return self._layers(chunk_sums(win, self.config.num_chunks))[1]

    def _run_chunk(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, WindowState]:
        win, _, state = sliding_windows(x_seq, state)
        return self._layers(chunk_sums(win, self.config.num_chunks))[0], state

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out layer and the output scales for ``num_outputs`` outputs."""
        p = next(self.parameters())
        self.head = TimeLinear(in_features=self.config.hidden2, out_features=num_outputs).to(
            p.device, p.dtype
        )
        self.scale = nn.Parameter(_standard_normal(num_outputs).to(p.device, p.dtype))
        self.output_dim = num_outputs
