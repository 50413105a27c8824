"""Converted spiking networks: the modules CNN-Morph builds and the multi-step simulator.

A converted network is an ordinary module tree: :class:`SynapticLayer` (a bias-free copy of the
source ``nn.Linear``/``nn.Conv1d``/``nn.Conv2d`` plus its bias, delivered once),
``spike_core.SeqToBatch`` around stateless linear operators (average pooling, flatten),
:class:`~spike_convert.bif.BIF` neurons, :class:`SpikingResidual` and :class:`SpikingSequential`.
Every piece runs over a whole time-major sequence ``[T, B, ...]`` (stateless layers fold time into
the batch), layer after layer; each BIF layer keeps running after its input ends until it is quiet,
so a layer's output sequence can be longer than its input. This is the same computation as a
synchronous step-by-step simulation run until no layer spikes.
"""

from __future__ import annotations

import copy
import dataclasses

import torch
from torch import nn

from spike_convert.bif import BIF

__all__ = ["BIFSNN", "SimulationResult", "SpikingResidual", "SpikingSequential", "SynapticLayer"]


def _pad_to(x_seq: torch.Tensor, T: int) -> torch.Tensor:
    if x_seq.shape[0] >= T:
        return x_seq
    return torch.cat([x_seq, x_seq.new_zeros((T - x_seq.shape[0], *x_seq.shape[1:]))])


