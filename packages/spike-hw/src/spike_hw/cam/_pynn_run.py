"""The CAM's PyNN form simulated on a PyNN backend (NEST, Brian2): delay retiming and the §4.6 runs."""

from __future__ import annotations

import copy
from typing import Any, cast

import torch

from spike_hw.cam._experiments import compare_recalls, experiment_setup
from spike_hw.cam._network import CAMConfig
from spike_hw.cam._protocol import CAMOperation, operations_to_spikes
from spike_hw.cam._pynn import cam_to_pynn
from spike_hw.cam._pynn_memory import (
    match_spynnaker_update,
    prepare_backend,
    simulate,
    use_nest_model,
    windowed_stdp_timing,
)
from spike_hw.pynn_export import PyNNNetwork

__all__ = ["retime_for_grid", "run_experiment_pynn"]

_BACKENDS = ("pyNN.nest", "pyNN.brian2")


def retime_for_grid(net: PyNNNetwork) -> dict[str, int]:
    """Compensate delays so an on-grid backend reproduces same-step synaptic delivery (in place).

    In sPyNNaker's update (and :class:`~spike_hw.cam.CAMSimulator`) a weight arriving at step
    ``t`` already moves ``v`` at step ``t``: a spike at ``t`` through delay ``d`` fires its
    target at ``t + d``. On NEST's and Brian2's grids the target fires at ``t + d + 1`` at the
    earliest, so paths with different numbers of hops drift apart (the CAM's gates rely on an
    inhibition and an excitation arriving in the same step). This gives every population a lag
    ``L`` (steps) with ``L(post) >= L(pre) + 2 - d`` for every projection (longest path from the
    sources, which keep ``L = 0``) and sets each delay to ``d + L(post) - L(pre) - 1 >= 1``, so
    that every spike of population ``P`` on the grid comes exactly ``L(P)`` steps after its
    same-step counterpart. STDP timing shifts by ``1 + L(post) - L(pre)`` steps as well.

    Args:
        net: the description (delays in ms, multiples of ``net.dt_ms``); modified in place.

    Returns:
        Label -> lag in steps.

    Raises:
        ValueError: for a projection whose delays differ, a self-projection with a delay under
            two steps or a cycle that cannot be retimed.
    """
    dt = net.dt_ms
    lag = {p["label"]: 0 for p in net.populations}
    edges: list[tuple[str, str, int]] = []
    for pr in net.projections:
        delays = {round(float(c[3]) / dt) for c in pr["connections"]}
        if len(delays) > 1:
            raise ValueError(f"projection {pr['pre']}->{pr['post']}: delays differ ({delays})")
        d = delays.pop() if delays else 1
        if pr["pre"] == pr["post"] and d < 2:
            raise ValueError(f"projection {pr['pre']}->{pr['post']}: self delay {d} < 2 steps")
        edges.append((pr["pre"], pr["post"], d))
    for _ in range(len(lag) + 1):
        changed = False
        for pre, post, d in edges:
            if pre != post and lag[post] < lag[pre] + 2 - d:
                lag[post] = lag[pre] + 2 - d
                changed = True
        if not changed:
            break
    else:
        raise ValueError("the network has a cycle that delays cannot retime")
    for pr, (pre, post, d) in zip(net.projections, edges, strict=True):
        delay = (d + lag[post] - lag[pre] - 1) * dt
        pr["connections"] = [(i, j, w, delay) for i, j, w, _ in pr["connections"]]
        if "delay" in pr["synapse"]:
            pr["synapse"]["delay"] = delay
    return lag


def _memory_segments(
    ops: list[CAMOperation],
) -> list[tuple[dict[int, set[int]], list[CAMOperation]]]:
    """Recalls grouped by the memory content they see (after the learns before them)."""
    memory: dict[int, set[int]] = {}
    segments: list[tuple[dict[int, set[int]], list[CAMOperation]]] = []
    for op in ops:
        if op.kind == "learn":
            memory[cast(int, op.cue)] = set(op.content)
        elif segments and segments[-1][0] == memory:
            segments[-1][1].append(op)
        else:
            segments.append((copy.deepcopy(memory), [op]))
    return segments


def _preload(
    net: PyNNNetwork, memory: dict[int, set[int]], w: float, gain: dict[str, float] | None = None
) -> None:
    """Replace the STDP memory projections by static ones holding ``memory``.

    The weight is ``w`` (nA) times ``gain[post]`` (``match_spynnaker_update`` factors).
    """
    for pr in net.projections:
        if pr["synapse"]["type"] != "STDPMechanism":
            continue
        w_pr = w * (gain or {}).get(pr["post"], 1.0)
        delay = pr["connections"][0][3]
        if pr["pre"] == "CueCue":  # cue i -> content bit j
            pairs = [(i, j) for i, bits in memory.items() for j in sorted(bits)]
        else:  # content bit j -> cue i
            pairs = [(j, i) for i, bits in memory.items() for j in sorted(bits)]
        pr["connections"] = [(a, b, w_pr, delay) for a, b in sorted(pairs)]
        pr["synapse"] = {"type": "StaticSynapse"}


def _prepared_network(
    cfg: CAMConfig,
    backend: str,
    memory: str,
    retime: bool,
    match_update: bool,
    nest_synapse: str = "stdp_synapse",
) -> tuple[PyNNNetwork, dict[str, int], dict[str, float]]:
    """The CAM's PyNN form for ``backend``: ``(net, lags, weight factors)``."""
    net = cam_to_pynn(cfg, inhibitory_sign="negative")
    lag = retime_for_grid(net) if retime else {p["label"]: 0 for p in net.populations}
    if memory == "windowed":
        timing = windowed_stdp_timing(cfg, backend)
        for pr in net.projections:
            if pr["synapse"]["type"] == "STDPMechanism":
                pr["synapse"]["timing"] = dict(timing)
    gain = match_spynnaker_update(net, syn_init=cfg.syn_init) if match_update else {}
    prepare_backend(net, backend)
    if backend == "pyNN.nest":
        use_nest_model(net, nest_synapse)
    return net, lag, gain


