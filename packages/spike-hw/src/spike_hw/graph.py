"""NIR graph utilities: flatten nested graphs, validate, and schedule one time step.

Execution model (shared by the float reference and the fixed-point backend): within a time step
nodes run in topological order of the forward edges; an edge that closes a cycle (found by a
depth-first search from the inputs) delivers the source's output of the **previous** step
(one-step delay). Several edges into one node sum. Every cycle must contain a stateful node
(a neuron or integrator); a cycle of stateless nodes raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spike_hw._nirlib import nir_module

__all__ = ["NEURON_TYPES", "Schedule", "flatten_graph", "schedule_graph"]

NEURON_TYPES = ("LIF", "IF", "CubaLIF", "LI", "CubaLI", "I")
_SPIKING = ("LIF", "IF", "CubaLIF", "Threshold")


@dataclass
class Schedule:
    """A flattened graph and its execution order.

    Attributes:
        nodes: flat name -> NIR node (nested graphs expanded as ``"outer.inner"``).
        order: node names in execution order within one step.
        inputs: names of graph-level ``Input`` nodes.
        outputs: names of graph-level ``Output`` nodes.
        preds: name -> list of ``(source, delayed)`` incoming edges.
        spiking: names of nodes whose output is binary spikes.
    """

    nodes: dict[str, Any]
    order: list[str]
    inputs: list[str]
    outputs: list[str]
    preds: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    spiking: set[str] = field(default_factory=set)


def _type(node: Any) -> str:
    return type(node).__name__


def flatten_graph(graph: Any, prefix: str = "") -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Expand nested ``NIRGraph`` nodes into one flat node dict and edge list.

    A nested graph's ``Input``/``Output`` nodes become pass-through nodes (type ``"Identity"``,
    stored as ``None``) so edges to and from the nested graph keep their meaning.

    Args:
        graph: a ``nir.NIRGraph``.
        prefix: name prefix of the nodes (used in recursion).

    Returns:
        ``(nodes, edges)`` with qualified names.

    Raises:
        ValueError: for an edge that names a missing node.
    """
    nir = nir_module()
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    entry: dict[str, list[str]] = {}
    exit_: dict[str, list[str]] = {}
    for name, node in graph.nodes.items():
        q = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = flatten_graph(node, f"{q}.")
            nodes.update(sub_nodes)
            edges.extend(sub_edges)
            entry[name] = [f"{q}.{n}" for n, v in node.nodes.items() if isinstance(v, nir.Input)]
            exit_[name] = [f"{q}.{n}" for n, v in node.nodes.items() if isinstance(v, nir.Output)]
            if not entry[name] or not exit_[name]:
                raise ValueError(f"nested graph {q!r} needs Input and Output nodes")
        elif prefix and isinstance(node, nir.Input | nir.Output):
            nodes[q] = None  # pass-through inside a nested graph
        else:
            nodes[q] = node
    for edge in graph.edges:
        if len(edge) != 2:
            raise ValueError(f"edge {edge!r} must be a (source, target) pair")
        src, dst = (e.decode() if isinstance(e, bytes) else str(e) for e in edge)
        for end in (src, dst):
            if end not in graph.nodes:
                raise ValueError(f"edge ({src!r}, {dst!r}) references missing node {end!r}")
        for s in exit_.get(src, [f"{prefix}{src}"]):
            edges.extend((s, d) for d in entry.get(dst, [f"{prefix}{dst}"]))
    return nodes, edges


def _sccs(names: list[str], succ: dict[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # iterative Tarjan would be longer; graphs are small
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in names:
        if v not in index:
            visit(v)
    return out


def schedule_graph(graph: Any) -> Schedule:
    """Flatten, validate and order a NIR graph for step-by-step execution.

    Args:
        graph: a ``nir.NIRGraph``.

    Returns:
        The :class:`Schedule`.

    Raises:
        TypeError: if ``graph`` is not a ``nir.NIRGraph``.
        ValueError: for missing nodes, no input, or a cycle without a stateful node.
    """
    nir = nir_module()
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph must be a nir.NIRGraph, got {type(graph).__name__}")
    nodes, edges = flatten_graph(graph)
    inputs = [n for n, v in nodes.items() if isinstance(v, nir.Input)]
    outputs = [n for n, v in nodes.items() if isinstance(v, nir.Output)]
    if not inputs:
        raise ValueError("graph has no Input node")
    if not outputs:
        raise ValueError("graph has no Output node")
    names = list(nodes)
    succ: dict[str, list[str]] = {n: [] for n in names}
    for s, d in edges:
        succ[s].append(d)
    for comp in _sccs(names, succ):
        cyclic = len(comp) > 1 or comp[0] in succ[comp[0]]
        if cyclic and not any(_type(nodes[c]) in NEURON_TYPES for c in comp):
            raise ValueError(f"cycle without state through nodes {sorted(comp)}")
    # depth-first search from the inputs: edges into a node on the stack close a cycle
    delayed: set[tuple[str, str]] = set()
    color: dict[str, int] = {}

    def dfs(v: str) -> None:
        color[v] = 1
        for w in succ[v]:
            if color.get(w) == 1:
                delayed.add((v, w))
            elif w not in color:
                dfs(w)
        color[v] = 2

    for v in inputs + names:
        if v not in color:
            dfs(v)
    preds: dict[str, list[tuple[str, bool]]] = {n: [] for n in names}
    indeg = dict.fromkeys(names, 0)
    for s, d in edges:
        is_delayed = (s, d) in delayed
        preds[d].append((s, is_delayed))
        if not is_delayed:
            indeg[d] += 1
    order: list[str] = []
    ready = [n for n in names if indeg[n] == 0]
    while ready:
        v = ready.pop(0)
        order.append(v)
        for w in succ[v]:
            if (v, w) not in delayed:
                indeg[w] -= 1
                if indeg[w] == 0:
                    ready.append(w)
    if len(order) != len(names):  # pragma: no cover - DFS removes every cycle
        raise ValueError("graph could not be ordered")
    for n in names:
        if n not in inputs and nodes[n] is not None and not preds[n]:
            raise ValueError(f"node {n!r} has no incoming edge and is not an Input")
    spiking = {n for n in names if _type(nodes[n]) in _SPIKING}
    return Schedule(nodes, order, inputs, outputs, preds, spiking)
