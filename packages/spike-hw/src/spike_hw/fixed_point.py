"""Fixed-point, event-driven reference backend.

Two executors share one integer arithmetic (int64 tensors only inside the step loop):

* :class:`FixedPointSimulator` runs a NIR graph (same step order and one-step delay on
  cycle-closing edges as :class:`~spike_hw.FloatReference`). Format::

      weights   w_q = round(w 2^F_w), B_w bits (default 8), per-node power-of-two scale
                chosen so max|w| fits; values beyond the range saturate (counted)
      membrane  int64 with F_v fractional bits (default 12), currents likewise
      decay     d_q = round((dt / tau) 2^D), D = 12;  "exact": round((1 - e^{-dt/tau}) 2^D)
      gain      g_q = round(R (dt / tau) 2^D)  (IF / I: round(R dt 2^D))
      LIF       v <- v - ((v - v_leak) d_q >> D) + (I g_q >> D)
      CubaLIF   i <- i - (i ds_q >> D) + (I_in gs_q >> D),  gs_q = round(w_in (dt/tau_syn) 2^D)
      spike     z = v > v_threshold (strict), v <- v_reset where z

  ``>>`` is an arithmetic shift (``rounding="floor"``, default) or round-half-to-even
  (``"nearest_even"``), the same in every operation. Synapses fed by spikes are event-driven:
  a spike of neuron ``j`` adds column ``W[:, j]`` (one AC per target); real-valued sources
  (non-spike graph inputs, LI/I outputs, pooled averages) are processed densely (MACs).
  Convolutions compute the same integer sums densely and count the event-driven ACs.
* :func:`run_integer_export` runs a spike-quant integer export (``export_integer``) on integer
  input codes, event-driven, and equals ``spike_quant.integer_forward(arithmetic="fixed")``
  bit for bit; it reports the synaptic events processed per layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from spike_core._validation import check_tensor
from spike_hw._intops import conv_fan_out_events, conv_int, rshift, scatter_linear
from spike_hw.errors import UnsupportedNodeError
from spike_hw.reference import GraphRunner, NIRRun, flatten_dims

__all__ = ["FixedPointSimulator", "run_integer_export", "simulate_fixed_point"]

_ROUNDINGS = ("floor", "nearest_even")


def simulate_fixed_point(graph: Any, x: Any, *, dt: float = 1e-4, **kwargs: Any) -> NIRRun:
    """Run a NIR graph on :class:`FixedPointSimulator` (keyword arguments as its constructor).

    Args:
        graph: the NIR graph.
        x: ``[T, B, *shape]`` input (binary/integer values are spike events).
        dt: time step in seconds.
        **kwargs: ``weight_bits``, ``frac_bits``, ``decay_bits``, ``rounding``, ``scheme``,
            ``weight_frac_bits``.

    Returns:
        :class:`~spike_hw.NIRRun` with ``outputs``, ``spikes`` and ``counters``.
    """
    return FixedPointSimulator(graph, dt=dt, **kwargs).run(x)


def _np(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _pair(v: Any, n: int) -> tuple[int, ...]:
    arr = np.atleast_1d(np.asarray(v)).astype(int).tolist()
    return tuple(arr * n if len(arr) == 1 else arr)


class _Val:
    """A signal: int64 tensor and whether it holds spike counts (scale 1) or fixed point."""

    __slots__ = ("spikes", "t")

    def __init__(self, t: torch.Tensor, spikes: bool) -> None:
        assert t.dtype == torch.int64, "fixed-point step loop must stay integer"
        self.t, self.spikes = t, spikes


class FixedPointSimulator(GraphRunner):
    """Integer executor of NIR graphs (module docstring).

    Args:
        graph: the NIR graph.
        dt: time step in seconds.
        weight_bits: ``B_w`` (2..32).
        frac_bits: ``F_v``, fractional bits of membranes and currents (4..40).
        decay_bits: ``D`` (4..24).
        rounding: ``"floor"`` or ``"nearest_even"``.
        scheme: ``"euler"`` or ``"exact"`` (decay factors only).
        weight_frac_bits: force ``F_w`` for every synapse node (``None``: per node, largest that
            fits ``max|w|``); weights outside the range then saturate and are counted.
    """

    def __init__(
        self,
        graph: Any,
        *,
        dt: float = 1e-4,
        weight_bits: int = 8,
        frac_bits: int = 12,
        decay_bits: int = 12,
        rounding: str = "floor",
        scheme: str = "euler",
        weight_frac_bits: int | None = None,
    ) -> None:
        super().__init__(graph, dt=dt)
        for name, val, lo, hi in (
            ("weight_bits", weight_bits, 2, 32),
            ("frac_bits", frac_bits, 4, 40),
            ("decay_bits", decay_bits, 4, 24),
        ):
            if not isinstance(val, int) or not lo <= val <= hi:
                raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {val!r}")
        if rounding not in _ROUNDINGS:
            raise ValueError(f"rounding must be one of {_ROUNDINGS}, got {rounding!r}")
        if scheme not in ("euler", "exact"):
            raise ValueError(f"scheme must be 'euler' or 'exact', got {scheme!r}")
        self.B_w, self.F_v, self.D = weight_bits, frac_bits, decay_bits
        self.rounding, self.scheme, self.F_w_forced = rounding, scheme, weight_frac_bits
        self.dtype = torch.int64
        self._params: dict[str, dict[str, Any]] = {}
        self._counters: dict[str, dict[str, int]] = {}
        self._shapes = {}
        for name, node in self.schedule.nodes.items():
            if node is not None:
                self._prepare(name, node)

    # ----- parameter quantization (outside the step loop) -----
    def _q(self, x: Any, bits: int) -> torch.Tensor:
        return torch.as_tensor(np.round(_np(x) * 2.0**bits), dtype=torch.int64)

    def _quant_weight(self, name: str, w: np.ndarray) -> tuple[torch.Tensor, int]:
        qmax = 2 ** (self.B_w - 1) - 1
        if self.F_w_forced is not None:
            F_w = self.F_w_forced
        else:
            m = float(np.max(np.abs(w))) if w.size else 0.0
            F_w = self.B_w - 1 if m == 0 else self.B_w - 1 - math.ceil(math.log2(m))
            while m and round(m * 2.0**F_w) > qmax:
                F_w -= 1
        raw = np.round(w * 2.0**F_w)
        sat = int(np.sum((raw > qmax) | (raw < -qmax - 1)))
        self._counters[name]["saturations"] += sat
        return torch.as_tensor(np.clip(raw, -qmax - 1, qmax), dtype=torch.int64), F_w

    def _prepare(self, name: str, node: Any) -> None:
        kind = type(node).__name__
        self._counters[name] = {
            "spikes_in": 0,
            "spikes_out": 0,
            "acs": 0,
            "macs": 0,
            "saturations": 0,
        }
        p: dict[str, Any] = {"kind": kind}
        D, Fv, dt = self.D, self.F_v, self.dt
        if kind in ("Affine", "Linear", "Conv1d", "Conv2d"):
            p["w"], p["F_w"] = self._quant_weight(name, _np(node.weight))
            bias = getattr(node, "bias", None)
            p["b"] = None if bias is None else self._q(bias, Fv)
            if kind.startswith("Conv"):
                n = 1 if kind == "Conv1d" else 2
                k = tuple(int(s) for s in np.asarray(node.weight).shape[2:])
                pad = node.padding
                if isinstance(pad, str):
                    pad = (
                        [0] * n
                        if pad == "valid"
                        else [(int(_pair(node.dilation, n)[i]) * (k[i] - 1)) // 2 for i in range(n)]
                    )
                p.update(
                    stride=_pair(node.stride, n),
                    padding=_pair(pad, n),
                    dilation=_pair(node.dilation, n),
                    groups=int(node.groups),
                    kernel=k,
                )
        elif kind in ("LIF", "LI", "CubaLIF", "CubaLI"):
            tau = _np(node.tau if kind in ("LIF", "LI") else node.tau_mem)
            a = dt / tau if self.scheme == "euler" else 1.0 - np.exp(-dt / tau)
            p["d"] = self._q(a, D)
            p["g"] = self._q(_np(node.r) * a, D)
            p["v_leak"] = self._q(node.v_leak, Fv)
            if kind in ("CubaLIF", "CubaLI"):
                ks = dt / _np(node.tau_syn)
                p["ds"] = self._q(ks, D)
                p["gs"] = self._q(_np(node.w_in) * ks, D)
            self._shapes[name] = tuple(np.asarray(tau).shape)
        elif kind in ("IF", "I"):
            p["g"] = self._q(_np(node.r) * dt, D)
            self._shapes[name] = tuple(np.asarray(node.r).shape)
        elif kind == "Scale":
            p["s"] = self._q(node.scale, D)
        elif kind in ("SumPool2d", "AvgPool2d"):
            k = _pair(node.kernel_size, 2)
            p.update(kernel=k, stride=_pair(node.stride, 2), padding=_pair(node.padding, 2))
            p["avg"] = self._q(1.0 / (k[0] * k[1]), D)
        elif kind == "Threshold":
            p["theta"] = self._q(node.threshold, Fv)
        elif kind not in ("Input", "Output", "Flatten"):
            raise UnsupportedNodeError(
                f"node {name!r}: {kind} is not supported by the fixed-point backend"
            )
        if kind in ("LIF", "IF", "CubaLIF"):
            p["theta"] = self._q(node.v_threshold, Fv)
            p["v_reset"] = self._q(node.v_reset if node.v_reset is not None else 0.0, Fv)
        self._params[name] = p

    # ----- the step loop (integers only) -----
    def input_step(self, name: str, x: torch.Tensor) -> _Val:  # type: ignore[override]
        """Binary/integer inputs become spike events; other inputs fixed point (``F_v``)."""
        del name
        if x.is_floating_point():
            if bool((x == torch.round(x)).all()):
                return _Val(x.to(torch.int64), True)
            return _Val(torch.round(x.double() * 2.0**self.F_v).to(torch.int64), False)
        return _Val(x.to(torch.int64), True)

    def zero_like_input(self, name: str) -> _Val:  # type: ignore[override]
        """Zero current ``[1, *shape]`` for a first step that only has delayed inputs."""
        shape = self._shapes.get(name)
        if shape is None:
            raise ValueError(f"node {name!r}: cannot infer its input shape at the first step")
        return _Val(torch.zeros((1, *shape), dtype=torch.int64), False)

    def initial_output(self, name: str) -> _Val | None:  # type: ignore[override]
        """An ``Affine`` node seen through a delayed edge outputs its bias before step 0."""
        p = self._params.get(name)
        if p is not None and p["kind"] == "Affine":
            return _Val(p["b"].reshape(1, -1), False)
        return None

    def _fixed(self, v: _Val) -> torch.Tensor:
        return v.t << self.F_v if v.spikes else v.t

    def counters(self) -> dict[str, dict[str, int]]:
        """Per-node counts: spikes in/out, ACs (event-driven), MACs (dense), saturations."""
        return {k: dict(v) for k, v in self._counters.items()}

    def run(self, x: Any, *, record_states: bool = False) -> NIRRun:
        """Simulate; outputs are spikes (int64) or fixed-point values converted to float64.

        Args:
            x: ``[T, B, *shape]`` (or a dict per Input node).
            record_states: record the integer states too.

        Returns:
            :class:`~spike_hw.NIRRun` (``outputs`` as float64, ``spikes`` int64 and
            ``counters``).
        """
        for c in self._counters.values():
            for k in c:
                if k != "saturations":
                    c[k] = 0
        res = super().run(x, record_states=record_states)
        conv = {}
        for name, seq in res["outputs"].items():
            conv[name] = (
                seq.double() if name in self._spiking_outputs else seq.double() / 2.0**self.F_v
            )
        res["outputs"] = conv
        return res

    @property
    def _spiking_outputs(self) -> set[str]:
        return getattr(self, "_spk_out", set())

    def combine(self, name: str, a: Any, b: Any) -> Any:
        """Sum two signals: spike counts stay counts; otherwise both in fixed point."""
        try:
            torch.broadcast_shapes(a.t.shape, b.t.shape)
        except RuntimeError as exc:
            raise ValueError(
                f"node {name!r}: incoming shapes {tuple(a.t.shape)} and {tuple(b.t.shape)} differ"
            ) from exc
        if a.spikes and b.spikes:
            return _Val(a.t + b.t, True)
        return _Val(self._fixed(a) + self._fixed(b), False)

    def as_tensor(self, value: Any) -> torch.Tensor:
        """The int64 tensor of a signal."""
        return value.t if isinstance(value, _Val) else value

    def node_step(self, name: str, node: Any, x: Any, state: dict[str, Any]) -> torch.Tensor:
        """One node, one step, on :class:`_Val` signals; returns a ``_Val``."""
        del node
        p, c, D, R = self._params[name], self._counters[name], self.D, self.rounding
        kind = p["kind"]
        if kind == "Output":
            if x.spikes:
                self._spk_out = self._spiking_outputs | {name}
            return x.t  # recorded as is; converted in run()
        if x.spikes:
            c["spikes_in"] += int(x.t.abs().sum())
        if kind in ("Affine", "Linear"):
            if x.spikes:
                acc, acs = scatter_linear(x.t.reshape(-1, x.t.shape[-1]), p["w"])
                acc = acc.reshape(*x.t.shape[:-1], -1)
                c["acs"] += acs
                y = rshift(acc, p["F_w"] - self.F_v, R)
            else:
                acc = x.t @ p["w"].T
                c["macs"] += x.t.numel() // x.t.shape[-1] * p["w"].numel()
                y = rshift(acc, p["F_w"], R)
            if p["b"] is not None:
                y = y + p["b"]
            return _Val(y, False)  # type: ignore[return-value]
        if kind in ("Conv1d", "Conv2d"):
            acc = conv_int(x.t, p["w"], p["stride"], p["padding"], p["dilation"], p["groups"])
            if x.spikes:
                c["acs"] += conv_fan_out_events(
                    x.t,
                    p["w"].shape[0],
                    p["kernel"],
                    p["stride"],
                    p["padding"],
                    p["dilation"],
                    p["groups"],
                )
                y = rshift(acc, p["F_w"] - self.F_v, R)
            else:
                c["macs"] += acc.numel() * p["w"][0].numel()
                y = rshift(acc, p["F_w"], R)
            if p["b"] is not None:
                y = y + p["b"].view(1, -1, *([1] * (y.dim() - 2)))
            return _Val(y, False)  # type: ignore[return-value]
        if kind in ("SumPool2d", "AvgPool2d"):
            C = x.t.shape[1]
            ones = torch.ones((C, 1, *p["kernel"]), dtype=torch.int64)
            s = conv_int(x.t, ones, p["stride"], p["padding"], (1, 1), C)
            if kind == "SumPool2d":
                return _Val(s, x.spikes)  # type: ignore[return-value]
            fx = s << self.F_v if x.spikes else s
            return _Val(rshift(fx * p["avg"], D, R), False)  # type: ignore[return-value]
        if kind == "Flatten":
            return _Val(flatten_dims(self.schedule.nodes[name], x.t), x.spikes)  # type: ignore[return-value]
        if kind == "Scale":
            return _Val(rshift(self._fixed(x) * p["s"], D, R), False)  # type: ignore[return-value]
        if kind == "Threshold":
            z = (self._fixed(x) > p["theta"]).to(torch.int64)
            c["spikes_out"] += int(z.sum())
            return _Val(z, True)  # type: ignore[return-value]
        current = self._fixed(x)
        if kind in ("CubaLIF", "CubaLI"):
            i = state.get("i", torch.zeros_like(current))
            i = i - rshift(i * p["ds"], D, R) + rshift(current * p["gs"], D, R)
            state["i"] = i
            current = i
        v = state.get("v")
        if v is None:
            init = p.get("v_reset") if kind in ("LIF", "IF", "CubaLIF") else p.get("v_leak")
            v = torch.zeros_like(current) + (0 if init is None else init)
        if kind in ("IF", "I"):
            v = v + rshift(current * p["g"], D, R)
        else:
            v = v - rshift((v - p["v_leak"]) * p["d"], D, R) + rshift(current * p["g"], D, R)
        if kind in ("LI", "I", "CubaLI"):
            state["v"] = v
            return _Val(v, False)  # type: ignore[return-value]
        z = v > p["theta"]
        state["v"] = torch.where(
            z, p["v_reset"].expand_as(v) if p["v_reset"].dim() else p["v_reset"], v
        )
        zi = z.to(torch.int64)
        c["spikes_out"] += int(zi.sum())
        return _Val(zi, True)  # type: ignore[return-value]


@torch.no_grad()
def run_integer_export(
    export: dict[str, Any], x: torch.Tensor, *, frac_bits: int = 24
) -> dict[str, Any]:
    """Event-driven integer execution of a spike-quant integer export.

    Each integer spike count ``k`` at a layer input is ``k`` binary events (virtual steps); an
    event adds the weight codes of its fan-out to int64 accumulators. The membrane is then
    ``u_q = acc m_q + b_q`` with spike-quant's fixed-point requantization
    (:func:`spike_quant.fixed_point_params`) and the output count a rounding shift clipped to
    ``[0, D]`` — so the result equals ``spike_quant.integer_forward(export, x,
    arithmetic="fixed", frac_bits=F)`` bit for bit.

    Args:
        export: dict from :func:`spike_quant.export_integer`.
        x: integer input codes, time-major ``[T, B, ...]``.
        frac_bits: ``F`` of the requantization (8..40).

    Returns:
        ``{"output": float64 [T, B, ...], "counts": [int64 [T, B, ...] per neuron],
        "accumulators": [int64 per synapse layer], "events": [{"name", "events", "acs",
        "fan_in"} per synapse layer]}`` (plain numbers in ``events``, for spike-energy).

    Raises:
        ValueError: for a malformed export or non-integer input.
    """
    from spike_quant import fixed_point_params, round_shift

    if not isinstance(export, dict) or export.get("format") != "spike-quant-int":
        raise ValueError("export must be a dict produced by spike_quant.export_integer")
    layers = export["layers"]
    check_tensor(x, "x")
    if x.dim() < 2:
        raise ValueError(f"x must be time-major [T, B, ...], got shape {tuple(x.shape)}")
    if x.is_floating_point() and bool((x != torch.round(x)).any()):
        raise ValueError("x must hold integer codes")
    if not isinstance(frac_bits, int) or not 8 <= frac_bits <= 40:
        raise ValueError(f"frac_bits must be an int in [8, 40], got {frac_bits!r}")
    T = x.shape[0]
    k = x.flatten(0, 1).to(torch.int64)
    s_in = float(export["input_scale"])
    value: torch.Tensor | None = None
    counts: list[torch.Tensor] = []
    accs: list[torch.Tensor] = []
    events: list[dict[str, Any]] = []
    i = 0
    while i < len(layers):
        layer = layers[i]
        kind = layer["kind"]
        if kind == "flatten":
            if value is None:
                k = k.flatten(1)
            else:
                value = value.flatten(1)
            i += 1
            continue
        if kind not in ("linear", "conv1d", "conv2d"):
            raise ValueError(f"layer {layer['name']!r}: {kind} must follow a synapse layer")
        if value is not None:
            raise ValueError(f"layer {layer['name']!r} receives non-integer input")
        w = layer["weight"].to(torch.int64)
        if kind == "linear":
            flat = k.reshape(-1, k.shape[-1])
            acc, acs = scatter_linear(flat, w)
            acc = acc.reshape(*k.shape[:-1], -1)
        else:
            n = 1 if kind == "conv1d" else 2
            args = (
                tuple(layer["stride"]),
                tuple(layer["padding"]),
                tuple(layer["dilation"]),
                int(layer["groups"]),
            )
            acc = conv_int(k, w, *args)
            acs = conv_fan_out_events(k, w.shape[0], tuple(w.shape[2 : 2 + n]), *args)
        events.append(
            {
                "name": layer["name"],
                "events": int(k.abs().sum()),
                "acs": int(acs),
                "fan_in": int(w[0].numel()),
            }
        )
        accs.append(acc.unflatten(0, (T, -1)))
        m_q, b_q, j = fixed_point_params(layers, i, s_in, frac_bits)
        shape = (1, -1, *([1] * (acc.dim() - 2)))
        u_q = acc * m_q.view(shape) + b_q.view(shape)
        if j < len(layers) and layers[j]["kind"] == "int_neuron":
            nrn = layers[j]
            k = round_shift(u_q, frac_bits, nrn["rounding"]).clamp(0, nrn["levels"])
            counts.append(k.unflatten(0, (T, -1)))
            s_in = 1.0 / nrn["norm"]
            i = j + 1
        else:
            value = u_q.to(torch.float64) / 2**frac_bits
            i = j
    out = value if value is not None else k.to(torch.float64) * s_in
    return {
        "output": out.unflatten(0, (T, -1)),
        "counts": counts,
        "accumulators": accs,
        "events": events,
    }
