"""RNN-Morph: Elman RNN -> QRNN -> RBIFSNN (recurrent BIF), with zero conversion error.

Source: ``h_n = f(W_x x_n + W_h h_{n-1} + b)``, ``h_0 = 0`` (``nn.RNN`` with ``nonlinearity="relu"``;
``"tanh"`` becomes a signed quantizer and needs fine-tuning), read-out ``y = W_o h_N + b_o``
(``readout="last"``) or ``y_n = W_o h_n + b_o`` (``readout="all"``). Gated cells (GRU, LSTM) are out
of scope and rejected by name.

QRNN: ``h_n = Q(W_x x_n + W_h h_{n-1} + b)``.

RBIFSNN ("nested" schedule): every sequence element gets its own window of simulation steps. The
element ``x_n`` is injected once at the window's first step (s-analog), together with the recurrent
charge ``W_h h_{n-1}`` where ``h_{n-1} = theta * S_{n-1}`` is the previous window's counter; the
population restarts from ``v = theta/2, S = 0`` in every window and runs until quiet. By the BIF
fixed point the window ends with ``theta * S_n = h_n`` exactly, and by induction every hidden state
equals the QRNN's.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from spike_convert.bif import BIF
from spike_convert.cnn_morph import convert_cnn
from spike_convert.encoding import s_analog_encode
from spike_convert.qrnn import (
    QRNNClassifier,
    Readout,
    RNNClassifier,
    _check_readout,
    _check_seq,
    _reject_gated,
    quantize_rnn,
)
from spike_convert.snn import BIFSNN, SynapticLayer

__all__ = [
    "RBIFSNN",
    "RBIFLayer",
    "RNNSimulationResult",
    "convert_rnn",
    "rnn_morph",
]


class RBIFLayer(nn.Module):
    """A recurrent BIF population (RBIF) with its input and recurrent synapses.

    Args:
        ih: input synapse (:class:`~spike_convert.snn.SynapticLayer`, bias once per element).
        hh: recurrent synapse ``nn.Linear(H, H)`` (its bias delivered once per element with the
            recurrent charge).
        neuron: the BIF population (``theta`` = the QRNN step).

    Shapes:
        One window: currents ``[T, B, H]`` -> spikes ``[T_out, B, H]``.
    """

    def __init__(self, *, ih: SynapticLayer, hh: nn.Linear, neuron: BIF) -> None:
        super().__init__()
        self.ih = ih
        self.hh = hh
        self.neuron = neuron

    def window(
        self,
        ff: torch.Tensor,
        h_prev: torch.Tensor,
        o_prev: torch.Tensor | None,
        *,
        state: object = None,
        recurrent: str = "window_start",
        t_max: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, object]:
        """Simulate one element window until quiet.

        Args:
            ff: feed-forward currents of the window (bias at step 0), ``[T, B, H]``.
            h_prev: previous hidden state ``theta * S_{n-1}``, ``[B, H]``.
            o_prev: previous window's output spikes ``[T', B, H]`` (for ``recurrent="replay"``).
            state: BIF state to start from (``None`` restarts at ``v = theta/2, S = 0``).
            recurrent: ``"window_start"`` (``W_h h_{n-1} + b_h`` at step 0) or ``"replay"``
                (``W_h`` applied to the previous spikes step by step, ``b_h`` at step 0).
            t_max: step cap for the window.

        Returns:
            ``(spikes [T_out, B, H], h_n [B, H], final BIF state)``.
        """
        if recurrent == "window_start" or o_prev is None:
            head = ff[:1] + self.hh(h_prev)
            current = torch.cat([head, ff[1:]]) if ff.shape[0] > 1 else head
        else:
            rec = F.linear(o_prev, self.hh.weight)
            if self.hh.bias is not None:
                rec = torch.cat([rec[:1] + self.hh.bias, rec[1:]])
            T = max(ff.shape[0], rec.shape[0])
            current = _pad(ff, T) + _pad(rec, T)
        spikes, new_state = self.neuron(
            current, state, return_state=True, until_quiet=True, t_max=t_max
        )
        theta = self.neuron.v_threshold.to(current)
        if state is None:
            h_new = new_state.counter * theta
        else:
            h_new = (new_state.counter - state.counter) * theta  # type: ignore[attr-defined]
        return spikes, h_new, new_state


def _pad(x: torch.Tensor, T: int) -> torch.Tensor:
    if x.shape[0] >= T:
        return x
    return torch.cat([x, x.new_zeros((T - x.shape[0], *x.shape[1:]))])


@dataclasses.dataclass
class RNNSimulationResult:
    """What :meth:`RBIFSNN.run` returns.

    Attributes:
        output: read-out, ``[B, K]`` (``"last"``) or ``[N, B, K]`` (``"all"``), each summed over its
            window.
        hidden: per layer, the hidden states ``theta * S_n`` at the end of every window,
            ``[N, B, H]`` (equal to the QRNN's).
        steps_per_element: simulation steps of every element window.
        steps: total steps ``sum(steps_per_element)``.
        quiet: every window reached quiescence.
    """

    output: torch.Tensor
    hidden: list[torch.Tensor]
    steps_per_element: list[int]
    steps: int
    quiet: bool


class RBIFSNN(nn.Module):
    """The converted recurrent spiking network (result of RNN-Morph).

    Args:
        layers: RBIF layers (bottom to top).
        head: read-out synapse (:class:`~spike_convert.snn.SynapticLayer`, no neuron; its outputs
            are summed over each window).
        frontend: converted per-element front-end (a :class:`~spike_convert.snn.BIFSNN`) or
            ``None``.
        readout: ``"last"`` or ``"all"``.
        restart: restart every population at each element (the exact default). ``False`` carries
            the membrane and counter across elements; it is *not* equivalent to the QRNN.
        recurrent: ``"window_start"`` or ``"replay"`` (same total charge; see
            :meth:`RBIFLayer.window`).

    Shapes:
        ``x_seq``: time-major elements ``[N, B, ...]`` -> ``[B, K]`` or ``[N, B, K]``.
    """

    def __init__(
        self,
        *,
        layers: list[RBIFLayer],
        head: SynapticLayer,
        frontend: BIFSNN | None = None,
        readout: Readout = "last",
        restart: bool = True,
        recurrent: str = "window_start",
    ) -> None:
        super().__init__()
        if recurrent not in ("window_start", "replay"):
            raise ValueError(f"recurrent must be 'window_start' or 'replay', got {recurrent!r}")
        self.frontend = frontend
        self.layers = nn.ModuleList(layers)
        self.head = head
        self.readout = _check_readout(readout)
        self.restart = bool(restart)
        self.recurrent = recurrent

    def rbif_layers(self) -> list[RBIFLayer]:
        """The RBIF layers, bottom to top."""
        return [cast(RBIFLayer, m) for m in self.layers]

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Simulate and return the read-out (see :meth:`run`).

        Args:
            x_seq: ``[N, B, ...]``.

        Returns:
            ``[B, K]`` or ``[N, B, K]``.
        """
        return self.run(x_seq).output

    def _window_cap(self) -> int:
        bifs = [m for m in self.modules() if isinstance(m, BIF)]
        span = max(b.s_max - b.s_min for b in bifs)
        return 1 + 4 * span * len(bifs)

    @torch.no_grad()
    def run(self, x_seq: torch.Tensor, *, t_max: int | None = None) -> RNNSimulationResult:
        """Nested simulation: one until-quiet window per element.

        Args:
            x_seq: time-major ``[N, B, ...]`` (``x_n`` injected at its window's first step).
            t_max: step cap per window (default ``1 + 4 L depth``).

        Returns:
            An :class:`RNNSimulationResult`.
        """
        _check_seq(x_seq)
        cap = self._window_cap() if t_max is None else int(t_max)
        N, B = x_seq.shape[:2]
        layers = self.rbif_layers()
        first = layers[0]
        analog_ff = None
        if self.frontend is None:
            analog_ff = first.ih.layer(x_seq.flatten(2))  # W_x x for every element, time folded
        hs = [x_seq.new_zeros(B, layer.hh.out_features) for layer in layers]
        prev_spikes: list[torch.Tensor | None] = [None] * len(layers)
        states: list[object] = [None] * len(layers)
        hidden: list[list[torch.Tensor]] = [[] for _ in layers]
        outs, steps, quiet = [], [], True
        for n in range(N):
            if analog_ff is not None:
                bias = first.ih.bias
                u = None
                ff = (analog_ff[n] + bias if bias is not None else analog_ff[n]).unsqueeze(0)
            else:
                assert self.frontend is not None
                u = self.frontend(s_analog_encode(x_seq[n]), t_max=cap).flatten(2)
                quiet = quiet and all(b.last_quiet for b in self.frontend.bif_layers())
                ff = first.ih(u)
            window_len = ff.shape[0]
            for i, layer in enumerate(layers):
                if i > 0:
                    ff = layer.ih(u)
                start = None if self.restart else states[i]
                u, h, st = layer.window(
                    ff, hs[i], prev_spikes[i], state=start, recurrent=self.recurrent, t_max=cap
                )
                quiet = quiet and layer.neuron.last_quiet
                hs[i], prev_spikes[i], states[i] = h, u, st
                hidden[i].append(h)
                window_len = max(window_len, u.shape[0])
            steps.append(window_len)
            if self.readout == "all" or n == N - 1:
                outs.append(self.head(u).sum(0))
        output = outs[-1] if self.readout == "last" else torch.stack(outs)
        return RNNSimulationResult(
            output=output,
            hidden=[torch.stack(h) for h in hidden],
            steps_per_element=steps,
            steps=sum(steps),
            quiet=quiet,
        )


def convert_rnn(
    qmodel: QRNNClassifier, *, restart: bool = True, recurrent: str = "window_start"
) -> RBIFSNN:
    """QRNN -> RBIFSNN: copy the weights, replace every quantizer by a BIF population.

    Args:
        qmodel: the quantized network (steps initialised).
        restart: per-element restart (exact; ``False`` only for comparison).
        recurrent: ``"window_start"`` or ``"replay"``.

    Returns:
        The :class:`RBIFSNN`.

    Raises:
        ValueError: an uninitialised quantizer or an unsupported front-end layer (named).

    Shapes:
        As :class:`RBIFSNN`.
    """
    if not isinstance(qmodel, QRNNClassifier):
        raise TypeError(f"qmodel must be a QRNNClassifier, got {type(qmodel).__name__}")
    layers = []
    for k, q in enumerate(qmodel.qrnn_layers()):
        if not bool(q.act.initialized):
            raise ValueError(
                f"layer 'layers.{k}.act' (QuantAct) has an uninitialised step: calibrate first"
            )
        neuron = BIF(v_threshold=q.act.step.detach(), s_min=q.act.s_min, s_max=q.act.s_max)
        layers.append(RBIFLayer(ih=SynapticLayer(q.ih), hh=copy.deepcopy(q.hh), neuron=neuron))
    frontend = convert_cnn(qmodel.frontend) if qmodel.frontend is not None else None
    return RBIFSNN(
        layers=layers,
        head=SynapticLayer(qmodel.head),
        frontend=frontend,
        readout=qmodel.readout,  # type: ignore[arg-type]
        restart=restart,
        recurrent=recurrent,
    ).eval()


def rnn_morph(
    model: RNNClassifier | QRNNClassifier,
    *,
    levels: int = 8,
    calibration: torch.Tensor | None = None,
) -> RBIFSNN:
    """RNN-Morph in one call: a float :class:`RNNClassifier` (quantized first) or a QRNN in.

    Args:
        model: float RNN or QRNN.
        levels: ``L`` for a float model.
        calibration: sequence batch ``[N, B, ...]`` for a float model's quantizer steps.

    Returns:
        The :class:`RBIFSNN`.

    Raises:
        ValueError: gated cells or unsupported layers (named); a float model without
            ``calibration``.

    Shapes:
        As :class:`RBIFSNN`.
    """
    if isinstance(model, QRNNClassifier):
        return convert_rnn(model)
    _reject_gated(model)
    if calibration is None:
        raise ValueError("calibration must be given to quantize a float RNN")
    return convert_rnn(quantize_rnn(model, levels=levels, calibration=calibration))
