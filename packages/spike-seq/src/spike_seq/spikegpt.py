"""SpikeGPT (Zhu, Zhao, Li, Eshraghian; TMLR 2024): a spiking RWKV language model.

Parallel (training) form over a token sequence ``idx`` ``[T, B]``::

    x = H(Embed(idx))                                    binary embedding, [T, B, C]
    for each block l:  (block 0: x = LN0(x))
        x = x + LIF_att(SRWKV(LN1(x)))                   LIF runs over the token axis
        x = x + LIF_ffn(SRFFN(LN2(x)))
        x = Dropout(x)
    logits = Head(LN_out(x))                             [T, B, V]

The recurrent (generation) form :meth:`SpikeGPT.step` applies the same computation to one token
with an explicit :class:`SpikeGPTState` (token-shift memories, WKV sums and LIF membranes per
block), so its cost per token does not depend on the position. Both forms accept and return the
same state, so a prompt can be read in parallel and continued token by token.

Parameter count: ``2 V C + L (13 C^2 + 11 C) + 4 C``.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import torch
from torch import nn

from spike_core import LIF, LIFState, SpikingModel
from spike_core._validation import check_tensor
from spike_seq.spikegpt_layers import SRFFN, SRWKV, BinaryEmbedding, l2wrap, rwkv_init_
from spike_seq.wkv import WKVState

__all__ = [
    "SpikeGPT",
    "SpikeGPTBlock",
    "SpikeGPTConfig",
    "SpikeGPTState",
    "lm_loss",
    "spikegpt_num_params",
]


def spikegpt_num_params(n_layer: int, n_embd: int, vocab_size: int) -> int:
    """The spec's exact count ``P(L, C, V) = 2 V C + L (13 C^2 + 11 C) + 4 C``."""
    C = n_embd
    return 2 * vocab_size * C + n_layer * (13 * C * C + 11 * C) + 4 * C


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpikeGPTConfig:
    """SpikeGPT hyper-parameters.

    Attributes:
        vocab_size: vocabulary size ``V``.
        n_layer: number of blocks ``L`` (>= 2: the reference init divides by ``L - 1``).
        n_embd: width ``C``.
        ctx_len: longest sequence the parallel form accepts.
        binary_embedding: binarise the embedding (both forms).
        dropout: dropout at the end of every block (training only).
        init: ``"rwkv"`` (the reference ``RWKV_Init``) or ``"torch"`` (PyTorch defaults; what
            ``train.py`` uses unless ``RWKV_LOAD_MODEL=False``).
        tau: LIF time constant (token steps).
        v_threshold: LIF threshold.
        wkv_chunk: chunk length of the parallel WKV.
        backend: spike-core kernel backend of the LIF layers in the parallel form
            (``"auto"``, ``"torch"``, ...).
    """

    vocab_size: int = 50277
    n_layer: int = 18
    n_embd: int = 768
    ctx_len: int = 1024
    binary_embedding: bool = True
    dropout: float = 0.03
    init: str = "rwkv"
    tau: float = 2.0
    v_threshold: float = 1.0
    wkv_chunk: int = 16
    backend: str = "auto"


class SpikeGPTState(NamedTuple):
    """Recurrent state of all blocks; every field is ``[L, B, C]``.

    Attributes:
        att_x: last LN1 output (token-shift memory of the time mixing).
        ffn_x: last LN2 output (token-shift memory of the feed-forward).
        a: WKV numerator sums (scaled by ``e^-p``).
        b: WKV denominator sums (scaled by ``e^-p``).
        p: WKV running maximum exponent.
        att_v: membranes of the LIF after the time mixing.
        ffn_v: membranes of the LIF after the feed-forward.
    """

    att_x: torch.Tensor
    ffn_x: torch.Tensor
    a: torch.Tensor
    b: torch.Tensor
    p: torch.Tensor
    att_v: torch.Tensor
    ffn_v: torch.Tensor


class _BlockState(NamedTuple):
    att_x: torch.Tensor
    ffn_x: torch.Tensor
    a: torch.Tensor
    b: torch.Tensor
    p: torch.Tensor
    att_v: torch.Tensor
    ffn_v: torch.Tensor


