"""PyNN export: NIR graph -> populations and projections (PyNN 0.10+ API), without a simulator.

:func:`nir_to_pynn` turns a NIR graph into a plain :class:`PyNNNetwork` description; :func:`build_pynn`
replays it on any object with PyNN's API (``pyNN.nest``, ``pyNN.brian2``, ``pyNN.mock`` or the
recording :class:`FakeSim`), and :func:`nir_to_pynn_script` writes a standalone Python script.
Mapping (times: NIR seconds -> PyNN milliseconds; ``R`` in MOhm, so ``cm = tau_m / R`` nF):

* ``Input`` -> ``SpikeSourceArray`` (size = product of the input shape);
* ``CubaLIF`` -> ``IF_curr_exp(tau_m = 1000 tau_mem, tau_syn_E = tau_syn_I = 1000 tau_syn,
  v_rest = v_leak, v_reset, v_thresh = v_threshold, cm = tau_m / R, tau_refrac = 1000 dt)``;
* ``LIF`` -> ``IF_curr_delta`` (same membrane parameters, no synaptic filter);
  ``IF`` -> ``IF_curr_delta`` with ``tau_m = 1e9`` ms (no leak; a warning is recorded);
* ``LI``/``CubaLI`` -> the same cells with an unreachable threshold (``v`` recorded);
* ``Affine``/``Linear`` -> projections split by sign into ``receptor_type="excitatory"`` and
  ``"inhibitory"`` (``inhibitory_sign="negative"``: PyNN's current-based convention, negative
  weights; ``"positive"``: sPyNNaker practice, magnitudes), ``FromListConnector`` lists of
  ``(i, j, weight * current_scale, delay)``; ``Affine.bias -> i_offset = bias * current_scale``;
  every projection has a delay of one ``dt``; recurrent edges are ordinary projections;
* ``Output`` -> the source population records ``spikes`` and ``v``.

Convolutions, pooling, ``Scale``, ``Flatten`` between populations and ``Threshold`` are not
exported (:class:`~spike_hw.UnsupportedNodeError` names the node).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spike_hw.errors import UnsupportedNodeError
from spike_hw.graph import schedule_graph

__all__ = ["FakeSim", "PyNNNetwork", "build_pynn", "nir_to_pynn", "nir_to_pynn_script"]

_CELLS = {
    "CubaLIF": "IF_curr_exp",
    "CubaLI": "IF_curr_exp",
    "LIF": "IF_curr_delta",
    "LI": "IF_curr_delta",
    "IF": "IF_curr_delta",
    "I": "IF_curr_delta",
}


@dataclass
class PyNNNetwork:
    """A simulator-independent PyNN network description (plain Python data).

    Attributes:
        dt_ms: simulation time step in ms.
        populations: ``[{"label", "size", "cell", "params", "record"}]``.
        projections: ``[{"pre", "post", "receptor_type", "connections": [(i, j, w, d)],
            "connector", "synapse"}]``.
        warnings: approximations made (e.g. IF mapped to a very slow leak).
    """

    dt_ms: float
    populations: list[dict[str, Any]] = field(default_factory=list)
    projections: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The description as JSON."""
        return json.dumps(
            {
                "dt_ms": self.dt_ms,
                "populations": self.populations,
                "projections": self.projections,
                "warnings": self.warnings,
            },
            indent=1,
        )


def _scalar(name: str, field_: str, value: Any) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(arr == arr.flat[0]):
        raise UnsupportedNodeError(
            f"node {name!r}: per-neuron {field_} is not exported to PyNN (uniform values only)"
        )
    return float(arr.flat[0])


