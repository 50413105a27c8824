"""Float discrete-time reference simulator of NIR graphs (ground truth for exports and hardware).

Per step, in the order of :mod:`spike_hw.graph` (one-step delay on cycle-closing edges), each
node receives the sum ``I_in`` of its incoming edges and updates (Euler, ``k = dt / tau``)::

    CubaLI/CubaLIF:  I <- I + (dt / tau_syn) (-I + w_in I_in);  the membrane then uses I
    LI/LIF:          v <- v + k (v_leak - v + R I)
    I/IF:            v <- v + dt R I
    spiking:         z = v > v_threshold (strict, as NIR);  v <- v_reset where z

``scheme="exact"`` replaces the membrane update with
``v <- v_leak + (v - v_leak) e^{-dt/tau} + R I (1 - e^{-dt/tau})``. Synapses: ``Affine``,
``Linear``, ``Scale``, ``Conv1d``, ``Conv2d``, ``SumPool2d``, ``AvgPool2d`` (zero padding
counted), ``Flatten`` (dims without batch) and ``Threshold``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from spike_core._validation import check_tensor
from spike_hw.errors import UnsupportedNodeError
from spike_hw.graph import Schedule, schedule_graph

__all__ = ["FloatReference", "GraphRunner", "NIRRun", "simulate_nir"]


class NIRRun(dict):
    """Result of a simulation.

    Keys: ``outputs`` (Output name -> ``[T, B, ...]``), ``spikes`` (spiking node ->
    ``[T, B, ...]``), ``counters`` (node -> operation counts; fixed point) and, when asked,
    ``states`` (node -> state field -> ``[T, B, ...]``).
    """


def _t(a: Any, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=dtype)


def _pair(v: Any) -> Any:
    if isinstance(v, str):
        return v
    return np.atleast_1d(np.asarray(v)).astype(int).tolist()


class GraphRunner:
    """Shared stepping machinery; subclasses implement :meth:`node_step`.

    Values flowing along edges are whatever the subclass uses (float tensors here, integer
    signals in the fixed-point backend).

    Args:
        graph: the NIR graph.
        dt: time step in seconds.
    """

    def __init__(self, graph: Any, *, dt: float) -> None:
        if not (isinstance(dt, int | float) and dt > 0 and math.isfinite(dt)):
            raise ValueError(f"dt must be a positive finite number, got {dt!r}")
        self.dt = float(dt)
        self.schedule: Schedule = schedule_graph(graph)

    def node_step(
        self, name: str, node: Any, x: torch.Tensor, state: dict[str, Any]
    ) -> torch.Tensor:
        """Advance one node by one step (``state`` is the node's mutable dict)."""
        raise NotImplementedError  # pragma: no cover

    def run(
        self, x: torch.Tensor | dict[str, torch.Tensor], *, record_states: bool = False
    ) -> NIRRun:
        """Simulate over time.

        Args:
            x: ``[T, B, *input_shape]`` for a single-input graph, or a dict Input name -> tensor.
            record_states: also return every node's state fields over time (``"states"``).

        Returns:
            :class:`NIRRun` with ``outputs``, ``spikes`` and ``counters``.

        Raises:
            ValueError: for missing inputs, mismatched lengths or node shape errors.
        """
        sch = self.schedule
        if not isinstance(x, dict):
            if len(sch.inputs) != 1:
                raise ValueError(f"graph has inputs {sch.inputs}: pass a dict")
            x = {sch.inputs[0]: x}
        for name in sch.inputs:
            if name not in x:
                raise ValueError(f"missing input {name!r}")
            check_tensor(x[name], f"x[{name!r}]")
            if x[name].dim() < 2:
                raise ValueError(
                    f"x[{name!r}] must be time-major [T, B, ...], got {tuple(x[name].shape)}"
                )
        T = {v.shape[0] for v in x.values()}
        if len(T) != 1:
            raise ValueError(f"inputs disagree on the number of steps: {sorted(T)}")
        steps = T.pop()
        states: dict[str, dict[str, Any]] = {n: {} for n in sch.order}
        prev: dict[str, torch.Tensor] = {}
        rec_out: dict[str, list[torch.Tensor]] = {n: [] for n in sch.outputs}
        rec_spk: dict[str, list[torch.Tensor]] = {n: [] for n in sch.spiking}
        rec_state: dict[str, dict[str, list[torch.Tensor]]] = {}
        for t in range(steps):
            cur: dict[str, torch.Tensor] = {}
            for name in sch.order:
                node = sch.nodes[name]
                if name in sch.inputs:
                    cur[name] = self.input_step(name, x[name][t])
                    continue
                total: torch.Tensor | None = None
                for src, delayed in sch.preds[name]:
                    val = (
                        (prev.get(src, self.initial_output(src)) if t else self.initial_output(src))
                        if delayed
                        else cur[src]
                    )
                    if val is None:
                        continue
                    total = val if total is None else self.combine(name, total, val)
                if total is None:  # only delayed inputs at t = 0
                    total = self.zero_like_input(name)
                if node is None:  # pass-through of a nested graph
                    cur[name] = total
                    continue
                try:
                    cur[name] = self.node_step(name, node, total, states[name])
                except (RuntimeError, IndexError) as exc:
                    raise ValueError(f"node {name!r} ({type(node).__name__}): {exc}") from exc
                if name in sch.outputs:
                    rec_out[name].append(cur[name])
                if name in rec_spk:
                    rec_spk[name].append(self.as_tensor(cur[name]))
                if record_states:
                    for key, val in states[name].items():
                        rec_state.setdefault(name, {}).setdefault(key, []).append(val)
            prev = cur
        self.last_states = states
        out = NIRRun()
        out["outputs"] = {n: torch.stack(v) for n, v in rec_out.items() if v}
        out["spikes"] = {n: torch.stack(v) for n, v in rec_spk.items() if v}
        out["counters"] = self.counters()
        if record_states:
            out["states"] = {
                n: {k: torch.stack(v) for k, v in fields.items()} for n, fields in rec_state.items()
            }
        return out

    def input_step(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """Convert one step of a graph input."""
        del name
        return x

    def zero_like_input(self, name: str) -> torch.Tensor:
        """Zero input for a node whose only inputs are delayed (first step)."""
        shape = self._shapes.get(name)
        if shape is None:
            raise ValueError(f"node {name!r}: cannot infer its input shape at the first step")
        return torch.zeros(shape, dtype=self.dtype)

    def combine(self, name: str, a: Any, b: Any) -> Any:
        """Sum of two incoming signals of node ``name`` (shapes must broadcast)."""
        try:
            torch.broadcast_shapes(a.shape, b.shape)
        except RuntimeError as exc:
            raise ValueError(
                f"node {name!r}: incoming shapes {tuple(a.shape)} and {tuple(b.shape)} differ"
            ) from exc
        return a + b

    def as_tensor(self, value: Any) -> torch.Tensor:
        """The recorded tensor of a signal."""
        return value

    def initial_output(self, name: str) -> torch.Tensor | None:
        """Output of ``name`` before the first step, seen through a delayed edge.

        An ``Affine`` node outputs its bias for zero input (``W 0 + b``); every other node
        outputs zero (``None``).
        """
        node = self.schedule.nodes[name]
        if type(node).__name__ == "Affine":
            return self.bias_value(node)
        return None

    def bias_value(self, node: Any) -> torch.Tensor:
        """``[1, out]`` bias of an ``Affine`` node in the simulation's number format."""
        return torch.as_tensor(np.asarray(node.bias), dtype=self.dtype).reshape(1, -1)

    def counters(self) -> dict[str, dict[str, int]]:
        """Per-node operation counts (empty for the float reference)."""
        return {}

    _shapes: dict[str, tuple[int, ...]]
    dtype: torch.dtype


def flatten_dims(node: Any, x: torch.Tensor) -> torch.Tensor:
    """NIR ``Flatten`` (dims counted without batch) on a batched tensor."""
    nd = x.dim() - 1
    start = int(node.start_dim) % nd + 1
    end = int(node.end_dim) % nd + 1
    return x.flatten(start, end)


class FloatReference(GraphRunner):
    """Float (default float64) reference executor; see the module docstring.

    Args:
        graph: the NIR graph.
        dt: time step in seconds.
        scheme: ``"euler"`` or ``"exact"``.
        dtype: floating dtype of the simulation.
    """

    def __init__(
        self,
        graph: Any,
        *,
        dt: float = 1e-4,
        scheme: str = "euler",
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__(graph, dt=dt)
        if scheme not in ("euler", "exact"):
            raise ValueError(f"scheme must be 'euler' or 'exact', got {scheme!r}")
        self.scheme, self.dtype = scheme, dtype
        self._shapes = {}
        for name, node in self.schedule.nodes.items():
            shape = _neuron_shape(node)
            if shape is not None:
                self._shapes[name] = shape

    def zero_like_input(self, name: str) -> torch.Tensor:
        """Zeros ``[1, *shape]`` (broadcast over the batch) for first-step delayed inputs."""
        shape = self._shapes.get(name)
        if shape is None:
            raise ValueError(f"node {name!r}: cannot infer its input shape at the first step")
        return torch.zeros((1, *shape), dtype=self.dtype)

    def input_step(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """Cast the input to the simulation dtype."""
        del name
        return x.to(self.dtype)

    def _decay(self, tau: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a, b)`` with ``v' = v + a (v_leak - v) + b R I``."""
        if self.scheme == "euler":
            k = self.dt / tau
            return k, k
        e = 1.0 - torch.exp(-self.dt / tau)
        return e, e

    def node_step(
        self, name: str, node: Any, x: torch.Tensor, state: dict[str, Any]
    ) -> torch.Tensor:
        """One node, one step."""
        kind = type(node).__name__
        d = self.dtype
        if kind == "Output":
            return x
        if kind == "Affine":
            return x @ _t(node.weight, d).T + _t(node.bias, d)
        if kind == "Linear":
            return x @ _t(node.weight, d).T
        if kind == "Scale":
            return x * _t(node.scale, d)
        if kind in ("Conv1d", "Conv2d"):
            conv = F.conv1d if kind == "Conv1d" else F.conv2d
            bias = None if node.bias is None else _t(node.bias, d)
            return conv(
                x,
                _t(node.weight, d),
                bias,
                _pair(node.stride),
                _pair(node.padding),
                _pair(node.dilation),
                int(node.groups),
            )
        if kind in ("SumPool2d", "AvgPool2d"):
            k = _pair(node.kernel_size)
            y = F.avg_pool2d(x, k, _pair(node.stride), _pair(node.padding), count_include_pad=True)
            return y * (k[0] * k[-1]) if kind == "SumPool2d" else y
        if kind == "Flatten":
            return flatten_dims(node, x)
        if kind == "Threshold":
            return (x > _t(node.threshold, d)).to(d)
        if kind in ("LIF", "IF", "LI", "I", "CubaLIF", "CubaLI"):
            return self._neuron(kind, node, x, state)
        raise UnsupportedNodeError(f"node {name!r}: {kind} is not supported by the reference")

    def _neuron(self, kind: str, node: Any, x: torch.Tensor, state: dict[str, Any]) -> torch.Tensor:
        d = self.dtype
        r = _t(node.r, d)
        if kind in ("CubaLIF", "CubaLI"):
            i = state.get("i", torch.zeros_like(x))
            w_in = _t(node.w_in, d)
            ks = self.dt / _t(node.tau_syn, d)
            i = i + ks * (-i + w_in * x)
            state["i"] = i
            x = i
        v = state.get("v")
        if v is None:
            v0 = getattr(node, "v_reset", None) if kind in ("LIF", "IF", "CubaLIF") else None
            v0 = getattr(node, "v_leak", v0) if kind in ("LI", "CubaLI") else v0
            v = torch.zeros_like(x) + (0.0 if v0 is None else _t(v0, d))
        if kind in ("I", "IF"):
            v = v + self.dt * r * x
        else:
            tau = _t(node.tau if kind in ("LIF", "LI") else node.tau_mem, d)
            a, b = self._decay(tau)
            v = v + a * (_t(node.v_leak, d) - v) + b * r * x
        if kind in ("LI", "I", "CubaLI"):
            state["v"] = v
            return v
        z = v > _t(node.v_threshold, d)
        v_reset = _t(node.v_reset if node.v_reset is not None else 0.0, d)
        state["v"] = torch.where(z, v_reset.expand_as(v) if v_reset.dim() else v_reset, v)
        return z.to(d)


def _neuron_shape(node: Any) -> tuple[int, ...] | None:
    for attr in ("tau", "tau_mem", "r", "v_threshold"):
        val = getattr(node, attr, None)
        if val is not None:
            arr = np.asarray(val)
            if arr.ndim:
                return tuple(arr.shape)
    return None


def simulate_nir(
    graph: Any,
    x: torch.Tensor | dict[str, torch.Tensor],
    *,
    dt: float = 1e-4,
    scheme: str = "euler",
    dtype: torch.dtype = torch.float64,
    record_states: bool = False,
) -> NIRRun:
    """Run a NIR graph with the float reference (module docstring).

    Args:
        graph: a ``nir.NIRGraph``.
        x: input ``[T, B, *shape]`` (or a dict per Input node).
        dt: time step in seconds (NIR graphs carry none).
        scheme: ``"euler"`` (matches snnTorch / SpikingJelly / spike-core) or ``"exact"``.
        dtype: simulation dtype.
        record_states: also return every node's state over time.

    Returns:
        :class:`NIRRun` (``outputs``, ``spikes``, and ``states`` when asked).

    Raises:
        ValueError: for malformed graphs or inputs; ``UnsupportedNodeError`` for unknown nodes.

    Examples:
        >>> import nir, numpy as np
        >>> g = nir.NIRGraph.from_list(
        ...     nir.Linear(weight=np.ones((1, 1))),
        ...     nir.IF(r=np.array([1e4]), v_threshold=np.array([1.5])),
        ... )
        >>> simulate_nir(g, torch.ones(4, 1, 1))["outputs"]["output"].flatten().tolist()
        [0.0, 1.0, 0.0, 1.0]
    """
    return FloatReference(graph, dt=dt, scheme=scheme, dtype=dtype).run(
        x, record_states=record_states
    )
