"""RNN -> QRNN: the float Elman source network and its quantized counterpart (RNN-Morph, step 1).

Source: ``h_n = f(W_x x_n + W_h h_{n-1} + b)``, ``h_0 = 0`` (``nn.RNN`` with ``nonlinearity="relu"``;
``"tanh"`` becomes a signed quantizer and needs fine-tuning), read-out ``y = W_o h_N + b_o``
(``readout="last"``) or ``y_n = W_o h_n + b_o`` (``readout="all"``). Gated cells (GRU, LSTM) are out
of scope and rejected by name. QRNN: ``h_n = Q(W_x x_n + W_h h_{n-1} + b)``.
"""

from __future__ import annotations

import copy
from typing import Literal, cast

import torch
from torch import nn
from torch.nn import functional as F

from spike_convert.cnn_morph import quantize_cnn
from spike_convert.quantizer import QuantAct
from spike_core._validation import check_finite, check_floating, check_rank

__all__ = ["QRNNClassifier", "QRNNLayer", "RNNClassifier", "quantize_rnn"]

Readout = Literal["last", "all"]


def _check_seq(x_seq: torch.Tensor) -> None:
    check_floating(x_seq, "x_seq")
    check_rank(x_seq, "x_seq", 3, "[N, B, features...]")
    check_finite(x_seq, "x_seq")


def _check_readout(readout: str) -> str:
    if readout not in ("last", "all"):
        raise ValueError(f"readout must be 'last' or 'all', got {readout!r}")
    return readout


def _apply_frontend(frontend: nn.Module | None, x_seq: torch.Tensor) -> torch.Tensor:
    if frontend is None:
        return x_seq.flatten(2)
    N, B = x_seq.shape[:2]
    y = frontend(x_seq.reshape(N * B, *x_seq.shape[2:]))
    return y.reshape(N, B, -1)


class RNNClassifier(nn.Module):
    """Float source network: optional per-element front-end, Elman ``nn.RNN`` (ReLU), linear head.

    Args:
        input_size: features per element after the front-end.
        hidden_size: hidden units ``H`` per layer.
        num_outputs: outputs of the head.
        num_layers: stacked RNN layers.
        frontend: optional module applied to every element (e.g. a small CNN; "CRNN").
        readout: ``"last"`` (classification on ``h_N``) or ``"all"`` (one output per element).
        nonlinearity: ``"relu"`` (exact after QAT) or ``"tanh"``.

    Shapes:
        ``x_seq``: time-major ``[N, B, ...]`` -> ``[B, K]`` (``"last"``) or ``[N, B, K]``.

    Examples:
        >>> net = RNNClassifier(input_size=1, hidden_size=8, num_outputs=10)
        >>> net(torch.zeros(64, 2, 1)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        *,
        input_size: int,
        hidden_size: int,
        num_outputs: int,
        num_layers: int = 1,
        frontend: nn.Module | None = None,
        readout: Readout = "last",
        nonlinearity: str = "relu",
    ) -> None:
        super().__init__()
        self.frontend = frontend
        self.rnn = nn.RNN(input_size, hidden_size, num_layers, nonlinearity=nonlinearity)
        self.head = nn.Linear(hidden_size, num_outputs)
        self.readout = _check_readout(readout)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Run the float network.

        Args:
            x_seq: time-major ``[N, B, ...]``.

        Returns:
            ``[B, K]`` or ``[N, B, K]``.
        """
        _check_seq(x_seq)
        h_seq, _ = self.rnn(_apply_frontend(self.frontend, x_seq))
        return self.head(h_seq[-1] if self.readout == "last" else h_seq)


