"""SpikeGPT building blocks: binary embedding, token shift, SRWKV, SRFFN, L2Wrap and the init.

Shapes are time-major: a sequence is ``[T, B, C]`` (token position is the time axis), one
token is ``[B, C]``. Every layer has a parallel ``forward`` over a sequence and a recurrent
``step`` over one token that thread the same explicit state.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from spike_core import get_surrogate
from spike_seq.wkv import WKVState, wkv_init_state, wkv_parallel, wkv_step

__all__ = [
    "SRFFN",
    "SRWKV",
    "BinaryEmbedding",
    "l2wrap",
    "rwkv_init_",
    "token_shift",
]


def token_shift(x: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
    """Shift a sequence one position along time, filling position 0 with ``prev``.

    Args:
        x: sequence ``[T, B, C]``.
        prev: the token before ``x[0]`` (zeros at the start of a text), ``[B, C]``.

    Returns:
        ``[prev, x[0], ..., x[T-2]]`` as ``[T, B, C]``.
    """
    return torch.cat([prev.unsqueeze(0), x[:-1]], dim=0)


class BinaryEmbedding(nn.Module):
    """Token embedding followed by a Heaviside: ``b = H(E[idx])`` with ``H(0) = 1``.

    Backward uses the arctangent surrogate with ``alpha = 2`` (SpikingJelly ``ATan``). With
    ``binary=False`` the real-valued embedding is returned (the reference RNN model's choice for
    BPE vocabularies); the same flag applies to both modes.

    Args:
        vocab_size: number of tokens ``V``.
        n_embd: width ``C``.
        binary: apply the Heaviside.

    Shapes:
        ``idx`` any integer shape ``S``; output ``[*S, C]``.
    """

    def __init__(self, *, vocab_size: int, n_embd: int, binary: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab_size, n_embd))
        nn.init.normal_(self.weight)
        self.binary = bool(binary)
        self.surrogate = get_surrogate("atan", alpha=2.0)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Embed (and binarise) token ids ``idx``."""
        e = nn.functional.embedding(idx, self.weight)
        return self.surrogate(e) if self.binary else e