def _cell_params(
    name: str, node: Any, dt: float, warnings: list[str]
) -> tuple[str, dict[str, float], int]:
    kind = type(node).__name__
    s = lambda f, v=None: _scalar(name, f, getattr(node, f) if v is None else v)  # noqa: E731
    size = int(np.asarray(node.r).size)
    params: dict[str, float] = {"tau_refrac": dt * 1000.0, "i_offset": 0.0}
    if kind in ("IF", "I"):
        tau_m, R = 1e9, s("r") * dt * 1e3  # dv = dt R I: a non-leaking cell with tau_m = R cm
        warnings.append(f"{name}: IF/I mapped to a cell with tau_m = 1e9 ms (no leak)")
        params.update(tau_m=tau_m, cm=tau_m / R, v_rest=0.0)
    else:
        tau_m = 1000.0 * s("tau" if kind in ("LIF", "LI") else "tau_mem")
        params.update(tau_m=tau_m, cm=tau_m / s("r"), v_rest=s("v_leak"))
    if kind in ("CubaLIF", "CubaLI"):
        params["tau_syn_E"] = params["tau_syn_I"] = 1000.0 * s("tau_syn")
    if kind in ("LIF", "IF", "CubaLIF"):
        params["v_thresh"] = s("v_threshold")
        params["v_reset"] = s("v_reset", node.v_reset if node.v_reset is not None else 0.0)
    else:
        params["v_thresh"], params["v_reset"] = 1e9, params["v_rest"]
    return _CELLS[kind], params, size


def nir_to_pynn(
    graph: Any,
    *,
    dt: float = 1e-4,
    current_scale: float = 1.0,
    inhibitory_sign: str = "negative",
) -> PyNNNetwork:
    """Describe a NIR graph of neuron populations and dense synapses as a PyNN network.

    Args:
        graph: a ``nir.NIRGraph`` whose synapses are ``Affine``/``Linear`` nodes between
            ``Input`` and neuron nodes (feed-forward or recurrent).
        dt: time step in seconds (also each projection's delay).
        current_scale: nA per unit of NIR input current.
        inhibitory_sign: ``"negative"`` or ``"positive"`` inhibitory weights.

    Returns:
        The :class:`PyNNNetwork`.

    Raises:
        UnsupportedNodeError: for nodes without a PyNN form (named).
        ValueError: for bad arguments.
    """
    if inhibitory_sign not in ("negative", "positive"):
        raise ValueError(
            f"inhibitory_sign must be 'negative' or 'positive', got {inhibitory_sign!r}"
        )
    if not (dt > 0 and math.isfinite(dt)):
        raise ValueError(f"dt must be positive, got {dt!r}")
    sch = schedule_graph(graph)
    net = PyNNNetwork(dt_ms=dt * 1000.0)
    pops: dict[str, dict[str, Any]] = {}
    for name in sch.order:
        node = sch.nodes[name]
        kind = type(node).__name__
        if kind == "Input":
            size = int(np.prod(np.asarray(node.input_type["input"])))
            pops[name] = {
                "label": name,
                "size": size,
                "cell": "SpikeSourceArray",
                "params": {"spike_times": []},
                "record": [],
            }
        elif kind in _CELLS:
            cell, params, size = _cell_params(name, node, dt, net.warnings)
            pops[name] = {"label": name, "size": size, "cell": cell, "params": params, "record": []}
        elif kind in ("Affine", "Linear", "Output") or node is None:
            continue
        else:
            raise UnsupportedNodeError(
                f"node {name!r}: {kind} has no PyNN export (populations and dense synapses only)"
            )
    net.populations = list(pops.values())

    def source_pops(name: str) -> list[str]:
        if name in pops:
            return [name]
        out: list[str] = []
        for src, _ in sch.preds[name]:
            out.extend(source_pops(src))
        return out

    for name in sch.order:
        node = sch.nodes[name]
        kind = type(node).__name__
        if kind == "Output":
            for p in source_pops(name):
                pops[p]["record"] = (
                    ["spikes"] if pops[p]["cell"] == "SpikeSourceArray" else ["spikes", "v"]
                )
            continue
        if kind not in ("Affine", "Linear"):
            continue
        w = np.asarray(node.weight, dtype=np.float64)
        pres = source_pops(name)
        posts = [d for d, lst in sch.preds.items() if any(s == name for s, _ in lst)]
        for post in posts:
            if type(sch.nodes[post]).__name__ == "Output":  # linear read-out: integrating cells
                label = f"{name}_readout"
                net.warnings.append(
                    f"{name}: read-out into Output exported as non-spiking {label!r}"
                )
                params = {
                    "tau_m": 1e9,
                    "cm": 1.0,
                    "v_rest": 0.0,
                    "v_reset": 0.0,
                    "v_thresh": 1e9,
                    "tau_refrac": net.dt_ms,
                    "i_offset": 0.0,
                }
                pops[label] = {
                    "label": label,
                    "size": int(w.shape[0]),
                    "cell": "IF_curr_delta",
                    "params": params,
                    "record": ["v"],
                }
                net.populations.append(pops[label])
                post = label  # noqa: PLW2901
            if post not in pops:
                raise UnsupportedNodeError(f"node {name!r}: target {post!r} is not a population")
            if kind == "Affine":
                bias = np.asarray(node.bias, dtype=np.float64) * current_scale
                if np.any(bias):
                    pops[post]["params"]["i_offset"] = (
                        float(bias[0]) if np.all(bias == bias[0]) else bias.tolist()
                    )
            for pre in pres:
                for sign, receptor in ((1, "excitatory"), (-1, "inhibitory")):
                    jj, ii = np.nonzero(w * sign > 0)
                    conns = []
                    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
                        val = float(w[j, i]) * current_scale
                        if sign < 0 and inhibitory_sign == "positive":
                            val = -val
                        conns.append((i, j, val, net.dt_ms))
                    if conns:
                        net.projections.append(
                            {
                                "pre": pre,
                                "post": post,
                                "receptor_type": receptor,
                                "connector": "FromListConnector",
                                "connections": conns,
                                "synapse": {"type": "StaticSynapse"},
                            }
                        )
    return net