class SpikeGPTBlock(nn.Module):
    """One block: ``x += LIF(SRWKV(LN1 x)); x += LIF(SRFFN(LN2 x))`` (block 0 starts with LN0).

    Args:
        n_embd: width ``C``.
        layer_id: block index.
        n_layer: number of blocks.
        dropout: dropout probability at the end of the block.
        tau: LIF time constant.
        v_threshold: LIF threshold.
        wkv_chunk: chunk length of the parallel WKV.
        backend: kernel backend of the LIF layers.

    Shapes:
        ``forward``: ``[T, B, C]``; ``step``: ``[B, C]``.
    """

    def __init__(
        self,
        *,
        n_embd: int,
        layer_id: int,
        n_layer: int,
        dropout: float = 0.03,
        tau: float = 2.0,
        v_threshold: float = 1.0,
        wkv_chunk: int = 16,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.ln0 = nn.LayerNorm(n_embd) if layer_id == 0 else None
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)
        self.att = SRWKV(n_embd=n_embd, layer_id=layer_id, n_layer=n_layer, chunk=wkv_chunk)
        self.ffn = SRFFN(n_embd=n_embd, layer_id=layer_id, n_layer=n_layer)
        lif = {
            "tau_mem": tau,
            "v_threshold": v_threshold,
            "v_reset": 0.0,
            "reset": "hard",
            "decay_input": True,
            "detach_reset": False,
            "surrogate": "atan",
            "surrogate_kwargs": {"alpha": 2.0},
            "backend": backend,
        }
        self.lif_att = LIF(**lif)  # type: ignore[arg-type]
        self.lif_ffn = LIF(**lif)  # type: ignore[arg-type]
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, state: _BlockState
    ) -> tuple[torch.Tensor, _BlockState, tuple[torch.Tensor, torch.Tensor]]:
        """Parallel form; returns ``(x, state, (att_spikes, ffn_spikes))``, all time-major."""
        if self.ln0 is not None:
            x = self.ln0(x)
        h = self.ln1(x)
        att, wkv = self.att(h, state.att_x, WKVState(state.a, state.b, state.p))
        s_att, v_att = self.lif_att(att, LIFState(state.att_v), return_state=True)
        x = x + s_att
        h2 = self.ln2(x)
        s_ffn, v_ffn = self.lif_ffn(
            self.ffn(h2, state.ffn_x), LIFState(state.ffn_v), return_state=True
        )
        x = self.drop(x + s_ffn)
        wkv = WKVState(*(t.to(x.dtype) for t in wkv))
        new = _BlockState(h[-1], h2[-1], *wkv, v_att.v, v_ffn.v)
        return x, new, (s_att, s_ffn)

    def step(
        self, x: torch.Tensor, state: _BlockState
    ) -> tuple[torch.Tensor, _BlockState, tuple[torch.Tensor, torch.Tensor]]:
        """Recurrent form for one token ``[B, C]``; returns ``(x, state, (att_s, ffn_s))``."""
        if self.ln0 is not None:
            x = self.ln0(x)
        h = self.ln1(x)
        att, wkv = self.att.step(h, state.att_x, WKVState(state.a, state.b, state.p))
        s_att, v_att = self.lif_att.step(att, LIFState(state.att_v))
        x = x + s_att
        h2 = self.ln2(x)
        s_ffn, v_ffn = self.lif_ffn.step(self.ffn.step(h2, state.ffn_x), LIFState(state.ffn_v))
        x = self.drop(x + s_ffn)
        wkv = WKVState(*(t.to(x.dtype) for t in wkv))
        return x, _BlockState(h, h2, *wkv, v_att.v, v_ffn.v), (s_att, s_ffn)