def _mix(x: torch.Tensor, prev: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    return x * mu + prev * (1 - mu)


class SRWKV(nn.Module):
    """Spiking RWKV time mixing: ``W_o(sigmoid(r) * wkv(k, v))`` over token-shifted inputs.

    ``k = W_k x_k, v = W_v x_v, r = W_r x_r`` with ``x_* = mu_* x_t + (1 - mu_*) x_{t-1}``, and the
    WKV recurrence of :mod:`spike_seq.wkv` with decay ``-exp(time_decay)`` and bonus
    ``time_first``. Initial ``mu``, ``time_decay`` and ``time_first`` follow the reference.

    Args:
        n_embd: width ``C``.
        layer_id: block index ``l``.
        n_layer: number of blocks ``L`` (>= 2).
        chunk: chunk length of the parallel WKV.

    Shapes:
        ``forward``: ``[T, B, C] -> [T, B, C]``; ``step``: ``[B, C] -> [B, C]``.
    """

    def __init__(self, *, n_embd: int, layer_id: int, n_layer: int, chunk: int = 16) -> None:
        super().__init__()
        C = n_embd
        r0 = layer_id / (n_layer - 1)
        r1 = 1.0 - layer_id / n_layer
        lin = [i / C for i in range(C)]
        decay = [-5 + 8 * (h / (C - 1)) ** (0.7 + 1.3 * r0) if C > 1 else -5.0 for h in range(C)]
        first = [math.log(0.3) + 0.5 * (((h + 1) % 3) - 1) for h in range(C)]
        self.time_decay = nn.Parameter(torch.tensor(decay))
        self.time_first = nn.Parameter(torch.tensor(first))
        self.time_mix_k = nn.Parameter(torch.tensor([x**r1 for x in lin]))
        self.time_mix_v = nn.Parameter(torch.tensor([x**r1 + 0.3 * r0 for x in lin]))
        self.time_mix_r = nn.Parameter(torch.tensor([x ** (0.5 * r1) for x in lin]))
        self.key = nn.Linear(C, C, bias=False)
        self.value = nn.Linear(C, C, bias=False)
        self.receptance = nn.Linear(C, C, bias=False)
        self.output = nn.Linear(C, C, bias=False)
        for m in (self.key, self.receptance, self.output):
            m.scale_init = 0.0  # type: ignore[assignment]
        self.chunk = chunk

    def _krv(self, x: torch.Tensor, prev: torch.Tensor) -> tuple[torch.Tensor, ...]:
        k = self.key(_mix(x, prev, self.time_mix_k))
        v = self.value(_mix(x, prev, self.time_mix_v))
        r = self.receptance(_mix(x, prev, self.time_mix_r))
        return k, v, r

    def forward(
        self, x: torch.Tensor, prev: torch.Tensor, state: WKVState | None = None
    ) -> tuple[torch.Tensor, WKVState]:
        """Parallel form over ``x`` ``[T, B, C]``; ``prev`` is the token before (``[B, C]``).

        Returns:
            ``(out [T, B, C], WKV state after the last token)``.
        """
        k, v, r = self._krv(x, token_shift(x, prev))
        wkv, state = wkv_parallel(
            k, v, -torch.exp(self.time_decay), self.time_first, state, chunk=self.chunk
        )
        return self.output(torch.sigmoid(r) * wkv), state

    def step(
        self, x: torch.Tensor, prev: torch.Tensor, state: WKVState | None = None
    ) -> tuple[torch.Tensor, WKVState]:
        """Recurrent form for one token ``x`` ``[B, C]``; returns ``(out [B, C], state)``."""
        k, v, r = self._krv(x, prev)
        if state is None:
            state = wkv_init_state(k)
        dt = torch.promote_types(k.dtype, torch.float32)
        wkv, state = wkv_step(
            k.to(dt),
            v.to(dt),
            -torch.exp(self.time_decay.to(dt)),
            self.time_first.to(dt),
            WKVState(*(s.to(dt) for s in state)),
        )
        return self.output(torch.sigmoid(r) * wkv.to(k.dtype)), state


class SRFFN(nn.Module):
    """Spiking receptance feed-forward: ``sigmoid(W_r x_r) * W_v(relu(W_k x_k)^2)``, hidden 4C.

    Args:
        n_embd: width ``C``.
        layer_id: block index ``l``.
        n_layer: number of blocks ``L``.

    Shapes:
        ``forward``: ``[T, B, C] -> [T, B, C]``; ``step``: ``[B, C] -> [B, C]``.
    """

    def __init__(self, *, n_embd: int, layer_id: int, n_layer: int) -> None:
        super().__init__()
        C = n_embd
        r1 = 1.0 - layer_id / n_layer
        mix = torch.tensor([(i / C) ** r1 for i in range(C)])
        self.time_mix_k = nn.Parameter(mix.clone())
        self.time_mix_r = nn.Parameter(mix.clone())
        self.key = nn.Linear(C, 4 * C, bias=False)
        self.receptance = nn.Linear(C, C, bias=False)
        self.value = nn.Linear(4 * C, C, bias=False)
        self.value.scale_init = 0.0  # type: ignore[assignment]
        self.receptance.scale_init = 0.0  # type: ignore[assignment]

    def _ffn(self, x: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        k = torch.square(torch.relu(self.key(_mix(x, prev, self.time_mix_k))))
        r = torch.sigmoid(self.receptance(_mix(x, prev, self.time_mix_r)))
        return r * self.value(k)

    def forward(self, x: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Parallel form over ``x`` ``[T, B, C]`` with the previous token ``prev`` ``[B, C]``."""
        return self._ffn(x, token_shift(x, prev))

    def step(self, x: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Recurrent form for one token ``[B, C]``."""
        return self._ffn(x, prev)


class _L2Wrap(torch.autograd.Function):
    @staticmethod
    def forward(ctx, loss: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(logits)
        return loss

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        (y,) = ctx.saved_tensors
        factor = 1e-4 / (y.shape[0] * y.shape[1])
        top, ids = torch.max(y, -1, keepdim=True)
        return grad_output, torch.zeros_like(y).scatter_(-1, ids, top * factor)


def l2wrap(loss: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Return ``loss`` unchanged, adding in backward ``1e-4/(T B) * max`` at each arg-max logit.

    The extra gradient pushes every position's largest logit towards 0 (RWKV's L2Wrap).

    Args:
        loss: scalar loss computed from ``logits``.
        logits: ``[T, B, V]``.

    Returns:
        ``loss`` (same value).
    """
    return _L2Wrap.apply(loss, logits)


@torch.no_grad()
def rwkv_init_(model: nn.Module, *, vocab_size: int, n_embd: int) -> None:
    """The reference ``RWKV_Init`` over every ``Linear`` and embedding weight (in place).

    ``gain = 1``; embeddings: ``gain = sqrt(max(out, in))``, ``scale = 1e-4`` for the token
    embedding ``(V, C)`` else 0; linears: ``gain = sqrt(out/in)`` when ``out > in``, ``scale = 0.5``
    for the head ``(V, C)``, else 1; an explicit ``scale_init`` attribute wins. Then
    ``gain *= scale``: ``scale == -999`` identity, ``gain == 0`` zeros, ``gain > 0`` orthogonal
    with that gain, otherwise ``normal(0, -scale)``. Meta tensors are skipped.

    Args:
        model: the module to initialise.
        vocab_size: ``V`` (identifies the token embedding and the head).
        n_embd: ``C``.
    """
    for m in model.modules():
        if isinstance(m, nn.Linear | BinaryEmbedding | nn.Embedding):
            weight = m.weight
            out, inp = weight.shape
            gain, scale = 1.0, 1.0
            if isinstance(m, nn.Linear):
                if out > inp:
                    gain = math.sqrt(out / inp)
                if (out, inp) == (vocab_size, n_embd):
                    scale = 0.5
            else:
                gain = math.sqrt(max(out, inp))
                scale = 1e-4 if (out, inp) == (vocab_size, n_embd) else 0.0
            scale = float(getattr(m, "scale_init", scale))
            gain *= scale
            if weight.is_meta:
                continue
            if scale == -999:
                nn.init.eye_(weight)
            elif gain == 0:
                nn.init.zeros_(weight)
            elif gain > 0:
                nn.init.orthogonal_(weight, gain=gain)
            else:
                nn.init.normal_(weight, mean=0.0, std=-scale)
