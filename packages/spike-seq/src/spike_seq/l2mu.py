"""L2MU: the Legendre Memory Unit with every element a population of spiking neurons.

Populations ``u`` (M), ``m`` (M d), ``h`` (H) and ``out`` (K), all exchanging spikes::

    I_u = e_x x_t + e_h s_h[t-1] + e_m s_m[t-1]          s_u = N_u(I_u)
    I_m = Abar s_m[t-1] + Bbar s_u   (per channel)      s_m = N_m(I_m)
    I_h = W_x x_t + W_h s_h[t-1] + W_m s_m              s_h = N_h(I_h)
    I_o = W_o s_h + b_o                                 s_o = N_o(I_o)

Neurons follow snnTorch ``Leaky`` (LIF) or ``Synaptic`` (CuBa-LIF) with a learnable scalar decay
``beta`` (clamped to [0, 1]) and threshold per population, reset by subtraction using the
previous step's spike, and a spike when strictly above threshold (arctangent surrogate)::

    LIF:   R = H(U[t-1] - thr) (no gradient);  U = beta U[t-1] + I - R thr;  S = H(U - thr)
    CuBa:  J = alpha J[t-1] + I;               U = beta U[t-1] + J - R thr;  S = H(U - thr)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import NamedTuple

import torch
from torch import nn

from spike_core import SpikingModel
from spike_core._validation import check_finite, check_floating
from spike_seq.lmu import discretize_lmu

__all__ = [
    "L2MU",
    "L2MUClassifier",
    "L2MUConfig",
    "L2MUState",
    "SpikingInputModule",
    "SpikingPopulation",
    "l2mu_num_params",
]


class _StrictSpike(torch.autograd.Function):
    """``H(x) = 1[x > 0]`` with the arctangent surrogate (alpha = 2) in backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad / (1 + (math.pi * x).square())


class PopState(NamedTuple):
    """State of one population: membrane ``u`` and synaptic current ``j`` (zero for LIF)."""

    u: torch.Tensor
    j: torch.Tensor


class SpikingPopulation(nn.Module):
    """A population of snnTorch-style LIF or CuBa-LIF neurons with learnable ``beta``, threshold.

    Args:
        neuron: ``"lif"`` or ``"cuba"``.
        beta: initial membrane decay (clamped to [0, 1] in use).
        threshold: initial threshold.
        alpha: synaptic decay of the CuBa model (fixed).

    Shapes:
        ``step(I [B, N], PopState) -> (S [B, N], PopState)``.
    """

    alpha: torch.Tensor

    def __init__(
        self, *, neuron: str = "lif", beta: float = 0.5, threshold: float = 1.0, alpha: float = 0.5
    ) -> None:
        super().__init__()
        if neuron not in ("lif", "cuba"):
            raise ValueError(f"neuron must be 'lif' or 'cuba', got {neuron!r}")
        self.neuron = neuron
        self.beta = nn.Parameter(torch.tensor(float(beta)))
        self.threshold = nn.Parameter(torch.tensor(float(threshold)))
        self.register_buffer("alpha", torch.tensor(float(alpha)))

    def init_state(self, like: torch.Tensor) -> PopState:
        """Zero state shaped like ``like`` ``[B, N]``."""
        return PopState(torch.zeros_like(like), torch.zeros_like(like))

    def step(self, current: torch.Tensor, state: PopState) -> tuple[torch.Tensor, PopState]:
        """One step (module docstring)."""
        beta = self.beta.clamp(0.0, 1.0)
        thr = self.threshold
        reset = (state.u - thr > 0).to(current.dtype).detach()
        j = self.alpha * state.j + current if self.neuron == "cuba" else state.j
        drive = j if self.neuron == "cuba" else current
        u = beta * state.u + drive - reset * thr
        return _StrictSpike.apply(u - thr), PopState(u, j)


