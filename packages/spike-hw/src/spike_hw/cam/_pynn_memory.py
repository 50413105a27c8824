"""Backend adaptations of the CAM's PyNN form: sPyNNaker's neuron step and the windowed STDP rule.

Two conversions make NEST's and Brian2's ``IF_curr_exp`` behave like the sPyNNaker update that
:class:`~spike_hw.cam.CAMSimulator` implements, and one emulates its 1 ms pairing window with
PyNN's standard ``STDPMechanism(SpikePairRule, AdditiveWeightDependence)`` (an ordinary synaptic
plasticity rule run by the simulator, not weights computed outside it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from spike_hw.cam._network import CAMConfig
from spike_hw.pynn_export import PyNNNetwork, build_pynn

__all__ = ["NEST_STDP_MODELS", "match_spynnaker_update", "windowed_stdp_timing"]

#: NEST synapse models of the additive pair family (PyNN's SpikePairRule maps to the first).
NEST_STDP_MODELS = (
    "stdp_synapse",
    "stdp_nn_restr_synapse",
    "stdp_nn_symm_synapse",
    "stdp_nn_pre_centered_synapse",
)

# time constant (ms) of the windowed rule's traces: exp(-1 step / tau) = e^-50 with dt = 1 ms
_WINDOW_TAU_STEPS = 0.02
# saturation margin of the amplitudes (a pair at the window's edge moves the weight 10 w_max)
_MARGIN = 10.0


def _exact_gain(tau_m: float, tau_syn: float, dt: float, syn_init: str) -> float:
    """Ratio of sPyNNaker's one-step voltage jump per nA to exact integration's."""
    init = (tau_syn / dt) * (1.0 - math.exp(-dt / tau_syn)) if syn_init == "exact" else 1.0
    spynnaker = init * tau_m * (1.0 - math.exp(-dt / tau_m))  # x 1/cm
    if math.isclose(tau_m, tau_syn):
        exact = dt * math.exp(-dt / tau_m)
    else:
        exact = (
            tau_syn * tau_m / (tau_m - tau_syn) * (math.exp(-dt / tau_m) - math.exp(-dt / tau_syn))
        )
    return spynnaker / exact


def match_spynnaker_update(net: PyNNNetwork, *, syn_init: str = "exact") -> dict[str, float]:
    """Scale the weights into each ``IF_curr_exp`` population so exact integration equals sPyNNaker's step.

    sPyNNaker (and :class:`~spike_hw.cam.CAMSimulator`) adds an arriving weight ``w`` times
    ``init`` to the current and holds it over the step: the membrane moves by
    ``init w R (1 - e^{-dt/tau_m})`` in the arrival step. NEST and Brian2 integrate the decaying
    current exactly from the next step on: ``w P21`` with
    ``P21 = tau_syn tau_m / (cm (tau_m - tau_syn)) (e^{-dt/tau_m} - e^{-dt/tau_syn})``. In later
    steps both add the same fraction of that first jump (the current decays by
    ``e^{-dt/tau_syn}`` per step in both, the membrane by ``e^{-dt/tau_m}``), so multiplying the
    weights into a population by the ratio ``g = init R (1 - e^{-dt/tau_m}) / P21`` makes the two
    linear updates equal step for step (one step later on the grid, which
    :func:`~spike_hw.cam.retime_for_grid` compensates). With the CAM's parameters
    ``g = 1.0840`` (``tau_m = 3`` ms) and ``1.6733`` (``tau_m = 0.5`` ms). STDP bounds
    (``w_min``, ``w_max``) are scaled with the weights. Modifies ``net`` in place.

    Args:
        net: the description (``tau_syn_E == tau_syn_I`` in every target population).
        syn_init: sPyNNaker's ``init`` factor: ``"exact"`` or ``"one"`` (as ``CAMConfig``).

    Returns:
        Label -> weight factor ``g`` (``IF_curr_exp`` populations).

    Raises:
        ValueError: for an unknown ``syn_init`` or different excitatory/inhibitory ``tau_syn``.
    """
    if syn_init not in ("exact", "one"):
        raise ValueError(f"syn_init must be 'exact' or 'one', got {syn_init!r}")
    gain: dict[str, float] = {}
    for p in net.populations:
        if p["cell"] != "IF_curr_exp":
            continue
        prm = p["params"]
        if not math.isclose(prm["tau_syn_E"], prm["tau_syn_I"]):
            raise ValueError(f"population {p['label']!r}: tau_syn_E != tau_syn_I")
        gain[p["label"]] = _exact_gain(prm["tau_m"], prm["tau_syn_E"], net.dt_ms, syn_init)
    for pr in net.projections:
        g = gain.get(pr["post"], 1.0)
        pr["connections"] = [(i, j, w * g, d) for i, j, w, d in pr["connections"]]
        syn = pr["synapse"]
        if syn["type"] == "STDPMechanism":
            syn["weight"] = {k: v * g for k, v in syn["weight"].items()}
            syn["weight_init"] = syn.get("weight_init", 0.0) * g
    return gain


def windowed_stdp_timing(config: CAMConfig, backend: str) -> dict[str, float]:
    """``SpikePairRule`` parameters that emulate :class:`~spike_hw.cam.CAMSimulator`'s pairing window.

    ``CAMSimulator``'s default rule (``stdp_window = 1`` ms, ``stdp_post_delay = 1``) saturates
    a weight at ``w_max`` for a post spike in the same step as a pre spike, drives it to
    ``w_min`` for a post spike one or two steps before a pre spike, and ignores every other
    pair. With traces of time constant ``tau = 0.02`` ms (``e^{-dt/tau} = e^{-50}``) and
    amplitudes ``A+ = 10 e^{n+ dt/tau}``, ``A- = 10 e^{n- dt/tau}``, PyNN's additive pair rule
    moves the weight by ``10 w_max`` for pairs up to ``n±`` steps apart and by less than
    ``10 w_max e^{-50}`` (``1e-20`` nA) for pairs one step further. In pyNN.brian2 (delays
    axonal in STDP, a pre spike counted when it arrives, pre before post within a step) the
    retimed network pairs exactly the same spikes as ``CAMSimulator``: ``n+ = 0``, ``n- = 2``.
    NEST counts the delay as dendritic; on the retimed grid its pairs are 2 steps later
    (``Delta_NEST = Delta + 2 d``): the co-activation of a learn is a causal pair 2 steps apart
    (``n+ = 2``), while the depression that forgetting needs (a post spike at ``Delta = -1``)
    becomes a causal pair too and has no parameter set (``n- = 2`` kept; see the docs).

    Args:
        config: the CAM configuration (``stdp_window = 1``, ``stdp_post_delay = 1``).
        backend: ``"pyNN.brian2"`` or ``"pyNN.nest"``.

    Returns:
        ``{"tau_plus", "tau_minus", "A_plus", "A_minus"}`` (ms, dimensionless).

    Raises:
        ValueError: for another window or post delay, or an unknown backend.
    """
    if config.stdp_window != 1.0 or config.stdp_post_delay != 1:
        raise ValueError(
            "the windowed PyNN rule emulates stdp_window=1, stdp_post_delay=1 only, got "
            f"{config.stdp_window!r}, {config.stdp_post_delay!r}"
        )
    if backend not in ("pyNN.brian2", "pyNN.nest"):
        raise ValueError(f"backend must be 'pyNN.brian2' or 'pyNN.nest', got {backend!r}")
    tau = _WINDOW_TAU_STEPS * config.dt
    n_plus = 0 if backend == "pyNN.brian2" else 2
    return {
        "tau_plus": tau,
        "tau_minus": tau,
        "A_plus": _MARGIN * math.exp(n_plus * config.dt / tau),
        "A_minus": _MARGIN * math.exp(2 * config.dt / tau),
    }


def prepare_backend(net: PyNNNetwork, backend: str) -> None:
    """Backend details (in place): Brian2's refractory count and its axonal STDP delays.

    Brian2 lets a neuron fire again ``tau_refrac`` after its spike step (1 ms: the very next
    step); NEST and sPyNNaker hold it for ``ceil(tau_refrac/dt)`` steps after it, so Brian2 gets
    ``(ceil(tau_refrac/dt) + 1) dt``. pyNN.brian2 accepts only axonal delays in STDP timing.
    """
    if backend != "pyNN.brian2":
        return
    dt = net.dt_ms
    for p in net.populations:
        if "tau_refrac" in p["params"]:
            steps = math.ceil(p["params"]["tau_refrac"] / dt - 1e-9)
            p["params"]["tau_refrac"] = (steps + 1) * dt
    for pr in net.projections:
        if pr["synapse"]["type"] == "STDPMechanism":
            pr["synapse"]["dendritic_delay_fraction"] = 0.0


def use_nest_model(net: PyNNNetwork, model: str) -> None:
    """Replace the STDP memory projections' ``STDPMechanism`` by a native NEST model (in place).

    The ``SpikePairRule``/``AdditiveWeightDependence`` parameters map as pyNN.nest maps them to
    ``stdp_synapse``: ``lambda = A+``, ``alpha = A-/A+``, ``mu_plus = mu_minus = 0``,
    ``Wmax = w_max`` (pA), ``tau_plus``; ``tau_minus`` is set on the post-synaptic neurons.
    """
    if model not in NEST_STDP_MODELS:
        raise ValueError(f"nest_synapse must be one of {NEST_STDP_MODELS}, got {model!r}")
    if model == "stdp_synapse":
        return
    for pr in net.projections:
        syn = pr["synapse"]
        if syn["type"] != "STDPMechanism":
            continue
        t = syn["timing"]
        pr["synapse"] = {
            "type": "NESTNative",
            "model": model,
            "params": {
                "tau_plus": t["tau_plus"],
                "lambda": t["A_plus"],
                "alpha": t["A_minus"] / t["A_plus"],
                "mu_plus": 0.0,
                "mu_minus": 0.0,
                "Wmax": syn["weight"]["w_max"] * 1000.0,
                "weight": 0.0,
                "delay": syn["delay"],
            },
            "tau_minus": t["tau_minus"],
        }


def simulate(
    net: PyNNNetwork,
    sim: Any,
    x: torch.Tensor,
    *,
    offset: int,
    steps: int,
    record: list[str],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Run the IN raster ``x`` ``[T, c + m]`` on ``sim`` for ``steps`` steps (after ``offset``).

    Returns:
        ``(rasters, weights)``: label -> ``[steps, size]`` bool spikes (grid step ``k`` is the
        spike at ``(k + offset) dt``), and ``"pre->post"`` -> ``[n_pre, n_post]`` final weights
        (nA, as simulated) of the ``STDPMechanism`` projections.
    """
    backend = getattr(sim, "__name__", "")
    run_net = PyNNNetwork(dt_ms=net.dt_ms)
    run_net.populations = [
        {**p, "record": ["spikes"] if p["label"] in record else []} for p in net.populations
    ]
    run_net.projections = [p for p in net.projections if p["synapse"]["type"] != "NESTNative"]
    setup: dict[str, Any] = {}
    if backend == "pyNN.nest":
        setup = {"spike_precision": "on_grid"}
    elif backend == "pyNN.brian2":
        import brian2

        brian2.prefs.codegen.target = "numpy"
    built = build_pynn(run_net, sim, setup_kwargs=setup)
    pops = built["populations"]
    projections = dict(zip(map(id, run_net.projections), built["projections"], strict=True))
    for pr in net.projections:  # native NEST synapse models (pyNN.nest only)
        syn = pr["synapse"]
        if syn["type"] == "NESTNative":
            conn = sim.FromListConnector(pr["connections"], column_names=["weight", "delay"])
            projections[id(pr)] = sim.Projection(
                pops[pr["pre"]],
                pops[pr["post"]],
                conn,
                synapse_type=sim.native_synapse_type(syn["model"])(**syn["params"]),
                receptor_type=pr["receptor_type"],
            )
            pops[pr["post"]].node_collection.set(tau_minus=syn["tau_minus"])
    dt = net.dt_ms
    built["populations"]["IN"].set(
        spike_times=[
            sim.Sequence(
                [round((k + offset) * dt, 9) for k in torch.nonzero(x[:, i]).flatten().tolist()]
            )
            for i in range(x.shape[1])
        ]
    )
    sim.run((steps + offset) * dt)
    rasters: dict[str, torch.Tensor] = {}
    sizes = {p["label"]: p["size"] for p in net.populations}
    for label in record:
        raster = torch.zeros(steps, sizes[label], dtype=torch.bool)
        for st in built["populations"][label].get_data("spikes").segments[0].spiketrains:
            k = np.rint(np.asarray(st.rescale("ms").magnitude) / dt).astype(np.int64) - offset
            k = k[(k >= 0) & (k < steps)]
            raster[torch.as_tensor(k), int(st.annotations["source_index"])] = True
        rasters[label] = raster
    weights: dict[str, torch.Tensor] = {}
    for pr in net.projections:
        if pr["synapse"]["type"] == "STDPMechanism":
            w = np.asarray(projections[id(pr)].get("weight", format="array"), dtype=np.float64)
            weights[f"{pr['pre']}->{pr['post']}"] = torch.from_numpy(np.nan_to_num(w))
    sim.end()
    return rasters, weights
