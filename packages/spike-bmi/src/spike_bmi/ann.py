"""Non-spiking baselines of NeuroBench's primate-reaching task: ANN (flat, "2D") and ANN_3D.

Both keep NeuroBench's buffer of the last ``W = 50`` bins, which starts with one zero row.

- ANN (flat): the buffer summed over time, ``[channels]``, then
  ``Linear(n, 32) - ReLU - BN - Linear(32, 48) - dropout - ReLU - BN - Linear(48, 2)``. It outputs
  zeros until the buffer has held more than ``W`` rows, so the first ``W - 1`` outputs are zeros
  and output ``W`` is the first prediction (from inputs ``1 .. W``).
- ANN_3D: the 7 chunk sums of SNN_3D flattened channel-major (index ``c * 7 + i``, as NeuroBench
  permutes before flattening) into ``7 n`` inputs and the same MLP; it predicts from the first bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from spike_bmi._stream import (
    StreamingDecoder,
    TimeLinear,
    WindowState,
    chunk_sums,
    init_window,
    sliding_windows,
    window_sum,
)

__all__ = ["ANN3D", "ANN3DConfig", "ANNConfig", "ANNFlat"]


@dataclass(frozen=True, kw_only=True)
class ANNConfig:
    """Configuration of :class:`ANNFlat` (defaults: NeuroBench ``ANNModel2D``, Indy)."""

    input_dim: int = 96
    window: int = 50
    hidden1: int = 32
    hidden2: int = 48
    output_dim: int = 2
    dropout: float = 0.5


@dataclass(frozen=True, kw_only=True)
class ANN3DConfig:
    """Configuration of :class:`ANN3D` (defaults: NeuroBench ``ANNModel3D``, Indy)."""

    input_dim: int = 96
    window: int = 50
    num_chunks: int = 7
    hidden1: int = 32
    hidden2: int = 48
    output_dim: int = 2
    dropout: float = 0.5


class _MLP(nn.Module):
    """``Linear - ReLU - BN - Linear - dropout - ReLU - BN - Linear`` over ``[T, B, F]``."""

    def __init__(self, *, in_features: int, h1: int, h2: int, out: int, dropout: float) -> None:
        super().__init__()
        self.fc1 = TimeLinear(in_features=in_features, out_features=h1)
        self.bn1 = nn.BatchNorm1d(h1)
        self.fc2 = TimeLinear(in_features=h1, out_features=h2)
        self.dropout = nn.Dropout(dropout)
        self.bn2 = nn.BatchNorm1d(h2)
        self.head = TimeLinear(in_features=h2, out_features=out)

    @staticmethod
    def _bn(bn: nn.BatchNorm1d, h: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
        flat = h.reshape(-1, h.shape[-1])
        if rows is None or not bn.training:
            return bn(flat).reshape(h.shape)
        if not bool(rows.any()):
            return h
        out = flat.clone()  # batch statistics only over the rows that make a prediction
        out[rows] = bn(flat[rows])
        return out.reshape(h.shape)

    def features(self, x: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden activations ``[T, B, h2]``; ``rows`` masks the flattened ``T * B`` rows."""
        h = self._bn(self.bn1, torch.relu(self.fc1(x)), rows)
        return self._bn(self.bn2, torch.relu(self.dropout(self.fc2(h))), rows)


class ANNFlat(StreamingDecoder):
    """NeuroBench's flat ANN: 200 ms spike counts into a 3-layer MLP.

    Args:
        config: the :class:`ANNConfig`.

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, 2]``.

    Examples:
        >>> m = ANNFlat(ANNConfig(input_dim=4, window=3)).eval()
        >>> m(torch.ones(4, 1, 4))[:2].abs().sum().item()
        0.0
    """

    def __init__(self, config: ANNConfig | None = None) -> None:
        super().__init__()
        c = config or ANNConfig()
        self.config = c
        self.input_dim, self.output_dim = c.input_dim, c.output_dim
        self.warmup = c.window - 1
        self.mlp = _MLP(
            in_features=c.input_dim, h1=c.hidden1, h2=c.hidden2, out=c.output_dim, dropout=c.dropout
        )

    @property
    def head(self) -> nn.Module:  # type: ignore[override]
        """The read-out layer."""
        return self.mlp.head

    def init_state(self, x: torch.Tensor) -> WindowState:
        """A buffer holding one zero row, for step input ``x [B, channels]``."""
        return init_window(x, self.config.window)

    def _features(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, torch.Tensor, WindowState]:
        win, full, state = sliding_windows(x_seq, state)
        counts = window_sum(win, 0, self.config.window)
        rows = full[:, None].expand(-1, x_seq.shape[1]).reshape(-1)
        return self.mlp.features(counts, rows), full, state

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Second hidden layer ``[T, B, hidden2]`` from a fresh buffer."""
        self._check(x_seq, "x_seq", 3)
        return self._features(x_seq, self.init_state(x_seq[0]))[0]

    def _run_chunk(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, WindowState]:
        h, full, state = self._features(x_seq, state)
        y = self.mlp.head(h)
        return torch.where(full[:, None, None], y, torch.zeros_like(y)), state

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with a fresh ``hidden2 -> num_outputs`` layer."""
        p = next(self.parameters())
        self.mlp.head = TimeLinear(in_features=self.config.hidden2, out_features=num_outputs).to(
            p.device, p.dtype
        )
        self.output_dim = num_outputs


class ANN3D(StreamingDecoder):
    """NeuroBench's ANN_3D: the 7 chunk counts of the 200 ms buffer into a 3-layer MLP.

    Args:
        config: the :class:`ANN3DConfig`.

    Shapes:
        ``forward``: ``[T, B, channels] -> [T, B, 2]``.
    """

    def __init__(self, config: ANN3DConfig | None = None) -> None:
        super().__init__()
        c = config or ANN3DConfig()
        if not 1 <= c.num_chunks <= c.window:
            raise ValueError(f"num_chunks must be in [1, window={c.window}], got {c.num_chunks}")
        self.config = c
        self.input_dim, self.output_dim = c.input_dim, c.output_dim
        self.warmup = c.window - 1
        self.mlp = _MLP(
            in_features=c.input_dim * c.num_chunks,
            h1=c.hidden1,
            h2=c.hidden2,
            out=c.output_dim,
            dropout=c.dropout,
        )

    @property
    def head(self) -> nn.Module:  # type: ignore[override]
        """The read-out layer."""
        return self.mlp.head

    def init_state(self, x: torch.Tensor) -> WindowState:
        """A buffer holding one zero row, for step input ``x [B, channels]``."""
        return init_window(x, self.config.window)

    def _features(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, WindowState]:
        win, _, state = sliding_windows(x_seq, state)
        chunks = chunk_sums(win, self.config.num_chunks)  # [T, B, C, n]
        flat = chunks.transpose(2, 3).reshape(*chunks.shape[:2], -1)  # channel-major: c * C + i
        return self.mlp.features(flat), state

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Second hidden layer ``[T, B, hidden2]`` from a fresh buffer."""
        self._check(x_seq, "x_seq", 3)
        return self._features(x_seq, self.init_state(x_seq[0]))[0]

    def _run_chunk(
        self, x_seq: torch.Tensor, state: WindowState
    ) -> tuple[torch.Tensor, WindowState]:
        h, state = self._features(x_seq, state)
        return self.mlp.head(h), state

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the read-out with a fresh ``hidden2 -> num_outputs`` layer."""
        p = next(self.parameters())
        self.mlp.head = TimeLinear(in_features=self.config.hidden2, out_features=num_outputs).to(
            p.device, p.dtype
        )
        self.output_dim = num_outputs