@dataclasses.dataclass(frozen=True, kw_only=True)
class L2MUConfig:
    """L2MU hyper-parameters.

    Attributes:
        input_size: raw input channels ``I``.
        memory_size: memory channels ``M``.
        order: Legendre order ``d`` (>= 1).
        hidden_size: hidden population ``H``.
        num_classes: output population ``K``.
        theta: memory window in time steps.
        neuron: ``"lif"`` or ``"cuba"``.
        discretization: ``"zoh"`` or ``"euler"``.
        memory_transpose_compat: apply ``Abar^T`` to the memory like the reference code.
        betas: initial ``beta`` of the populations ``(u, m, h, out)``.
        thresholds: initial thresholds ``(u, m, h, out)``.
        alpha: synaptic decay of CuBa populations.
        input_module: widths of the encoding-free spiking input module (empty: none).
    """

    input_size: int = 6
    memory_size: int = 10
    order: int = 4
    hidden_size: int = 20
    num_classes: int = 7
    theta: float = 7.0
    neuron: str = "lif"
    discretization: str = "zoh"
    memory_transpose_compat: bool = False
    betas: tuple[float, float, float, float] = (0.65, 0.35, 0.15, 0.15)
    thresholds: tuple[float, float, float, float] = (0.1, 0.4, 0.75, 0.1)
    alpha: float = 0.5
    input_module: tuple[int, ...] = ()


def l2mu_num_params(cfg: L2MUConfig) -> int:
    """Trainable parameters: ``M I + M H + M^2 d + H I + H^2 + H M d + K H + K + 8`` (+ input module)."""
    extra, width = 0, cfg.input_size
    for w in cfg.input_module:
        extra += width * w + w + 2
        width = w
    M, d, H, K, n_in = cfg.memory_size, cfg.order, cfg.hidden_size, cfg.num_classes, width
    return M * n_in + M * H + M * M * d + H * n_in + H * H + H * M * d + K * H + K + 8 + extra


class L2MUState(NamedTuple):
    """L2MU state: one :class:`PopState` per population and the last memory/hidden spikes.

    Attributes:
        u: input-to-memory population ``[B, M]``.
        m: memory population ``[B, M d]``.
        h: hidden population ``[B, H]``.
        out: output population ``[B, K]``.
        s_m: previous memory spikes ``[B, M d]``.
        s_h: previous hidden spikes ``[B, H]``.
    """

    u: PopState
    m: PopState
    h: PopState
    out: PopState
    s_m: torch.Tensor
    s_h: torch.Tensor