class QRNNLayer(nn.Module):
    """One quantized Elman layer ``h_n = Q(W_x x_n + b_x + W_h h_{n-1} + b_h)``.

    The feed-forward term is computed for all elements at once as ``W_x x`` (time folded) and
    ``b_x`` added per element, the same expression the RBIF layer uses, so hidden states match
    bit for bit.

    Args:
        ih: input-to-hidden ``nn.Linear(D, H)``.
        hh: hidden-to-hidden ``nn.Linear(H, H)``.
        act: the quantizer (unsigned for ReLU RNNs).
        init_percentile: how an uninitialised step is set from the float recurrence's
            pre-activations: this percentile of their magnitudes divided by ``L`` (default 99), or
            ``None`` for LSQ's ``2 mean(|x|) / sqrt(L)`` (which clips recurrent states harder).

    Shapes:
        ``x_seq``: ``[N, B, D]`` -> hidden states ``[N, B, H]``.
    """

    def __init__(
        self, *, ih: nn.Linear, hh: nn.Linear, act: QuantAct, init_percentile: float | None = 99.0
    ) -> None:
        super().__init__()
        self.ih = ih
        self.hh = hh
        self.act = act
        self.init_percentile = init_percentile

    def _ff(self, x_seq: torch.Tensor) -> torch.Tensor:
        return F.linear(x_seq, self.ih.weight)

    @torch.no_grad()
    def _init_step(self, ff: torch.Tensor) -> None:
        h = ff.new_zeros((*ff.shape[1:-1], self.hh.out_features))
        pres = []
        for f in ff:
            pre = f + self.ih.bias + self.hh(h) if self.ih.bias is not None else f + self.hh(h)
            pres.append(pre)
            h = torch.relu(pre) if self.act.neg_levels == 0 else pre.clamp(-1.0, 1.0)
        self.act.init_step(torch.stack(pres), percentile=self.init_percentile)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Quantized recurrence over the sequence.

        Args:
            x_seq: ``[N, B, D]``.

        Returns:
            ``[N, B, H]``.
        """
        ff = self._ff(x_seq)
        if not bool(self.act.initialized):
            self._init_step(ff)
        h = ff.new_zeros((*ff.shape[1:-1], self.hh.out_features))
        out = []
        for f in ff:
            start = f + self.ih.bias if self.ih.bias is not None else f
            h = self.act(start + self.hh(h))
            out.append(h)
        return torch.stack(out)


class QRNNClassifier(nn.Module):
    """QRNN: quantized front-end (optional), stacked :class:`QRNNLayer`, linear head.

    Args:
        layers: the quantized recurrent layers.
        head: read-out ``nn.Linear(H, K)``.
        frontend: optional quantized per-element front-end (a QCNN).
        readout: ``"last"`` or ``"all"``.

    Shapes:
        ``x_seq``: ``[N, B, ...]`` -> ``[B, K]`` or ``[N, B, K]``; :meth:`hidden_states` returns one
        ``[N, B, H]`` tensor per layer.
    """

    def __init__(
        self,
        *,
        layers: list[QRNNLayer],
        head: nn.Linear,
        frontend: nn.Module | None = None,
        readout: Readout = "last",
    ) -> None:
        super().__init__()
        self.frontend = frontend
        self.layers = nn.ModuleList(layers)
        self.head = head
        self.readout = _check_readout(readout)

    def qrnn_layers(self) -> list[QRNNLayer]:
        """The quantized recurrent layers, bottom to top."""
        return [cast(QRNNLayer, m) for m in self.layers]

    def hidden_states(self, x_seq: torch.Tensor) -> list[torch.Tensor]:
        """Hidden states of every layer, each ``[N, B, H]``.

        Args:
            x_seq: ``[N, B, ...]``.

        Returns:
            One tensor per layer.
        """
        _check_seq(x_seq)
        h = _apply_frontend(self.frontend, x_seq)
        states = []
        for layer in self.qrnn_layers():
            h = layer(h)
            states.append(h)
        return states

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Read-out of the quantized network.

        Args:
            x_seq: ``[N, B, ...]``.

        Returns:
            ``[B, K]`` or ``[N, B, K]``.
        """
        h = self.hidden_states(x_seq)[-1]
        return self.head(h[-1] if self.readout == "last" else h)


def _reject_gated(model: nn.Module) -> None:
    for name, m in model.named_modules():
        if isinstance(m, nn.GRU | nn.LSTM | nn.GRUCell | nn.LSTMCell):
            raise ValueError(
                f"layer {name!r} ({type(m).__name__}) is a gated recurrent cell; RNN-Morph converts "
                "Elman nn.RNN layers only (gated cells are out of scope)"
            )


def quantize_rnn(
    model: RNNClassifier,
    *,
    levels: int = 8,
    calibration: torch.Tensor | None = None,
    init_percentile: float | None = 99.0,
) -> QRNNClassifier:
    """RNN -> QRNN: replace every recurrent non-linearity (and the front-end's) by a quantizer.

    Args:
        model: the float :class:`RNNClassifier`.
        levels: ``L`` of every quantizer.
        calibration: a sequence batch ``[N, B, ...]`` initialising the steps from the float
            pre-activations of each layer.
        init_percentile: step initialisation (see :class:`QRNNLayer`): a percentile of the
            pre-activation magnitudes divided by ``L`` (default 99), or ``None`` for LSQ.

    Returns:
        The :class:`QRNNClassifier` (evaluation mode).

    Raises:
        ValueError: a gated cell or unsupported layer (named).

    Shapes:
        As the source model.
    """
    _reject_gated(model)
    if not isinstance(model, RNNClassifier):
        raise TypeError(f"model must be an RNNClassifier, got {type(model).__name__}")
    rnn = model.rnn
    neg = levels if rnn.nonlinearity == "tanh" else 0
    frontend = None
    if model.frontend is not None:
        frontend = quantize_cnn(model.frontend, levels=levels)
    layers = []
    for k in range(rnn.num_layers):
        w_ih = getattr(rnn, f"weight_ih_l{k}").detach().clone()
        w_hh = getattr(rnn, f"weight_hh_l{k}").detach().clone()
        ih = nn.Linear(w_ih.shape[1], w_ih.shape[0], bias=rnn.bias).to(w_ih)
        hh = nn.Linear(w_hh.shape[1], w_hh.shape[0], bias=rnn.bias).to(w_hh)
        with torch.no_grad():
            ih.weight.copy_(w_ih)
            hh.weight.copy_(w_hh)
            if rnn.bias:
                ih.bias.copy_(getattr(rnn, f"bias_ih_l{k}"))
                hh.bias.copy_(getattr(rnn, f"bias_hh_l{k}"))
        act = QuantAct(levels=levels, neg_levels=neg)
        layers.append(QRNNLayer(ih=ih, hh=hh, act=act, init_percentile=init_percentile))
    q = QRNNClassifier(
        layers=layers,
        head=copy.deepcopy(model.head),
        frontend=frontend,
        readout=model.readout,  # type: ignore[arg-type]
    )
    if calibration is not None:
        with torch.no_grad():
            if frontend is not None:
                N, B = calibration.shape[:2]
                frontend.eval()(calibration.reshape(N * B, *calibration.shape[2:]))
            q.eval()(calibration)
    return q.eval()