def run_experiment_pynn(
    name: str,
    sim: Any,
    config: CAMConfig | None = None,
    *,
    memory: str = "windowed",
    retime: bool = True,
    match_update: bool = True,
    offset: int = 2,
    return_weights: bool = False,
    nest_synapse: str = "stdp_synapse",
) -> list[dict[str, Any]] | tuple[list[dict[str, Any]], dict[str, torch.Tensor]]:
    """Run one §4.6 experiment on the PyNN form of the CAM and compare every recall.

    The network of :func:`~spike_hw.cam.cam_to_pynn` (inhibitory weights negative, PyNN's
    current-based convention) is built on ``sim``; IN step ``k`` becomes a spike at
    ``(k + offset) dt`` and OUT spikes are mapped back to steps. With ``retime`` the delays are
    compensated (:func:`retime_for_grid`) and the decoding windows of
    :func:`~spike_hw.cam.run_experiment` shifted by OUT's lag (8 steps; 3 without retiming,
    the lag of the shortest path IN -> CueCue -> MergeCue -> OUT). Brian2 stamps a spike at the
    start of its step but adds arriving weights after the threshold test, so a chain of spikes
    from the sources has the same time stamps on both grids. With ``match_update`` the weights
    are scaled so the simulators' exact integration equals sPyNNaker's step
    (:func:`match_spynnaker_update`). On pyNN.brian2 the refractory period is counted as NEST
    and sPyNNaker count it (one more step, see the docs) and STDP delays are axonal.

    Args:
        name: ``"functional"``, ``"stress"`` or ``"flag-map"``.
        sim: ``pyNN.nest`` or ``pyNN.brian2``.
        config: a :class:`~spike_hw.cam.CAMConfig` (sizes replaced by the experiment's).
        memory: ``"windowed"`` (default: PyNN's ``STDPMechanism`` with the parameters of
            :func:`windowed_stdp_timing`, emulating ``CAMSimulator``'s default 1 ms window; it
            learns and forgets on pyNN.brian2, only learns on pyNN.nest), ``"stdp"`` (the spec's
            ``SpikePairRule``: tau 3 ms, no pairing window) or
            ``"preloaded"`` (static memory projections holding the associations stored before
            each recall, weight ``w_max``, the spec's optional initial memory content; one run
            per memory state: tests the recall circuit).
        retime: compensate delays for the backend's grid (without it the gates misfire).
        match_update: scale weights for sPyNNaker's neuron update (else the spec's nA as is).
        offset: steps added to every input time (``pyNN.nest`` needs times after one ``dt``).
        return_weights: also return the memory projections' final weights (plastic modes).
        nest_synapse: on pyNN.nest, the synapse model of the plastic memory: ``"stdp_synapse"``
            (PyNN's ``STDPMechanism``) or a native nearest-neighbour variant of
            :data:`NEST_STDP_MODELS` with the same parameters (no weights returned).

    Returns:
        One dict per recall, as :func:`~spike_hw.cam.run_experiment`; with ``return_weights``
        also ``"CueCue->ContCue"``/``"ContCont->CueCont"`` -> ``[n_pre, n_post]`` weights at the
        end of the run in the spec's nA (divided by the ``match_update`` factor).

    Raises:
        ValueError: for an unknown experiment, backend or ``memory``, ``offset < 2``, or
            ``return_weights`` with preloaded memories.
    """
    cfg, ops, x = experiment_setup(name, config)
    backend = getattr(sim, "__name__", "")
    if backend not in _BACKENDS:
        raise ValueError(f"sim must be one of {_BACKENDS}, got {backend!r}")
    if memory not in ("stdp", "windowed", "preloaded"):
        raise ValueError(f"memory must be 'stdp', 'windowed' or 'preloaded', got {memory!r}")
    if offset < 2:
        raise ValueError(f"offset must be >= 2 steps, got {offset!r}")
    if return_weights and memory == "preloaded":
        raise ValueError("return_weights needs plastic memory ('stdp' or 'windowed')")
    if nest_synapse != "stdp_synapse" and (backend != "pyNN.nest" or return_weights):
        raise ValueError("nest_synapse: a native model needs pyNN.nest and no return_weights")
    base, lag, gain = _prepared_network(cfg, backend, memory, retime, match_update, nest_synapse)
    latency = lag["OUT"] if retime else 3
    steps = x.shape[0] + latency + 4
    c, m = cfg.cue_size, cfg.content_size
    if memory != "preloaded":
        rasters, weights = simulate(base, sim, x, offset=offset, steps=steps, record=["OUT"])
        out = rasters["OUT"]
    else:
        out = torch.zeros(steps, c + m, dtype=torch.bool)
        for stored, recalls in _memory_segments(ops):
            net = copy.deepcopy(base)
            _preload(net, stored, cfg.w_max, gain)
            xr = operations_to_spikes(recalls, cue_size=c, content_size=m, steps=x.shape[0])
            out |= simulate(net, sim, xr, offset=offset, steps=steps, record=["OUT"])[0]["OUT"]
    rows = compare_recalls(name, ops, out, cue_size=c, latency=latency)
    if not return_weights:
        return rows
    spec_units = {k: w / gain.get(k.split("->")[1], 1.0) for k, w in weights.items()}
    return rows, spec_units