class L2MU(nn.Module):
    """The L2MU cell run over a sequence (module docstring).

    Args:
        config: an :class:`L2MUConfig` (``input_module`` is ignored here).

    Shapes:
        ``forward(x_seq [T, B, I]) -> spikes [T, B, K]``; ``step(x [B, I]) -> [B, K]``.
    """

    Abar: torch.Tensor
    Bbar: torch.Tensor

    def __init__(self, config: L2MUConfig, *, input_size: int | None = None) -> None:
        super().__init__()
        c = config
        n_in = c.input_size if input_size is None else input_size
        M, d, H, K = c.memory_size, c.order, c.hidden_size, c.num_classes
        for name, v in (
            ("input_size", n_in),
            ("memory_size", M),
            ("hidden_size", H),
            ("num_classes", K),
        ):
            if v < 1:
                raise ValueError(f"{name} must be >= 1, got {v}")
        self.config = c
        Abar, Bbar = discretize_lmu(c.order, c.theta, method=c.discretization)
        dev, dt = torch.empty(0).device, torch.get_default_dtype()
        self.register_buffer("Abar", Abar.to(device=dev, dtype=dt))
        self.register_buffer("Bbar", Bbar.to(device=dev, dtype=dt))
        self.e_x = nn.Parameter(torch.empty(M, n_in))
        self.e_h = nn.Parameter(torch.empty(M, H))
        self.e_m = nn.Parameter(torch.zeros(M, M * d))
        self.W_x = nn.Parameter(torch.empty(H, n_in))
        self.W_h = nn.Parameter(torch.empty(H, H))
        self.W_m = nn.Parameter(torch.empty(H, M * d))
        self.output = nn.Linear(H, K)
        for w in (self.e_x, self.e_h):
            bound = math.sqrt(3.0 / w.shape[1])
            nn.init.uniform_(w, -bound, bound)
        for w in (self.W_x, self.W_h, self.W_m):
            nn.init.xavier_normal_(w)
        kw = {"neuron": c.neuron, "alpha": c.alpha}
        self.pop_u, self.pop_m, self.pop_h, self.pop_out = (
            SpikingPopulation(beta=b, threshold=t, **kw)  # type: ignore[arg-type]
            for b, t in zip(c.betas, c.thresholds, strict=True)
        )

    @property
    def memory_matrix(self) -> torch.Tensor:
        """The matrix applied to the memory spikes: ``Abar`` (``Abar^T`` in compat mode)."""
        return self.Abar.T if self.config.memory_transpose_compat else self.Abar

    def init_state(self, x: torch.Tensor) -> L2MUState:
        """Zero state for one input step ``x`` ``[B, I]``."""
        c = self.config
        B = x.shape[0]
        z = lambda n: x.new_zeros(B, n)  # noqa: E731
        md = c.memory_size * c.order
        return L2MUState(
            PopState(z(c.memory_size), z(c.memory_size)),
            PopState(z(md), z(md)),
            PopState(z(c.hidden_size), z(c.hidden_size)),
            PopState(z(c.num_classes), z(c.num_classes)),
            z(md),
            z(c.hidden_size),
        )

    def _step(
        self, xu: torch.Tensor, xh: torch.Tensor, st: L2MUState
    ) -> tuple[torch.Tensor, torch.Tensor, L2MUState]:
        c = self.config
        s_u, pu = self.pop_u.step(xu + st.s_h @ self.e_h.T + st.s_m @ self.e_m.T, st.u)
        mem = st.s_m.view(-1, c.memory_size, c.order)
        i_m = mem @ self.memory_matrix.T.to(mem) + s_u.unsqueeze(-1) * self.Bbar.to(mem)
        s_m, pm = self.pop_m.step(i_m.flatten(1), st.m)
        s_h, ph = self.pop_h.step(xh + st.s_h @ self.W_h.T + s_m @ self.W_m.T, st.h)
        s_o, po = self.pop_out.step(self.output(s_h), st.out)
        return s_o, s_h, L2MUState(pu, pm, ph, po, s_m, s_h)

    def step(
        self, x: torch.Tensor, state: L2MUState | None = None
    ) -> tuple[torch.Tensor, L2MUState]:
        """One time step: ``x`` ``[B, I]`` -> ``(output spikes [B, K], state)``."""
        check_floating(x, "x")
        state = self.init_state(x) if state is None else state
        s_o, _, state = self._step(x @ self.e_x.T, x @ self.W_x.T, state)
        return s_o, state

    def forward(
        self,
        x_seq: torch.Tensor,
        state: L2MUState | None = None,
        *,
        return_state: bool = False,
        return_hidden: bool = False,
    ) -> torch.Tensor | tuple:
        """Run over ``x_seq`` ``[T, B, I]``; returns output spikes ``[T, B, K]``.

        Args:
            x_seq: input, time-major ``[T, B, I]``.
            state: initial state or ``None`` (zeros).
            return_state: also return the final :class:`L2MUState`.
            return_hidden: also return the hidden spikes ``[T, B, H]``.

        Returns:
            Output spikes, then the state and/or hidden spikes when asked.
        """
        check_floating(x_seq, "x_seq")
        check_finite(x_seq, "x_seq")
        if x_seq.dim() != 3 or x_seq.shape[-1] != self.e_x.shape[1]:
            raise ValueError(
                f"x_seq must have shape [T, B, {self.e_x.shape[1]}], got {tuple(x_seq.shape)}"
            )
        st = self.init_state(x_seq[0]) if state is None else state
        xu, xh = x_seq @ self.e_x.T, x_seq @ self.W_x.T  # input projections for all steps at once
        outs, hidden = [], []
        for t in range(x_seq.shape[0]):
            s_o, s_h, st = self._step(xu[t], xh[t], st)
            outs.append(s_o)
            hidden.append(s_h)
        res: list = [torch.stack(outs)]
        if return_state:
            res.append(st)
        if return_hidden:
            res.append(torch.stack(hidden))
        return res[0] if len(res) == 1 else tuple(res)