class SynapticLayer(nn.Module):
    """A linear/convolutional synapse applied at every step, with its bias delivered once.

    Args:
        layer: the source ``nn.Linear``, ``nn.Conv1d`` or ``nn.Conv2d``; a bias-free copy is kept
            as :attr:`layer` (so operation counters hook an ordinary ``nn.Linear``/``nn.ConvNd``)
            and its bias as :attr:`bias`.

    Shapes:
        ``x_seq``: ``[T, B, ...in]`` -> ``[T, B, ...out]``; the bias is added at step 0 only.
    """

    def __init__(self, layer: nn.Linear | nn.Conv1d | nn.Conv2d) -> None:
        super().__init__()
        if not isinstance(layer, nn.Linear | nn.Conv1d | nn.Conv2d):
            raise TypeError(f"layer must be Linear/Conv1d/Conv2d, got {type(layer).__name__}")
        bias = None if layer.bias is None else layer.bias.detach().clone()
        inner = copy.deepcopy(layer)
        inner.bias = None
        self.layer = inner
        self.bias = None if bias is None else nn.Parameter(bias)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Apply the synapse to every step (time folded into the batch), bias at step 0.

        Args:
            x_seq: time-major input ``[T, B, ...]``.

        Returns:
            ``[T, B, ...]`` synaptic currents.
        """
        T, B = x_seq.shape[:2]
        y = self.layer(x_seq.reshape(T * B, *x_seq.shape[2:]))
        y = y.reshape(T, B, *y.shape[1:])
        if self.bias is not None:
            b: torch.Tensor = self.bias
            if not isinstance(self.layer, nn.Linear):
                b = b.view(-1, *((1,) * (y.dim() - 3)))
            head = y[:1] + b
            y = torch.cat([head, y[1:]]) if T > 1 else head
        return y

    def extra_repr(self) -> str:
        """Constructor arguments shown by ``print(module)``."""
        return f"bias_once={self.bias is not None}"


def _run(
    module: nn.Module, x_seq: torch.Tensor, until_quiet: bool, t_max: int | None
) -> torch.Tensor:
    if isinstance(module, BIF):
        return module(x_seq, until_quiet=until_quiet, t_max=t_max)
    if isinstance(module, SpikingSequential | SpikingResidual):
        return module(x_seq, until_quiet=until_quiet, t_max=t_max)
    return module(x_seq)


class SpikingSequential(nn.Sequential):
    """A chain of converted layers run one after the other over the whole sequence.

    Shapes:
        ``x_seq``: ``[T, B, ...]`` -> ``[T_out, B, ...]`` with ``T_out >= T`` when running until
        quiet.
    """

    def forward(  # type: ignore[override]
        self, x_seq: torch.Tensor, *, until_quiet: bool = True, t_max: int | None = None
    ) -> torch.Tensor:
        """Run every layer in order.

        Args:
            x_seq: time-major input ``[T, B, ...]``.
            until_quiet: let BIF layers run on after their input ends until quiet.
            t_max: cap on any layer's number of steps.

        Returns:
            The last layer's per-step output ``[T_out, B, ...]``.
        """
        for module in self:
            x_seq = _run(module, x_seq, until_quiet, t_max)
        return x_seq


class SpikingResidual(nn.Module):
    """Converted residual addition: both branches over time, outputs added step by step.

    Args:
        body: converted residual branch.
        shortcut: converted skip branch.

    Shapes:
        ``x_seq``: ``[T, B, ...]`` -> ``[max(T_body, T_skip), B, ...]`` (the shorter is zero-padded).
    """

    def __init__(self, body: nn.Module, shortcut: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(
        self, x_seq: torch.Tensor, *, until_quiet: bool = True, t_max: int | None = None
    ) -> torch.Tensor:
        """Sum of both branches.

        Args:
            x_seq: ``[T, B, ...]``.
            until_quiet: passed to BIF layers.
            t_max: cap on any layer's number of steps.

        Returns:
            ``[T_out, B, ...]``.
        """
        a = _run(self.body, x_seq, until_quiet, t_max)
        b = _run(self.shortcut, x_seq, until_quiet, t_max)
        T = max(a.shape[0], b.shape[0])
        return _pad_to(a, T) + _pad_to(b, T)


@dataclasses.dataclass
class SimulationResult:
    """What :meth:`BIFSNN.run` returns.

    Attributes:
        output: the network output summed over time, ``[B, ...]`` (equals the quantized network's
            output when ``quiet``).
        outputs: per-step outputs of the last layer, time-major ``[T_out, B, ...]``.
        steps: simulation steps used (``T_out``): the last step at which any layer spiked, or
            the input length if larger. A synchronous simulation observes quiet one step later.
        quiet: every BIF layer reached quiescence (``False`` when a step cap cut it short or the
            simulation ran a fixed number of steps and some neuron was still active).
    """

    output: torch.Tensor
    outputs: torch.Tensor
    steps: int
    quiet: bool


class BIFSNN(nn.Module):
    """A converted BIF spiking network (the result of CNN-Morph).

    Args:
        net: the converted layers (a :class:`SpikingSequential`).

    Shapes:
        ``forward``: time-major input currents ``[T, B, ...]`` -> per-step outputs
        ``[T_out, B, ...]``; ``run``: analog ``[B, ...]`` -> :class:`SimulationResult`.

    Examples:
        >>> from spike_convert import cnn_morph
        >>> ann = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> snn = cnn_morph(ann, levels=4, calibration=torch.randn(16, 4))
        >>> snn.run(torch.randn(2, 4)).output.shape
        torch.Size([2, 3])
    """

    def __init__(self, net: SpikingSequential) -> None:
        super().__init__()
        if not isinstance(net, SpikingSequential):
            raise TypeError(f"net must be a SpikingSequential, got {type(net).__name__}")
        self.net = net

    def bif_layers(self) -> list[BIF]:
        """Every BIF neuron layer, in module order."""
        return [m for m in self.modules() if isinstance(m, BIF)]

    def settle_bound(self, input_steps: int = 1) -> int:
        """The spec's loose bound on the steps to quiet: ``T_in - 1 + sum_l (S_max,l - S_min,l) + depth``.

        One BIF layer fed once needs at most ``S_max - S_min`` steps (``L`` for a ReLU quantizer)
        and one more to show it is quiet; each further layer can add its own span.

        Args:
            input_steps: length of the input sequence.

        Returns:
            An upper bound on :attr:`SimulationResult.steps` (plus the observing step).
        """
        bifs = self.bif_layers()
        return input_steps - 1 + sum(b.s_max - b.s_min for b in bifs) + len(bifs)

    def default_t_max(self, input_steps: int = 1) -> int:
        """Step cap ``input_steps + 4 L depth`` (spec default), ``L = max(S_max - S_min)``."""
        bifs = self.bif_layers()
        if not bifs:
            return input_steps
        span = max(b.s_max - b.s_min for b in bifs)
        return input_steps + 4 * span * len(bifs)

    def forward(
        self, x_seq: torch.Tensor, *, until_quiet: bool = True, t_max: int | None = None
    ) -> torch.Tensor:
        """Simulate over time-major input currents.

        Args:
            x_seq: input ``[T, B, ...]`` (e.g. from :func:`~spike_convert.s_analog_encode`).
            until_quiet: run every BIF layer on until it is quiet (exact result). With
                ``False`` every layer runs exactly ``T`` steps (a truncated simulation).
            t_max: step cap (default :meth:`default_t_max`).

        Returns:
            Per-step outputs of the last layer ``[T_out, B, ...]``; sum over dim 0 for the result.
        """
        if not isinstance(x_seq, torch.Tensor) or x_seq.dim() < 2:
            raise ValueError(
                "x_seq must be a time-major tensor [T, B, ...], got "
                f"{getattr(x_seq, 'shape', type(x_seq).__name__)}"
            )
        cap = self.default_t_max(x_seq.shape[0]) if t_max is None else int(t_max)
        y = self.net(x_seq, until_quiet=until_quiet, t_max=cap)
        if not until_quiet:
            y = y[: x_seq.shape[0]]
        return y

    @torch.no_grad()
    def run(
        self,
        x: torch.Tensor,
        *,
        time_steps: int = 1,
        until_quiet: bool = True,
        t_max: int | None = None,
    ) -> SimulationResult:
        """s-analog encode ``x``, simulate, and sum the output over time.

        Args:
            x: analog input ``[B, ...]`` (what the source ANN takes).
            time_steps: input length: ``x`` at step 0 then zeros. With ``until_quiet=False`` this
                is the total number of simulated steps ``T``.
            until_quiet: run until every BIF layer is quiet.
            t_max: step cap when ``until_quiet``.

        Returns:
            A :class:`SimulationResult`.
        """
        from spike_convert.encoding import s_analog_encode

        y = self(s_analog_encode(x, time_steps), until_quiet=until_quiet, t_max=t_max)
        quiet = all(b.last_quiet for b in self.bif_layers())
        if not until_quiet:
            quiet = quiet and self._quiet_after_fixed(x, time_steps)
        return SimulationResult(output=y.sum(0), outputs=y, steps=int(y.shape[0]), quiet=quiet)

    def _quiet_after_fixed(self, x: torch.Tensor, time_steps: int) -> bool:
        from spike_convert.encoding import s_analog_encode

        longer = self(s_analog_encode(x, time_steps), until_quiet=True)
        return int(longer.shape[0]) <= time_steps
