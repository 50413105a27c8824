"""LSTM baselines (project defaults; the paper's LSTM design is unconfirmed).

Gates of one LSTM step (PyTorch's layout and parameter names ``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``)::

    i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
    c' = sigmoid(f) c + sigmoid(i) tanh(g);   h' = sigmoid(o) tanh(c')

- :class:`LSTMDecoder`: per prediction, the 7 chunk counts of the 200 ms buffer (as SNN_3D),
  layer-normalised, run through the LSTM from a zero state; linear read-out of the last hidden
  state.
- :class:`StreamingLSTMDecoder`: one LSTM step per 4 ms bin with ``(h, c)`` carried; linear
  read-out of ``h`` at every bin.
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

__all__ = ["LSTMConfig", "LSTMDecoder", "LSTMState", "StreamingLSTMConfig", "StreamingLSTMDecoder"]


class LSTMState(NamedTuple):
    """Hidden and cell state, each ``[B, hidden]``."""

    h: torch.Tensor
    c: torch.Tensor


class _LSTMCell(nn.Module):
    """One LSTM layer whose step is computed per time step (see :class:`TimeLinear`)."""

    def __init__(self, *, input_size: int, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.ih = TimeLinear(in_features=input_size, out_features=4 * hidden)
        self.hh = TimeLinear(in_features=hidden, out_features=4 * hidden)
        bound = hidden**-0.5
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def step(self, gx: torch.Tensor, state: LSTMState) -> LSTMState:
        """One step from pre-computed input gates ``gx [T', B, 4H]`` (``T'`` parallel rows)."""
        gates = gx + self.hh(state.h)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * state.c + torch.sigmoid(i) * torch.tanh(g)
        return LSTMState(torch.sigmoid(o) * torch.tanh(c), c)


@dataclass(frozen=True, kw_only=True)
class LSTMConfig:
    """Configuration of :class:`LSTMDecoder` (project defaults)."""

    input_dim: int = 96
    window: int = 50
    num_chunks: int = 7
    hidden: int = 128
    output_dim: int = 2


class LSTMDecoder(StreamingDecoder):
    """LSTM over the 7 chunk counts of the last 200 ms, re-run from zero state per prediction.

    Args:
        config: the :class:`LSTMConfig`.

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, 2]``.
    """

    def __init__(self, config: LSTMConfig | None = None) -> None:
        super().__init__()
        c = config or LSTMConfig()
        if not 1 <= c.num_chunks <= c.window:
            raise ValueError(f"num_chunks must be in [1, window={c.window}], got {c.num_chunks}")
        self.config = c
        self.input_dim, self.output_dim = c.input_dim, c.output_dim
        self.warmup = c.window - 1
        self.norm = nn.LayerNorm([c.num_chunks, c.input_dim])
        self.lstm = _LSTMCell(input_size=c.input_dim, hidden=c.hidden)
        self.head = TimeLinear(in_features=c.hidden, out_features=c.output_dim)

    def init_state(self, x: torch.Tensor) -> WindowState:
        """A buffer holding one zero row, for step input ``x [B, channels]``."""
        return init_window(x, self.config.window)

    def _last_hidden(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, WindowState]:
        win, _, state = sliding_windows(x_seq, state)
        z = self.norm(chunk_sums(win, self.config.num_chunks))  # [T, B, C, n]
        h = z.new_zeros(*z.shape[:2], self.config.hidden)
        st = LSTMState(h, h)
        for k in range(self.config.num_chunks):
            st = self.lstm.step(self.lstm.ih(z[:, :, k]), st)
        return st.h, state

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Last hidden state per prediction ``[T, B, hidden]`` from a fresh buffer."""
        self._check(x_seq, "x_seq", 3)
        return self._last_hidden(x_seq, self.init_state(x_seq[0]))[0]

    def _run_chunk(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, WindowState]:
        h, state = self._last_hidden(x_seq, state)
        return self.head(h), state

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with a fresh ``hidden -> num_outputs`` layer."""
        p = next(self.parameters())
        self.head = TimeLinear(in_features=self.config.hidden, out_features=num_outputs).to(
            p.device, p.dtype
        )
        self.output_dim = num_outputs


@dataclass(frozen=True, kw_only=True)
class StreamingLSTMConfig:
    """Configuration of :class:`StreamingLSTMDecoder` (project defaults)."""

    input_dim: int = 96
    hidden: int = 128
    output_dim: int = 2


class StreamingLSTMDecoder(StreamingDecoder):
    """LSTM fed one 4 ms bin at a time with its ``(h, c)`` state carried.

    Args:
        config: the :class:`StreamingLSTMConfig`.

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, 2]``.
    """

    def __init__(self, config: StreamingLSTMConfig | None = None) -> None:
        super().__init__()
        c = config or StreamingLSTMConfig()
        self.config = c
        self.input_dim, self.output_dim = c.input_dim, c.output_dim
        self.lstm = _LSTMCell(input_size=c.input_dim, hidden=c.hidden)
        self.head = TimeLinear(in_features=c.hidden, out_features=c.output_dim)

    def init_state(self, x: torch.Tensor) -> LSTMState:
        """Zero ``(h, c)`` for step input ``x [B, channels]``."""
        h = x.new_zeros(x.shape[0], self.config.hidden)
        return LSTMState(h, h)

    def _hidden(self, x_seq: torch.Tensor, state: LSTMState) -> tuple[torch.Tensor, LSTMState]:
        gx = self.lstm.ih(x_seq)
        st = LSTMState(state.h.unsqueeze(0), state.c.unsqueeze(0))
        hs = []
        for g in gx:
            st = self.lstm.step(g.unsqueeze(0), st)
            hs.append(st.h[0])
        return torch.stack(hs), LSTMState(st.h[0], st.c[0])

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Hidden states ``[T, B, hidden]`` from a zero state."""
        self._check(x_seq, "x_seq", 3)
        return self._hidden(x_seq, self.init_state(x_seq[0]))[0]

    def _run(self, x_seq: torch.Tensor, state: LSTMState) -> tuple[torch.Tensor, LSTMState]:
        h, state = self._hidden(x_seq, state)
        return self.head(h), state

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with a fresh ``hidden -> num_outputs`` layer."""
        p = next(self.parameters())
        self.head = TimeLinear(in_features=self.config.hidden, out_features=num_outputs).to(
            p.device, p.dtype
        )
        self.output_dim = num_outputs