class FakeSim:
    """A recording stand-in for a PyNN backend module (structural tests without a simulator).

    Records ``setup``, ``Population``, ``Projection`` calls with their arguments; connector,
    cell and synapse factories return ``(name, kwargs)`` tuples.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.populations: list[dict[str, Any]] = []
        self.projections: list[dict[str, Any]] = []

    def setup(self, **kwargs: Any) -> None:
        """Record ``sim.setup``."""
        self.calls.append(("setup", kwargs))

    def __getattr__(self, name: str) -> Any:
        """Cell types, connectors and synapse types: factories returning ``(name, kwargs)``."""
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: (name, {"args": args, **kwargs})

    def Population(self, size: int, cell: Any, label: str = "") -> dict[str, Any]:  # noqa: N802
        """Record a population; returns a dict with a ``record`` method."""
        pop: dict[str, Any] = {"size": size, "cell": cell, "label": label, "recorded": []}
        pop["record"] = lambda what: pop["recorded"].extend(
            what if isinstance(what, list) else [what]
        )
        self.populations.append(pop)
        return pop

    def Projection(  # noqa: N802
        self,
        pre: Any,
        post: Any,
        connector: Any,
        synapse_type: Any = None,
        receptor_type: str = "excitatory",
        label: str = "",
    ) -> dict[str, Any]:
        """Record a projection."""
        proj = {
            "pre": pre["label"],
            "post": post["label"],
            "connector": connector,
            "synapse": synapse_type,
            "receptor_type": receptor_type,
            "label": label,
        }
        self.projections.append(proj)
        return proj


def _synapse(sim: Any, spec: dict[str, Any]) -> Any:
    if spec["type"] == "StaticSynapse":
        return sim.StaticSynapse()
    if spec["type"] == "STDPMechanism":
        extra = {}
        if "dendritic_delay_fraction" in spec:  # pyNN.brian2 supports axonal delays only (0)
            extra["dendritic_delay_fraction"] = spec["dendritic_delay_fraction"]
        return sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(**spec["timing"]),
            weight_dependence=sim.AdditiveWeightDependence(**spec["weight"]),
            weight=spec.get("weight_init", 0.0),
            delay=spec.get("delay", 1.0),
            **extra,
        )
    raise ValueError(f"unknown synapse type {spec['type']!r}")


def build_pynn(
    net: PyNNNetwork, sim: Any, *, setup_kwargs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create the populations and projections of ``net`` with a PyNN backend ``sim``.

    Args:
        net: the description.
        sim: ``pyNN.nest``, ``pyNN.brian2``, ``pyNN.mock`` or a :class:`FakeSim`.
        setup_kwargs: extra backend options for ``sim.setup`` (e.g.
            ``{"spike_precision": "on_grid"}`` for ``pyNN.nest``).

    Returns:
        ``{"populations": label -> population, "projections": [projection, ...]}``.
    """
    sim.setup(timestep=net.dt_ms, min_delay=net.dt_ms, **(setup_kwargs or {}))
    pops = {}
    for p in net.populations:
        cell = getattr(sim, p["cell"])(**p["params"])
        pop = sim.Population(p["size"], cell, label=p["label"])
        if "v_rest" in p["params"] and hasattr(pop, "initialize"):
            pop.initialize(v=p["params"]["v_rest"])  # PyNN's default initial v is -65 mV
        if p["record"]:
            pop.record(p["record"]) if hasattr(pop, "record") and not isinstance(
                pop, dict
            ) else pop["record"](p["record"])
        pops[p["label"]] = pop
    projs = []
    for pr in net.projections:
        if pr["connector"] == "FromListConnector":
            conn = sim.FromListConnector(pr["connections"], column_names=["weight", "delay"])
        else:
            conn = getattr(sim, pr["connector"])(**pr.get("connector_kwargs", {}))
        projs.append(
            sim.Projection(
                pops[pr["pre"]],
                pops[pr["post"]],
                conn,
                synapse_type=_synapse(sim, pr["synapse"]),
                receptor_type=pr["receptor_type"],
            )
        )
    return {"populations": pops, "projections": projs}


