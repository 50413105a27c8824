"""Import NIR graphs (``spike-hw[nir]``) as spike-core modules, with ``dt`` explicit.

A chain graph (each node feeding the next) whose neuron parameters are uniform per node becomes
an ``nn.Sequential`` of spike-core modules (stateless layers wrapped in ``SeqToBatch``) that runs
on time-major ``[T, B, ...]`` input. Inverse mapping of :mod:`spike_hw.nir_export` with
``k = dt / tau``: ``LIF -> LIF(tau_mem=tau, dt=dt)`` (``decay_input=True``, or the snnTorch
``beta`` form when the exporter's metadata says so: the two are the same equation), ``IF -> IF(r =
r dt)``, ``CubaLIF -> CubaLIF`` with ``r_model = r w_in dt / tau_syn``, ``LI -> LI``,
``I -> Integrator``, ``Affine/Linear -> nn.Linear``, convolutions, pools, ``Flatten``, ``Scale``,
and the recurrent subgraph ``{input, lif, w_rec, output}`` -> :class:`~spike_hw.Recurrent`. Any
other valid graph (fan-in, per-neuron parameters, ``Threshold``) imports as a
:class:`NIRGraphModule` that runs the float reference executor.

``scheme="exact"`` integrates the membrane of ``LIF``/``LI``/``CubaLIF`` exactly over one step
with the input held (``v <- v_leak + (v - v_leak) e^{-dt/tau} + R I (1 - e^{-dt/tau})``, the
discretisation Sinabs and Lava use), as the float reference does: it is the Euler step with the
time constant ``dt / (1 - e^{-dt/tau})``. The synaptic current of ``CubaLIF`` stays Euler.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spike_core import IF, LI, LIF, CubaLIF, SeqToBatch
from spike_hw._nirlib import nir_module
from spike_hw.errors import UnsupportedNodeError
from spike_hw.graph import schedule_graph
from spike_hw.modules import Integrator, Recurrent, Scale, SumPool2d
from spike_hw.reference import FloatReference

__all__ = ["NIRGraphModule", "from_nir", "read_nir"]


def _scalar(node_name: str, field: str, value: Any) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or not np.all(arr == arr.flat[0]):
        raise _NotUniformError(f"{node_name}.{field}")
    val = float(arr.flat[0])
    if not np.isfinite(val):
        raise ValueError(f"node {node_name!r}: {field} is not finite")
    return val


class _NotUniformError(Exception):
    pass


def _membrane_tau(tau: float, dt: float, scheme: str) -> float:
    """Time constant whose Euler step is the ``scheme``'s membrane decay."""
    return tau if scheme == "euler" else dt / -math.expm1(-dt / tau)


def _neuron(name: str, node: Any, dt: float, scheme: str = "euler") -> nn.Module:
    kind = type(node).__name__
    s = lambda f, v=None: _scalar(name, f, getattr(node, f) if v is None else v)  # noqa: E731
    v_reset = lambda: s("v_reset", node.v_reset if node.v_reset is not None else 0.0)  # noqa: E731
    if kind == "LIF":
        tau = _membrane_tau(s("tau"), dt, scheme)
        meta = (node.metadata or {}).get("spike_hw", {})
        if scheme == "euler" and int(np.asarray(meta.get("decay_input", 1))) == 0:
            return LIF(
                tau_mem=tau, dt=dt, r=s("r") * dt / tau, v_leak=s("v_leak"),
                v_threshold=s("v_threshold"), v_reset=v_reset(), decay_input=False,
            )  # fmt: skip
        return LIF(
            tau_mem=tau, dt=dt, r=s("r"), v_leak=s("v_leak"),
            v_threshold=s("v_threshold"), v_reset=v_reset(), decay_input=True,
        )  # fmt: skip
    if kind == "IF":
        return IF(r=s("r") * dt, v_threshold=s("v_threshold"), v_reset=v_reset())
    if kind == "CubaLIF":
        tau_syn = s("tau_syn")
        return CubaLIF(
            tau_syn=tau_syn, tau_mem=_membrane_tau(s("tau_mem"), dt, scheme), dt=dt,
            r=s("r") * s("w_in") * dt / tau_syn, v_leak=s("v_leak"),
            v_threshold=s("v_threshold"), v_reset=v_reset(),
        )  # fmt: skip
    if kind == "LI":
        return LI(tau_mem=_membrane_tau(s("tau"), dt, scheme), dt=dt, r=s("r"), v_leak=s("v_leak"))
    if kind == "I":
        return Integrator(r=s("r") * dt)
    raise _NotUniformError(kind)


def _ints(v: Any) -> tuple[int, ...]:
    return tuple(int(a) for a in np.atleast_1d(np.asarray(v)))


