"""Building blocks shared by the streaming decoders: exact per-step layers and bin windows.

Streaming equals whole-sequence decoding *bit for bit* only if every operation computes each
``(t, b)`` row the same way whatever the number of rows. ``nn.Linear`` does not guarantee that on
CPU (BLAS picks a matrix-vector kernel for one row and a blocked matrix-matrix kernel for many,
which round differently), so :class:`TimeLinear` multiplies with one batched product per time
step instead, and window sums add rows one at a time in a fixed order.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
from torch import nn

from spike_core import SpikingModel
from spike_core._validation import check_finite, check_floating, check_rank

_CHUNK = 512


class TimeLinear(nn.Module):
    """A linear layer over time-major input with per-step results independent of ``T``.

    Same parameters (``weight [out, in]``, ``bias [out]``) and values as ``nn.Linear``; the
    product runs as one batched matrix product per time step (in chunks of 512 steps).

    Args:
        in_features: input size.
        out_features: output size.
        bias: learn an additive bias.

    Shapes:
        ``[T, B, in_features] -> [T, B, out_features]`` (any middle dims are folded into ``B``).
    """

    def __init__(self, *, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ``x W^T + b`` step by step (see class docstring for shapes)."""
        shape = x.shape
        x3 = x.reshape(shape[0], -1, shape[-1])
        wt = self.weight.t().unsqueeze(0)
        parts = [torch.bmm(c, wt.expand(c.shape[0], -1, -1)) for c in x3.split(_CHUNK)]
        y = parts[0] if len(parts) == 1 else torch.cat(parts)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class WindowState(NamedTuple):
    """State of a bin-window decoder.

    Attributes:
        buffer: ``[W, B, channels]`` the reference buffer (oldest row first), zero past ``filled``.
        filled: rows in use (1 at the start: the buffer begins with one zero row, as NeuroBench).
    """

    buffer: torch.Tensor
    filled: int


def init_window(x: torch.Tensor, window: int) -> WindowState:
    """Fresh :class:`WindowState` for step input ``x [B, channels]``: one zero row in use."""
    return WindowState(x.new_zeros(window, *x.shape), 1)


def sliding_windows(
    x_seq: torch.Tensor, state: WindowState
) -> tuple[torch.Tensor, torch.Tensor, WindowState]:
    """The buffer after each new bin, reproducing NeuroBench's append-then-drop-oldest buffer.

    After ``t`` new bins the buffer holds the last ``min(filled + t, W)`` rows of
    ``[buffer rows in use, x_1, ..., x_t]``, oldest first, zero-filled at the end.

    Args:
        x_seq: new bins ``[T, B, channels]``.
        state: the buffer before ``x_seq``.

    Returns:
        ``(windows [T, W, B, channels], overflow [T] bool, new_state)`` where ``overflow[t]`` is
        True when the buffer had to drop its oldest row at step ``t`` (it held more than ``W``).
    """
    W = state.buffer.shape[0]
    L = state.filled
    T = x_seq.shape[0]
    ext = torch.cat([state.buffer[:L], x_seq, x_seq.new_zeros(W, *x_seq.shape[1:])])
    total = L + torch.arange(1, T + 1, device=x_seq.device)
    start = (total - W).clamp_min(0)
    idx = start[:, None] + torch.arange(W, device=x_seq.device)[None, :]
    valid = idx < total[:, None]
    win = ext[idx] * valid[:, :, None, None].to(x_seq.dtype)
    new_state = WindowState(win[-1], min(L + T, W))
    return win, total > W, new_state


def window_sum(win: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Sum of window rows ``start .. stop - 1`` added one row at a time (order fixed).

    Shapes:
        ``win [T, W, B, C] -> [T, B, C]``.
    """
    acc = win[:, start]
    for j in range(start + 1, stop):
        acc = acc + win[:, j]
    return acc


def chunk_sums(win: torch.Tensor, num_chunks: int) -> torch.Tensor:
    """NeuroBench's chunking: chunk ``i`` sums rows ``s i .. s i + s - 1``, ``s = W // num_chunks``.

    Rows past ``num_chunks * s`` (the most recent ones when the buffer is full) are left out.

    Shapes:
        ``win [T, W, B, C] -> [T, B, num_chunks, C]``.
    """
    s = win.shape[1] // num_chunks
    return torch.stack([window_sum(win, i * s, i * s + s) for i in range(num_chunks)], dim=2)


class StreamingDecoder(SpikingModel):
    """Base of the BMI decoders: explicit state, whole-sequence and one-bin-at-a-time forms.

    ``forward(x_seq, state)`` over ``[T, B, channels]`` gives the same outputs as calling
    :meth:`step` ``T`` times while threading the state (exactly, in eval mode).

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, output_dim]``; ``step``: ``[B, channels] ->
        [B, output_dim]``.
    """

    config: Any
    input_dim: int
    output_dim: int
    warmup: int = 0
    """Bins at the start of a sequence whose outputs are not trained on (buffer filling)."""

    def init_state(self, x: torch.Tensor) -> Any:  # pragma: no cover - abstract
        """Fresh state for one step of input ``x [B, channels]``."""
        raise NotImplementedError

    def _run(self, x_seq: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """Decode ``x_seq`` in pieces of ``_CHUNK`` bins (bounded memory), threading the state."""
        ys = []
        for part in x_seq.split(_CHUNK):
            y, state = self._run_chunk(part, state)
            ys.append(y)
        return torch.cat(ys), state

    def _run_chunk(
        self, x_seq: torch.Tensor, state: Any
    ) -> tuple[torch.Tensor, Any]:  # pragma: no cover
        """Outputs ``[t, B, output_dim]`` and the new state for a piece of ``t`` bins."""
        raise NotImplementedError

    def _check(self, x_seq: torch.Tensor, name: str, rank: int) -> None:
        check_floating(x_seq, name)
        check_rank(x_seq, name, rank, "[T, B, channels]" if rank == 3 else "[B, channels]")
        if x_seq.dim() != rank or x_seq.shape[-1] != self.input_dim:
            layout = "[T, B, channels]" if rank == 3 else "[B, channels]"
            raise ValueError(
                f"{name} must be {layout} with channels={self.input_dim}, got shape {tuple(x_seq.shape)}"
            )
        check_finite(x_seq, name)

    def forward(  # type: ignore[override]
        self, x_seq: torch.Tensor, state: Any = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Decode a whole time-major sequence.

        Args:
            x_seq: spike counts ``[T, B, channels]``.
            state: state from a previous call or :meth:`init_state`; ``None`` starts fresh.
            return_state: also return the state after the last bin.

        Returns:
            Velocities ``[T, B, output_dim]`` (and the final state when ``return_state``).
        """
        self._check(x_seq, "x_seq", 3)
        if state is None:
            state = self.init_state(x_seq[0])
        y, state = self._run(x_seq, state)
        return (y, state) if return_state else y

    def step(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """Decode one 4 ms bin.

        Args:
            x: spike counts of one bin ``[B, channels]``.
            state: the state after the previous bin (``None``: fresh).

        Returns:
            ``(velocity [B, output_dim], new_state)``.
        """
        self._check(x, "x", 2)
        if state is None:
            state = self.init_state(x)
        y, state = self._run(x.unsqueeze(0), state)
        return y[0], state

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random binary spikes ``[max(time_steps, warmup + 2), B, channels]``."""
        p = next(self.parameters())
        t = max(time_steps, self.warmup + 2)
        g = torch.Generator().manual_seed(0)
        x = (torch.rand(t, batch_size, self.input_dim, generator=g) < 0.3).float()
        return x.to(device=p.device, dtype=p.dtype)