def nir_to_pynn_script(
    graph: Any, *, dt: float = 1e-4, backend: str = "nest", **kwargs: Any
) -> str:
    """A standalone PyNN script that builds the network of ``graph`` (see :func:`nir_to_pynn`).

    Args:
        graph: the NIR graph.
        dt: time step in seconds.
        backend: PyNN backend module name (``"nest"``, ``"brian2"``, ``"mock"``).
        **kwargs: ``current_scale``, ``inhibitory_sign``.

    Returns:
        Python source text (set ``spike_times`` of the input populations before ``sim.run``).
    """
    net = nir_to_pynn(graph, dt=dt, **kwargs)
    return (
        f'"""PyNN network exported by spike-hw (dt = {net.dt_ms} ms)."""\n'
        "import json\n\n"
        f"import pyNN.{backend} as sim\n\n"
        f"NET = json.loads({net.to_json()!r})\n\n"
        "sim.setup(timestep=NET['dt_ms'], min_delay=NET['dt_ms'])\n"
        "pops = {}\n"
        "for p in NET['populations']:\n"
        "    pops[p['label']] = sim.Population(p['size'], getattr(sim, p['cell'])(**p['params']), label=p['label'])\n"
        "    if 'v_rest' in p['params']:  # start at rest (PyNN's default initial v is -65 mV)\n"
        "        pops[p['label']].initialize(v=p['params']['v_rest'])\n"
        "    if p['record']:\n"
        "        pops[p['label']].record(p['record'])\n"
        "for pr in NET['projections']:\n"
        "    sim.Projection(pops[pr['pre']], pops[pr['post']],\n"
        "                   sim.FromListConnector(pr['connections'], column_names=['weight', 'delay']),\n"
        "                   synapse_type=sim.StaticSynapse(), receptor_type=pr['receptor_type'])\n"
    )