def _layer(name: str, node: Any, dt: float, scheme: str = "euler") -> nn.Module:
    nir = nir_module()
    kind = type(node).__name__
    if kind in ("LIF", "IF", "CubaLIF", "LI", "I"):
        return _neuron(name, node, dt, scheme)
    if isinstance(node, nir.NIRGraph):
        return _recurrent(name, node, dt, scheme)
    if kind in ("Affine", "Linear"):
        w = torch.as_tensor(np.asarray(node.weight), dtype=torch.float32)
        if w.dim() != 2:
            raise ValueError(f"node {name!r}: weight must be 2-D [out, in], got {tuple(w.shape)}")
        lin = nn.Linear(w.shape[1], w.shape[0], bias=kind == "Affine")
        with torch.no_grad():
            lin.weight.copy_(w)
            if kind == "Affine":
                b = torch.as_tensor(np.asarray(node.bias), dtype=torch.float32)
                if b.shape != (w.shape[0],):
                    raise ValueError(
                        f"node {name!r}: bias shape {tuple(b.shape)} != ({w.shape[0]},)"
                    )
                lin.bias.copy_(b)  # type: ignore[union-attr]
        return lin
    if kind in ("Conv1d", "Conv2d"):
        w = torch.as_tensor(np.asarray(node.weight), dtype=torch.float32)
        dims = 1 if kind == "Conv1d" else 2
        if w.dim() != dims + 2:
            raise ValueError(f"node {name!r}: weight must be {dims + 2}-D, got {tuple(w.shape)}")
        groups = int(node.groups)
        pad = node.padding if isinstance(node.padding, str) else _ints(node.padding)
        # NIR geometry arrives as variable-length tuples; torch's stubs want fixed-length ones
        geometry: dict[str, Any] = {
            "kernel_size": tuple(w.shape[2:]),
            "stride": _ints(node.stride),
            "padding": pad,
            "dilation": _ints(node.dilation),
        }
        cls = nn.Conv1d if dims == 1 else nn.Conv2d
        conv = cls(w.shape[1] * groups, w.shape[0], groups=groups, bias=True, **geometry)
        with torch.no_grad():
            conv.weight.copy_(w)
            bias = np.zeros(w.shape[0]) if node.bias is None else np.asarray(node.bias)
            conv.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))  # type: ignore[union-attr]
        return conv
    if kind in ("AvgPool2d", "SumPool2d"):
        pool: dict[str, Any] = {
            "kernel_size": _ints(node.kernel_size),
            "stride": _ints(node.stride),
            "padding": _ints(node.padding),
        }
        if kind == "SumPool2d":
            return SumPool2d(**pool)
        return nn.AvgPool2d(**pool, count_include_pad=True)
    if kind == "Flatten":
        start, end = int(node.start_dim), int(node.end_dim)
        return nn.Flatten(start + 1 if start >= 0 else start, end + 1 if end >= 0 else end)
    if kind == "Scale":
        return Scale(scale=torch.as_tensor(np.asarray(node.scale)))
    raise _NotUniformError(kind)


def _recurrent(name: str, g: Any, dt: float, scheme: str) -> nn.Module:
    nir = nir_module()
    kinds = {n: type(v).__name__ for n, v in g.nodes.items()}
    neurons = [n for n, k in kinds.items() if k in ("LIF", "CubaLIF", "IF")]
    syn = [n for n, k in kinds.items() if k in ("Affine", "Linear")]
    ins = [n for n, v in g.nodes.items() if isinstance(v, nir.Input)]
    outs = [n for n, v in g.nodes.items() if isinstance(v, nir.Output)]
    if len(g.nodes) != 4 or len(neurons) != 1 or len(syn) != 1 or len(ins) != 1 or len(outs) != 1:
        raise _NotUniformError("subgraph")
    n, w = neurons[0], syn[0]
    edges = {
        (a.decode() if isinstance(a, bytes) else a, b.decode() if isinstance(b, bytes) else b)
        for a, b in g.edges
    }
    if edges != {(ins[0], n), (n, w), (w, n), (n, outs[0])}:
        raise _NotUniformError("subgraph")
    rec = _layer(f"{name}.{w}", g.nodes[w], dt)
    if rec.in_features != rec.out_features:  # type: ignore[operator]
        raise ValueError(f"node {name!r}: recurrent weight must be square")
    return Recurrent(neuron=_neuron(f"{name}.{n}", g.nodes[n], dt, scheme), recurrent=rec)  # type: ignore[arg-type]


