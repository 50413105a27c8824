"""Run an exported PyNN network on a real backend and on our own exact-integration simulator.

:func:`simulate_pynn` integrates a :class:`~spike_hw.PyNNNetwork` itself: current-based LIF cells
(``IF_curr_exp``: exponential synaptic currents; ``IF_curr_delta``: weights are voltage jumps in
mV) with exact (exponential-propagator) integration on the same grid ``dt`` as the simulator, the
grid semantics of NEST's ``iaf_psc_exp`` / ``iaf_psc_delta``::

    not refractory:  v <- v_rest + (v - v_rest) P22 + P21e I_e + P21i I_i + P20 i_offset
    refractory:      v stays at v_reset; the counter (tau_refrac / dt steps) counts down
    I_x <- I_x e^{-dt / tau_syn_x} + (weights of spikes arriving at the end of the step)
    v >= v_thresh:   spike (time stamp = end of the step), v <- v_reset, refractory

with ``P22 = e^{-dt/tau_m}``, ``P20 = tau_m / cm (1 - P22)``, ``P21x = tau_x tau_m /
(cm (tau_m - tau_x)) (P22 - e^{-dt/tau_x})``. For ``IF_curr_delta`` the arriving weights are
added to ``v`` directly (and discarded while refractory). A spike emitted at time ``t`` reaches
its target at ``t + delay``; a ``SpikeSourceArray`` spike at ``t`` likewise.

``grid="brian2"`` follows ``pyNN.brian2`` instead (same propagators, Brian2's schedule per step
``n``): update (``v`` held while ``n - n_last < tau_refrac / dt``, so one step fewer than NEST),
threshold ``v > v_thresh`` stamped ``n dt``, weights arriving at step ``n`` added (to ``v`` for
delta synapses, also while refractory), then reset. A spike's effect reaches its target's
threshold ``delay + dt`` later on both grids.

:func:`run_pynn` builds the same description on a PyNN backend module (``pyNN.nest``,
``pyNN.brian2``), runs it and returns the recorded spike times, and :func:`spike_agreement`
compares the two.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from spike_hw.pynn_export import PyNNNetwork, build_pynn

__all__ = ["run_pynn", "simulate_pynn", "spike_agreement"]

SpikeTrains = dict[str, list[np.ndarray]]


def _steps(t_ms: float, dt_ms: float, what: str) -> int:
    k = round(t_ms / dt_ms)
    if abs(k * dt_ms - t_ms) > 1e-6 * dt_ms:
        raise ValueError(f"{what} must be a multiple of dt = {dt_ms} ms, got {t_ms}")
    return int(k)


def _check_inputs(
    net: PyNNNetwork, spike_times: Mapping[str, Sequence[Sequence[float]]], t_stop: float
) -> dict[str, dict[str, Any]]:
    if not isinstance(net, PyNNNetwork):
        raise TypeError(f"net must be a PyNNNetwork, got {type(net).__name__}")
    if not (t_stop > 0 and math.isfinite(t_stop)):
        raise ValueError(f"t_stop must be positive (ms), got {t_stop!r}")
    pops = {p["label"]: p for p in net.populations}
    for label, trains in spike_times.items():
        if label not in pops or pops[label]["cell"] != "SpikeSourceArray":
            raise ValueError(f"spike_times: {label!r} is not a SpikeSourceArray population")
        if len(trains) != pops[label]["size"]:
            raise ValueError(
                f"spike_times[{label!r}] needs {pops[label]['size']} trains, got {len(trains)}"
            )
        for train in trains:
            for t in train:
                if not (0 < t <= t_stop):
                    raise ValueError(
                        f"spike_times[{label!r}]: times must be in (0, t_stop], got {t}"
                    )
                _steps(float(t), net.dt_ms, f"spike_times[{label!r}]")
    return pops


def simulate_pynn(
    net: PyNNNetwork,
    spike_times: Mapping[str, Sequence[Sequence[float]]],
    t_stop: float,
    *,
    grid: str = "nest",
) -> SpikeTrains:
    """Simulate a PyNN network description with exact integration on its own grid ``dt``.

    Args:
        net: the description (from :func:`~spike_hw.nir_to_pynn`); inhibitory weights must use
            PyNN's current-based convention (negative, ``inhibitory_sign="negative"``).
        spike_times: ``SpikeSourceArray`` label -> one sequence of spike times (ms, multiples
            of ``dt`` in ``(0, t_stop]``) per neuron; unlisted sources stay silent.
        t_stop: simulated time in ms (a multiple of ``dt``).
        grid: the step order and time stamps of ``"nest"`` (on-grid ``iaf_psc_exp`` /
            ``iaf_psc_delta``, the module docstring) or ``"brian2"`` (``pyNN.brian2``: the
            same propagators, but a spike is stamped at the start of the step whose update
            crossed ``v > v_thresh``, arriving weights are added after that step's threshold
            test, ``tau_refrac / dt - 1`` refractory steps, delta inputs are not discarded
            while refractory).

    Returns:
        Label -> one array of spike times (ms) per neuron, for every population (sources echo
        their input).

    Raises:
        TypeError: if ``net`` is not a :class:`~spike_hw.PyNNNetwork`.
        ValueError: for off-grid or out-of-range times, unknown labels, positive inhibitory
            weights, non-positive delays, unsupported cell types or an unknown ``grid``.
    """
    if grid not in ("nest", "brian2"):
        raise ValueError(f"grid must be 'nest' or 'brian2', got {grid!r}")
    pops = _check_inputs(net, spike_times, t_stop)
    dt = net.dt_ms
    n_steps = _steps(t_stop, dt, "t_stop")
    max_d = 1
    for pr in net.projections:
        for *_, w, d in pr["connections"]:
            if pr["receptor_type"] == "inhibitory" and w > 0:
                raise ValueError(
                    f"projection {pr['pre']}->{pr['post']}: positive inhibitory weight {w}; "
                    "simulate with inhibitory_sign='negative' (PyNN's current-based convention)"
                )
            steps = _steps(float(d), dt, "delay")
            if steps < 1:
                raise ValueError(f"delays must be at least one dt, got {d}")
            max_d = max(max_d, steps)
    horizon = n_steps + max_d + 2
    # arrivals[label][receptor]: [horizon, size] summed weights arriving at the end of each step
    arrivals = {
        lbl: {r: np.zeros((horizon, p["size"])) for r in ("excitatory", "inhibitory")}
        for lbl, p in pops.items()
    }
    out_proj: dict[str, list[tuple[Any, ...]]] = {}
    for pr in net.projections:
        c = np.asarray([tuple(x) for x in pr["connections"]], dtype=np.float64).reshape(-1, 4)
        d = np.rint(c[:, 3] / dt).astype(np.int64)
        i, j = c[:, 0].astype(np.int64), c[:, 1].astype(np.int64)
        out_proj.setdefault(pr["pre"], []).append(
            (i, j, c[:, 2], d, pr["post"], pr["receptor_type"])
        )

    def emit(label: str, idx: np.ndarray, step: int) -> None:
        for i, j, w, d, post, rec in out_proj.get(label, []):
            sel = np.isin(i, idx)
            np.add.at(arrivals[post][rec], (step + d[sel], j[sel]), w[sel])

    spikes: dict[str, list[list[float]]] = {
        lbl: [[] for _ in range(p["size"])] for lbl, p in pops.items()
    }
    source_steps: dict[int, list[tuple[str, int]]] = {}
    for label, trains in spike_times.items():
        for n, train in enumerate(trains):
            for t in sorted(train):
                source_steps.setdefault(round(float(t) / dt), []).append((label, n))
    state: dict[str, dict[str, Any]] = {}
    for lbl, p in pops.items():
        cell, q = p["cell"], p["params"]
        if cell == "SpikeSourceArray":
            continue
        if cell not in ("IF_curr_exp", "IF_curr_delta"):
            raise ValueError(f"population {lbl!r}: cell {cell!r} is not simulated")
        size = p["size"]
        tau_m, cm = float(q["tau_m"]), float(q["cm"])
        p22 = math.exp(-dt / tau_m)
        st: dict[str, Any] = {
            "v": np.full(size, float(q["v_rest"])),
            "ref": np.zeros(size, dtype=np.int64),
            "ref_steps": _steps(float(q["tau_refrac"]), dt, "tau_refrac"),
            "p22": p22,
            "p20": -tau_m / cm * math.expm1(-dt / tau_m),
            "i0": np.broadcast_to(np.asarray(q.get("i_offset", 0.0), dtype=np.float64), (size,)),
        }
        if cell == "IF_curr_exp":
            for key, rec in (("tau_syn_E", "excitatory"), ("tau_syn_I", "inhibitory")):
                tau_s = float(q[key])
                p11 = math.exp(-dt / tau_s)
                if abs(tau_m - tau_s) < 1e-12 * tau_m:  # limit tau_s -> tau_m
                    p21 = dt / cm * p22
                else:
                    p21 = tau_s * tau_m / (cm * (tau_m - tau_s)) * (p22 - p11)
                st[rec] = (p11, p21, np.zeros(size))
        state[lbl] = st

    if grid == "brian2":
        _run_brian2_grid(pops, state, arrivals, spikes, source_steps, emit, n_steps, dt)
        return {
            lbl: [np.asarray(t, dtype=np.float64) for t in trains] for lbl, trains in spikes.items()
        }
    for n in range(n_steps + 1):
        for label, k in source_steps.get(n, []):
            spikes[label][k].append(n * dt)
            emit(label, np.asarray([k]), n)
        if n == n_steps:
            break
        for lbl, st in state.items():
            q = pops[lbl]["params"]
            free = st["ref"] == 0
            incoming = {rec: arrivals[lbl][rec][n + 1] for rec in _RECEPTORS}
            v_new = _leak_step(st, q, pops[lbl]["cell"], incoming)
            if (
                pops[lbl]["cell"] != "IF_curr_exp"
            ):  # delta synapses: voltage jumps, discarded while refractory
                v_new = (
                    v_new + arrivals[lbl]["excitatory"][n + 1] + arrivals[lbl]["inhibitory"][n + 1]
                )
            st["v"] = np.where(free, v_new, st["v"])
            st["ref"] = np.where(free, st["ref"], st["ref"] - 1)
            fired = np.nonzero(st["v"] >= float(q["v_thresh"]))[0]
            if fired.size:
                st["v"][fired] = float(q["v_reset"])
                st["ref"][fired] = st["ref_steps"]
                for k in fired.tolist():
                    spikes[lbl][k].append((n + 1) * dt)
                emit(lbl, fired, n + 1)
    return {
        lbl: [np.asarray(t, dtype=np.float64) for t in trains] for lbl, trains in spikes.items()
    }


_RECEPTORS = ("excitatory", "inhibitory")


def _leak_step(
    st: dict[str, Any], q: dict[str, Any], cell: str, incoming: dict[str, Any] | None
) -> np.ndarray:
    """One exact step of the membrane (and, for ``IF_curr_exp``, the synaptic currents).

    Returns the new membrane (before refractoriness and threshold); decays each current in
    ``st`` in place and adds ``incoming[receptor]`` to it when given.
    """
    v_rest = float(q["v_rest"])
    v_new = v_rest + (st["v"] - v_rest) * st["p22"] + st["p20"] * st["i0"]
    if cell == "IF_curr_exp":
        for rec in _RECEPTORS:
            p11, p21, cur = st[rec]
            v_new = v_new + p21 * cur
            cur_next = cur * p11
            st[rec] = (p11, p21, cur_next if incoming is None else cur_next + incoming[rec])
    return v_new


def _run_brian2_grid(
    pops: dict[str, dict[str, Any]],
    state: dict[str, dict[str, Any]],
    arrivals: dict[str, dict[str, np.ndarray]],
    spikes: dict[str, list[list[float]]],
    source_steps: dict[int, list[tuple[str, int]]],
    emit: Any,
    n_steps: int,
    dt: float,
) -> None:
    """Brian2's schedule per step n: state update, threshold (stamp ``n dt``), synapses, reset."""
    for st in state.values():
        st["last"] = np.full(st["v"].shape, -(10**9), dtype=np.int64)
    for n in range(n_steps):
        fired_now: dict[str, np.ndarray] = {}
        for lbl, st in state.items():
            q = pops[lbl]["params"]
            free = (n - st["last"]) >= st["ref_steps"]  # timestep(t - lastspike) >= refractory
            v_new = _leak_step(st, q, pops[lbl]["cell"], None)
            st["v"] = np.where(free, v_new, st["v"])
            fired = np.nonzero((st["v"] > float(q["v_thresh"])) & free)[0]
            st["last"][fired] = n
            for k in fired.tolist():
                spikes[lbl][k].append(n * dt)
            fired_now[lbl] = fired
            if fired.size:
                emit(lbl, fired, n)
        for label, k in source_steps.get(n, []):
            spikes[label][k].append(n * dt)
            emit(label, np.asarray([k]), n)
        for lbl, st in state.items():  # synapses: weights arriving at this step
            if pops[lbl]["cell"] == "IF_curr_exp":
                for rec in ("excitatory", "inhibitory"):
                    p11, p21, cur = st[rec]
                    st[rec] = (p11, p21, cur + arrivals[lbl][rec][n])
            else:  # v += w, also while refractory (pyNN.brian2 has no guard)
                st["v"] = st["v"] + arrivals[lbl]["excitatory"][n] + arrivals[lbl]["inhibitory"][n]
            st["v"][fired_now[lbl]] = float(pops[lbl]["params"]["v_reset"])