class SpikeGPT(SpikingModel):
    """SpikeGPT language model (module docstring) with parallel and recurrent forms.

    Args:
        config: a :class:`SpikeGPTConfig`.

    Shapes:
        ``forward(idx [T, B]) -> logits [T, B, V]`` (time-major, ``T <= ctx_len``);
        ``step(token [B]) -> logits [B, V]``.

    Examples:
        >>> cfg = SpikeGPTConfig(vocab_size=11, n_layer=2, n_embd=8, ctx_len=16)
        >>> model = SpikeGPT(cfg).eval()
        >>> model(torch.randint(0, 11, (5, 2))).shape
        torch.Size([5, 2, 11])
    """

    def __init__(self, config: SpikeGPTConfig) -> None:
        super().__init__()
        c = config
        if c.n_layer < 2:
            raise ValueError(
                f"n_layer must be >= 2 (the init divides by n_layer - 1), got {c.n_layer}"
            )
        for name in ("vocab_size", "n_embd", "ctx_len", "wkv_chunk"):
            if getattr(c, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(c, name)}")
        if c.init not in ("rwkv", "torch"):
            raise ValueError(f"init must be 'rwkv' or 'torch', got {c.init!r}")
        self.config = c
        self.emb = BinaryEmbedding(
            vocab_size=c.vocab_size, n_embd=c.n_embd, binary=c.binary_embedding
        )
        self.blocks = nn.ModuleList(
            SpikeGPTBlock(
                n_embd=c.n_embd,
                layer_id=i,
                n_layer=c.n_layer,
                dropout=c.dropout,
                tau=c.tau,
                v_threshold=c.v_threshold,
                wkv_chunk=c.wkv_chunk,
                backend=c.backend,
            )
            for i in range(c.n_layer)
        )
        self.ln_out = nn.LayerNorm(c.n_embd)
        self.head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
        if c.init == "rwkv":
            rwkv_init_(self, vocab_size=c.vocab_size, n_embd=c.n_embd)

    # ------------------------------------------------------------------ state and checks
    def init_state(
        self,
        batch_size: int,
        *,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> SpikeGPTState:
        """The state before the first token: zeros, WKV exponents at ``-1e30``.

        Args:
            batch_size: ``B``.
            device: defaults to the model's device.
            dtype: defaults to the model's dtype.

        Returns:
            A :class:`SpikeGPTState` with fields ``[L, B, C]``.
        """
        w = self.emb.weight
        z = torch.zeros(
            self.config.n_layer,
            batch_size,
            self.config.n_embd,
            device=device or w.device,
            dtype=dtype or w.dtype,
        )
        return SpikeGPTState(z, z, z, z, torch.full_like(z, -1e30), z, z)

    def _check_ids(self, idx: torch.Tensor, name: str, rank: int, layout: str) -> None:
        check_tensor(idx, name)
        if idx.dtype.is_floating_point or idx.dtype.is_complex or idx.dtype == torch.bool:
            raise TypeError(f"{name} must be an integer tensor of token ids, got dtype {idx.dtype}")
        if idx.dim() != rank:
            raise ValueError(f"{name} must have shape {layout}, got {tuple(idx.shape)}")
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.config.vocab_size):
            raise ValueError(
                f"{name} holds token ids outside the vocabulary [0, {self.config.vocab_size}): "
                f"min {int(idx.min())}, max {int(idx.max())}"
            )

    def _check_state(self, state: SpikeGPTState, batch: int) -> None:
        if not isinstance(state, SpikeGPTState):
            raise TypeError(f"state must be a SpikeGPTState or None, got {type(state).__name__}")
        want = (self.config.n_layer, batch, self.config.n_embd)
        for f, t in zip(state._fields, state, strict=True):
            if tuple(t.shape) != want:
                raise ValueError(f"state.{f} has shape {tuple(t.shape)}, expected {want}")

    @staticmethod
    def _layer(state: SpikeGPTState, i: int) -> _BlockState:
        return _BlockState(*(t[i] for t in state))

    @staticmethod
    def _stack(states: list[_BlockState]) -> SpikeGPTState:
        return SpikeGPTState(*(torch.stack(f) for f in zip(*states, strict=True)))

    # ------------------------------------------------------------------ forms
    def forward_features(  # type: ignore[override]
        self,
        idx: torch.Tensor,
        state: SpikeGPTState | None = None,
        *,
        return_state: bool = False,
        return_spikes: bool = False,
    ) -> torch.Tensor | tuple:
        """Parallel form up to ``LN_out``: ``idx [T, B] -> [T, B, C]``.

        Args:
            idx: token ids, time-major ``[T, B]``, ``1 <= T <= ctx_len``.
            state: state before ``idx[0]`` (``None``: start of a text).
            return_state: also return the state after the last token.
            return_spikes: also return the LIF spike trains, a list of ``(att, ffn)`` pairs of
                ``[T, B, C]`` per block.

        Returns:
            Features, followed by the state and/or spikes when asked.

        Raises:
            ValueError: token ids outside the vocabulary, ``T > ctx_len``, or a bad state.
            TypeError: non-integer ids.
        """
        self._check_ids(idx, "idx", 2, "[T, B]")
        T, B = idx.shape
        if not 1 <= T <= self.config.ctx_len:
            raise ValueError(
                f"idx has {T} tokens; the parallel form accepts 1..ctx_len={self.config.ctx_len} "
                "(use step() or a larger ctx_len for longer sequences)"
            )
        x = self.emb(idx)
        if state is None:
            state = self.init_state(B, device=x.device, dtype=x.dtype)
        self._check_state(state, B)
        new, spikes = [], []
        for i, block in enumerate(self.blocks):
            x, st, s = block(x, self._layer(state, i))
            new.append(st)
            spikes.append(s)
        out: list = [self.ln_out(x)]
        if return_state:
            out.append(self._stack(new))
        if return_spikes:
            out.append(spikes)
        return out[0] if len(out) == 1 else tuple(out)

    def forward(  # type: ignore[override]
        self, idx: torch.Tensor, state: SpikeGPTState | None = None, *, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, SpikeGPTState]:
        """Parallel form: logits ``[T, B, V]`` for token ids ``idx`` ``[T, B]``.

        Args:
            idx: token ids, time-major ``[T, B]``.
            state: state before ``idx[0]`` or ``None``.
            return_state: also return the state after the last token.

        Returns:
            Logits (and the state when asked).
        """
        if return_state:
            feats, st = self.forward_features(idx, state, return_state=True)
            return self.head(feats), st
        return self.head(self.forward_features(idx, state))

    def step(
        self,
        token: torch.Tensor,
        state: SpikeGPTState | None = None,
        *,
        return_spikes: bool = False,
    ) -> tuple:
        """Recurrent form: one token per sequence.

        Args:
            token: token ids ``[B]``.
            state: state before this token, or ``None`` for the start of a text.
            return_spikes: also return the per-block ``(att, ffn)`` spikes ``[B, C]``.

        Returns:
            ``(logits [B, V], new_state)`` (and the spikes when asked).
        """
        self._check_ids(token, "token", 1, "[B]")
        x = self.emb(token)
        if state is None:
            state = self.init_state(token.shape[0], device=x.device, dtype=x.dtype)
        self._check_state(state, token.shape[0])
        new, spikes = [], []
        for i, block in enumerate(self.blocks):
            x, st, s = block.step(x, self._layer(state, i))  # type: ignore[operator]
            new.append(st)
            spikes.append(s)
        logits = self.head(self.ln_out(x))
        if return_spikes:
            return logits, self._stack(new), spikes
        return logits, self._stack(new)

    # ------------------------------------------------------------------ SpikingModel surface
    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the head with a fresh ``Linear(C, num_outputs, bias=False)``."""
        w = self.emb.weight
        self.head = nn.Linear(
            self.config.n_embd, num_outputs, bias=False, device=w.device, dtype=w.dtype
        )

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random token ids ``[time_steps, batch_size]`` on the model's device."""
        g = torch.Generator().manual_seed(0)
        idx = torch.randint(0, self.config.vocab_size, (time_steps, batch_size), generator=g)
        return idx.to(self.emb.weight.device)


def lm_loss(
    logits: torch.Tensor, targets: torch.Tensor, *, use_l2wrap: bool = True
) -> torch.Tensor:
    """Mean next-token cross-entropy (nats) with the L2Wrap gradient term.

    Args:
        logits: ``[T, B, V]``.
        targets: token ids ``[T, B]``.
        use_l2wrap: add L2Wrap's logit gradient in backward (the value is unchanged).

    Returns:
        Scalar loss.
    """
    loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
    return l2wrap(loss, logits) if use_l2wrap else loss