class SpikingInputModule(nn.Module):
    """Encoding-free front-end: raw samples drive ``Linear -> LIF`` layers (ours: widths given).

    Args:
        input_size: raw channels.
        widths: output width of each layer (the HAR paper uses three layers).
        beta: initial decay of every layer.
        threshold: initial threshold of every layer.

    Shapes:
        ``[T, B, input_size] -> spikes [T, B, widths[-1]]``.
    """

    def __init__(
        self, *, input_size: int, widths: tuple[int, ...], beta: float = 0.5, threshold: float = 0.5
    ) -> None:
        super().__init__()
        sizes = (input_size, *widths)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.pops = nn.ModuleList(SpikingPopulation(beta=beta, threshold=threshold) for _ in widths)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Spikes of the last layer, ``[T, B, widths[-1]]``."""
        h = x_seq
        pops: list[SpikingPopulation] = list(self.pops)  # type: ignore[arg-type]
        for lin, pop in zip(self.layers, pops, strict=True):
            cur = lin(h)  # Linear acts on the last axis of [T, B, C]: no loop over T
            st = pop.init_state(cur[0])
            out = []
            for t in range(cur.shape[0]):
                s, st = pop.step(cur[t], st)
                out.append(s)
            h = torch.stack(out)
        return h


class L2MUClassifier(SpikingModel):
    """L2MU for sequence classification: optional input module, L2MU, spike-count read-out.

    Args:
        config: an :class:`L2MUConfig`.

    Shapes:
        ``forward(x_seq [T, B, I]) -> output spikes [T, B, K]``; predictions are
        ``forward(x).sum(0).argmax(-1)`` (counts over time).

    Examples:
        >>> model = L2MUClassifier(L2MUConfig(input_size=3, num_classes=4))
        >>> model(torch.randn(8, 2, 3)).shape
        torch.Size([8, 2, 4])
    """

    def __init__(self, config: L2MUConfig) -> None:
        super().__init__()
        self.config = config
        self.input_module = (
            SpikingInputModule(input_size=config.input_size, widths=config.input_module)
            if config.input_module
            else None
        )
        width = config.input_module[-1] if config.input_module else config.input_size
        self.l2mu = L2MU(config, input_size=width)

    @property
    def head(self) -> nn.Module:  # type: ignore[override]
        """The output projection ``W_o``."""
        return self.l2mu.output

    def _encode(self, x_seq: torch.Tensor) -> torch.Tensor:
        check_floating(x_seq, "x_seq")
        if x_seq.dim() != 3 or x_seq.shape[-1] != self.config.input_size:
            raise ValueError(
                f"x_seq must have shape [T, B, {self.config.input_size}], got {tuple(x_seq.shape)}"
            )
        return self.input_module(x_seq) if self.input_module is not None else x_seq

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Hidden-population spikes ``[T, B, H]``."""
        _, hidden = self.l2mu(self._encode(x_seq), return_hidden=True)
        return hidden

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Output-population spikes ``[T, B, K]``."""
        return self.l2mu(self._encode(x_seq))

    def reset_classifier(self, num_outputs: int) -> None:
        """New output projection and population with ``num_outputs`` neurons."""
        c = dataclasses.replace(self.config, num_classes=num_outputs)
        w = self.l2mu.W_h
        self.l2mu.output = nn.Linear(c.hidden_size, num_outputs, device=w.device, dtype=w.dtype)
        self.l2mu.config = c
        self.config = c

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        """Random raw input ``[time_steps, batch_size, I]``."""
        g = torch.Generator().manual_seed(0)
        return torch.randn(time_steps, batch_size, self.config.input_size, generator=g).to(
            self.l2mu.W_h
        )