def run_pynn(
    net: PyNNNetwork,
    sim: Any,
    spike_times: Mapping[str, Sequence[Sequence[float]]],
    t_stop: float,
    *,
    record: Sequence[str] | None = None,
    setup_kwargs: dict[str, Any] | None = None,
    brian2_target: str | None = "numpy",
) -> SpikeTrains:
    """Build ``net`` on a PyNN backend, run it for ``t_stop`` ms and return the spike times.

    Args:
        net: the description (left unchanged).
        sim: a PyNN backend module, e.g. ``pyNN.nest`` or ``pyNN.brian2``.
        spike_times: ``SpikeSourceArray`` label -> spike times (ms) per neuron, as in
            :func:`simulate_pynn`.
        t_stop: simulated time in ms.
        record: labels of spiking populations to record (default: all non-source ones).
        setup_kwargs: extra ``sim.setup`` options; for ``pyNN.nest`` the default is
            ``{"spike_precision": "on_grid"}`` (grid models ``iaf_psc_exp``/``iaf_psc_delta``,
            as :func:`simulate_pynn`; PyNN's own default is the off-grid ``*_ps`` models).
        brian2_target: for ``pyNN.brian2``, Brian2's code-generation target
            (``brian2.prefs.codegen.target``, a global setting) before building: ``"numpy"``
            (default: no compiler needed, the fastest start for small networks), ``"cython"``
            or ``None`` to leave it as it is. Compare its results with
            ``simulate_pynn(..., grid="brian2")``.

    Returns:
        Label -> one array of spike times (ms) per neuron, for the recorded populations.

    Raises:
        TypeError: if ``net`` is not a :class:`~spike_hw.PyNNNetwork`.
        ValueError: for bad spike times (on ``pyNN.nest``: at or before one ``dt``),
            ``t_stop`` or labels.
    """
    pops_desc = _check_inputs(net, spike_times, t_stop)
    spiking = [lbl for lbl, p in pops_desc.items() if p["cell"] != "SpikeSourceArray"]
    labels = list(spiking if record is None else record)
    for lbl in labels:
        if lbl not in spiking:
            raise ValueError(f"record: {lbl!r} is not a spiking population of the network")
    run_net = copy.deepcopy(net)
    for p in run_net.populations:  # spikes only (pyNN.nest cannot record v of IF_curr_delta)
        p["record"] = ["spikes"] if p["label"] in labels else []
    backend = getattr(sim, "__name__", "")
    if backend == "pyNN.nest":  # its SpikeSourceArray shifts times back by the minimum delay
        early = [t for trains in spike_times.values() for tr in trains for t in tr]
        if early and min(early) <= net.dt_ms + 1e-9:
            raise ValueError(
                f"spike_times: pyNN.nest needs input times after one dt ({net.dt_ms} ms), "
                f"got {min(early)}"
            )
    if setup_kwargs is None and backend == "pyNN.nest":
        setup_kwargs = {"spike_precision": "on_grid"}
    if backend == "pyNN.brian2" and brian2_target is not None:
        import brian2

        brian2.prefs.codegen.target = brian2_target
    built = build_pynn(run_net, sim, setup_kwargs=setup_kwargs)
    for p in run_net.populations:  # pyNN.nest cannot initialise v of IF_curr_delta: set V_m
        nodes = getattr(built["populations"][p["label"]], "node_collection", None)
        if p["cell"] == "IF_curr_delta" and nodes is not None:
            nodes.set(V_m=float(p["params"]["v_rest"]))
    for label, trains in spike_times.items():
        built["populations"][label].set(
            # snapped to the grid: NEST shifts float times like 0.30000000000000004 a step later
            spike_times=[
                sim.Sequence(sorted(round(round(float(t) / net.dt_ms) * net.dt_ms, 9) for t in tr))
                for tr in trains
            ]
        )
    sim.run(t_stop)
    result: SpikeTrains = {}
    for lbl in labels:
        pop = built["populations"][lbl]
        recorded: list[np.ndarray] = [np.zeros(0)] * pop.size
        for st in pop.get_data("spikes").segments[0].spiketrains:
            idx = int(st.annotations["source_index"])
            recorded[idx] = np.sort(np.asarray(st.rescale("ms").magnitude, dtype=np.float64))
        result[lbl] = recorded
    sim.end()
    return result