class NIRGraphModule(nn.Module):
    """A NIR graph run by the float reference executor (for graphs that are not simple chains).

    Args:
        graph: the NIR graph.
        dt: time step in seconds.
        scheme: membrane integration, ``"euler"`` or ``"exact"``.

    Shapes:
        input ``[T, B, *input_shape]``, output ``[T, B, *output_shape]`` (the single Output node).
    """

    def __init__(self, graph: Any, *, dt: float, scheme: str = "euler") -> None:
        super().__init__()
        self.graph, self.dt = graph, float(dt)
        self._runner = FloatReference(graph, dt=dt, scheme=scheme)

    def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
        """Simulate in float64 and return the output in ``x_seq``'s dtype (no gradients)."""
        outs = self._runner.run(x_seq)["outputs"]
        if len(outs) != 1:
            raise ValueError(f"graph has {len(outs)} outputs; use spike_hw.simulate_nir")
        return next(iter(outs.values())).to(x_seq)


def _chain(graph: Any) -> list[str] | None:
    nir = nir_module()
    ins = [n for n, v in graph.nodes.items() if isinstance(v, nir.Input)]
    outs = [n for n, v in graph.nodes.items() if isinstance(v, nir.Output)]
    if len(ins) != 1 or len(outs) != 1:
        return None
    nxt: dict[str, str] = {}
    indeg: dict[str, int] = dict.fromkeys(graph.nodes, 0)
    for a_raw, b_raw in graph.edges:
        a = a_raw.decode() if isinstance(a_raw, bytes) else a_raw
        b = b_raw.decode() if isinstance(b_raw, bytes) else b_raw
        if a in nxt:
            return None
        nxt[a] = b
        indeg[b] += 1
    if any(v > 1 for v in indeg.values()):
        return None
    order, cur = [], ins[0]
    while cur in nxt:
        cur = nxt[cur]
        if cur == outs[0]:
            break
        order.append(cur)
    return order if cur == outs[0] and len(order) == len(graph.nodes) - 2 else None


def from_nir(graph: Any, *, dt: float = 1e-4, scheme: str = "euler") -> nn.Module:
    """Import a NIR graph as a PyTorch module over time-major input.

    Args:
        graph: a ``nir.NIRGraph`` (validated first: missing nodes, shapes, stateless cycles).
        dt: the time step in seconds the graph is simulated with.
        scheme: membrane integration: ``"euler"`` (forward Euler, as snnTorch, SpikingJelly,
            Norse and spike-core step) or ``"exact"`` (exponential decay over one step with the
            input held, as Sinabs and Lava step; see the module docstring).

    Returns:
        ``nn.Sequential`` of spike-core modules for chain graphs, else :class:`NIRGraphModule`.

    Raises:
        ValueError: for malformed graphs; ``UnsupportedNodeError`` for node types without support.
    """
    if not (isinstance(dt, int | float) and dt > 0 and np.isfinite(dt)):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    if scheme not in ("euler", "exact"):
        raise ValueError(f"scheme must be 'euler' or 'exact', got {scheme!r}")
    schedule_graph(graph)  # validation
    order = _chain(graph)
    if order is not None:
        layers = []
        try:
            for name in order:
                m = _layer(name, graph.nodes[name], float(dt), scheme)
                stateless = not isinstance(m, IF | LIF | CubaLIF | LI | Integrator | Recurrent)
                layers.append(SeqToBatch(m) if stateless else m)
            return nn.Sequential(*layers)
        except _NotUniformError:
            pass
    module = NIRGraphModule(graph, dt=dt, scheme=scheme)
    for name, node in module._runner.schedule.nodes.items():
        kind = type(node).__name__
        if node is not None and kind not in (
            "Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d",
            "AvgPool2d", "Flatten", "Threshold", "LIF", "IF", "LI", "I", "CubaLIF", "CubaLI",
        ):  # fmt: skip
            raise UnsupportedNodeError(f"node {name!r}: NIR {kind} is not supported")
    return module


def read_nir(path: str | Path, *, type_check: bool = True) -> Any:
    """Read and validate a NIR HDF5 file.

    Args:
        path: the file.
        type_check: let ``nir`` check edge shapes.

    Returns:
        The ``nir.NIRGraph``.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: for a corrupt file, a failed type check or an invalid graph (never another
            exception type; checked by a fuzz test over corrupted files).
    """
    nir = nir_module()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no NIR file at {path}")
    try:
        graph = nir.read(str(path), type_check=type_check)
    except Exception as exc:  # h5py/nir raise many types for corrupt files
        raise ValueError(
            f"corrupt or invalid NIR file {path}: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(graph, nir.NIRGraph):
        raise ValueError(f"NIR file {path} does not hold a graph (got {type(graph).__name__})")
    try:
        schedule_graph(graph)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"invalid NIR graph in {path}: {exc}") from exc
    return graph