def spike_agreement(
    reference: Mapping[str, Sequence[np.ndarray]],
    other: Mapping[str, Sequence[np.ndarray]],
    *,
    tolerance: float,
) -> dict[str, float]:
    """Agreement of two sets of spike trains (same labels and sizes).

    Spikes are matched one to one per neuron (in time order) when they lie within
    ``tolerance`` ms of each other.

    Args:
        reference: label -> spike times (ms) per neuron, e.g. from :func:`simulate_pynn`.
        other: the same for the simulator (e.g. from :func:`run_pynn`); labels missing here
            are skipped.
        tolerance: matching window in ms (e.g. one ``dt``).

    Returns:
        ``{"n_reference", "n_other", "matched", "fraction", "count_correlation"}``:
        ``fraction = matched / max(n_reference, n_other)`` (1.0 when both are empty);
        ``count_correlation``: Pearson correlation of per-neuron spike counts (1.0 when the
        counts are identical, ``nan`` when one side is constant and they differ).

    Raises:
        ValueError: for mismatched populations or a negative tolerance.
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0 ms, got {tolerance!r}")
    n_ref = n_oth = matched = 0
    counts_a: list[int] = []
    counts_b: list[int] = []
    for label, b_trains in other.items():
        if label not in reference or len(reference[label]) != len(b_trains):
            raise ValueError(f"population {label!r} differs between reference and other")
        for a, b in zip(reference[label], b_trains, strict=True):
            a, b = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))  # noqa: PLW2901
            counts_a.append(a.size)
            counts_b.append(b.size)
            n_ref += a.size
            n_oth += b.size
            i = j = 0
            while i < a.size and j < b.size:
                if abs(a[i] - b[j]) <= tolerance + 1e-9:
                    matched += 1
                    i += 1
                    j += 1
                elif a[i] < b[j]:
                    i += 1
                else:
                    j += 1
    ca, cb = np.asarray(counts_a, dtype=float), np.asarray(counts_b, dtype=float)
    if np.array_equal(ca, cb):
        corr = 1.0
    elif ca.std() == 0 or cb.std() == 0:
        corr = float("nan")
    else:
        corr = float(np.corrcoef(ca, cb)[0, 1])
    total = max(n_ref, n_oth)
    return {
        "n_reference": float(n_ref),
        "n_other": float(n_oth),
        "matched": float(matched),
        "fraction": 1.0 if total == 0 else matched / total,
        "count_correlation": corr,
    }
