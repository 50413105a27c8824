"""Network description of the CA3 content-addressable memory (spec §4.2-4.4)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

__all__ = ["CAMConfig", "Population", "Projection", "build_cam_network"]


@dataclass(frozen=True, kw_only=True)
class CAMConfig:
    """Parameters of the CA3 CAM (defaults: the spec's ``network_config.json`` values).

    Attributes:
        cue_size: number of one-hot cues ``c``.
        content_size: number of content bits ``m``.
        dt: time step in ms.
        v_rest: resting potential (mV); also the initial potential.
        v_reset: reset potential (mV).
        v_thresh: threshold (mV) of every CA3 population.
        v_thresh_out: threshold (mV) of the OUT harness population.
        tau_refrac: refractory period (ms).
        tau_syn: synaptic time constant (ms), excitatory and inhibitory.
        cm_slow: capacitance (nF) of CueCue, ContCue, ContCont, the merge and OUT populations.
        tau_m_slow: membrane time constant (ms) of the same populations.
        cm_fast: capacitance (nF) of CueCont, ContCond, ContCondInt.
        tau_m_fast: membrane time constant (ms) of the same populations.
        threshold_op: ``">="`` or ``">"`` (the spec leaves the comparison unconfirmed).
        syn_init: ``"exact"`` (``(tau_syn/dt)(1 - exp(-dt/tau_syn))``) or ``"one"``.
        w_max: STDP maximum weight (nA).
        w_min: STDP minimum weight (nA).
        a_plus: STDP potentiation amplitude (multiplied by ``w_max``, sPyNNaker practice).
        a_minus: STDP depression amplitude (multiplied by ``w_max``).
        tau_plus: STDP potentiation time constant (ms).
        tau_minus: STDP depression time constant (ms).
        stdp_post_delay: steps added to post-synaptic spike times in STDP timing (the synaptic
            delay counted as dendritic, sPyNNaker practice) or 0.
        stdp_window: pairs further apart than this (ms) are ignored (tuned, see the docs).
    """

    cue_size: int = 5
    content_size: int = 10
    dt: float = 1.0
    v_rest: float = -60.0
    v_reset: float = -60.0
    v_thresh: float = -57.0
    v_thresh_out: float = -57.5
    tau_refrac: float = 1.0
    tau_syn: float = 0.3
    cm_slow: float = 0.27
    tau_m_slow: float = 3.0
    cm_fast: float = 0.14
    tau_m_fast: float = 0.5
    threshold_op: str = ">="
    syn_init: str = "exact"
    w_max: float = 6.0
    w_min: float = 0.0
    a_plus: float = 6.0
    a_minus: float = 6.0
    tau_plus: float = 3.0
    tau_minus: float = 3.0
    stdp_post_delay: int = 1
    stdp_window: float = 1.0

    def __post_init__(self) -> None:
        """Validate the configuration."""
        for name in ("cue_size", "content_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        for name in ("dt", "tau_syn", "cm_slow", "tau_m_slow", "cm_fast", "tau_m_fast"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.threshold_op not in (">=", ">"):
            raise ValueError(f"threshold_op must be '>=' or '>', got {self.threshold_op!r}")
        if self.syn_init not in ("exact", "one"):
            raise ValueError(f"syn_init must be 'exact' or 'one', got {self.syn_init!r}")
        if self.stdp_post_delay < 0:
            raise ValueError(f"stdp_post_delay must be >= 0, got {self.stdp_post_delay!r}")


@dataclass
class Population:
    """One population: a slice of the global neuron vector.

    Attributes:
        label: the spec's name (``"IN"``, ``"CueCue"``, ...).
        size: number of neurons.
        start: first index in the global vector.
        cm: capacitance (nF); ``None`` for the spike source.
        tau_m: membrane time constant (ms).
        v_thresh: threshold (mV).
    """

    label: str
    size: int
    start: int
    cm: float | None = None
    tau_m: float | None = None
    v_thresh: float | None = None

    @property
    def stop(self) -> int:
        """One past the last global index."""
        return self.start + self.size


@dataclass
class Projection:
    """A projection with a dense weight matrix (nA, positive magnitudes) and one delay.

    Attributes:
        pre: source population label.
        post: target population label.
        weight: ``[n_pre, n_post]`` weights; zero entries are absent connections unless
            ``mask`` says otherwise.
        mask: ``[n_pre, n_post]`` bool, which connections exist.
        delay: delay in steps.
        receptor: ``"excitatory"`` or ``"inhibitory"``.
        connector: the PyNN connector the spec names.
        plastic: whether the weights follow STDP.
        extra: per-projection simulation state (STDP spike times).
    """

    pre: str
    post: str
    weight: torch.Tensor
    mask: torch.Tensor
    delay: int
    receptor: str
    connector: str
    plastic: bool = False
    extra: dict = field(default_factory=dict)


def build_cam_network(
    config: CAMConfig, *, dtype: torch.dtype = torch.float64
) -> tuple[dict[str, Population], list[Projection]]:
    """The populations (§4.2) and projections (§4.4) of the CAM.

    Args:
        config: the :class:`CAMConfig`.
        dtype: floating dtype of the weight matrices.

    Returns:
        ``(populations by label, projections)``; the global neuron order is the label order.
    """
    c, m = config.cue_size, config.content_size
    slow = (config.cm_slow, config.tau_m_slow, config.v_thresh)
    fast = (config.cm_fast, config.tau_m_fast, config.v_thresh)
    specs = [
        ("IN", c + m, (None, None, None)),
        ("CueCue", c, slow),
        ("CueCont", c, fast),
        ("ContCue", m, slow),
        ("ContCont", m, slow),
        ("ContCond", m, fast),
        ("ContCondInt", 1, fast),
        ("MergeCue", c, slow),
        ("MergeCont", m, slow),
        ("OUT", c + m, (config.cm_slow, config.tau_m_slow, config.v_thresh_out)),
    ]
    pops: dict[str, Population] = {}
    start = 0
    for label, size, (cm, tau_m, vt) in specs:
        pops[label] = Population(label, size, start, cm, tau_m, vt)
        start += size

    def dense(n_pre: int, n_post: int, kind: str, w: float, offset: int = 0) -> Projection:
        if kind == "one":
            mask = torch.zeros(n_pre, n_post, dtype=torch.bool)
            idx = torch.arange(n_post)
            mask[idx + offset, idx] = True
        elif kind == "all":
            mask = torch.ones(n_pre, n_post, dtype=torch.bool)
        else:  # all-to-all without self connections
            mask = ~torch.eye(n_pre, n_post, dtype=torch.bool)
        weight = mask.to(dtype) * w
        return Projection("", "", weight, mask, 1, "excitatory", "")

    connectors = {
        "one": "OneToOneConnector",
        "all": "AllToAllConnector",
        "noself": "AllToAllConnector",
    }
    table = [
        # pre, post, kind, weight, delay, receptor, plastic, offset into pre
        ("IN", "CueCue", "one", 6.0, 1, "excitatory", False, 0),
        ("IN", "ContCue", "one", 6.0, 1, "excitatory", False, c),
        ("CueCue", "ContCue", "all", 0.0, 1, "excitatory", True, 0),
        ("ContCont", "CueCont", "all", 0.0, 1, "excitatory", True, 0),
        ("CueCue", "CueCont", "one", 6.0, 2, "excitatory", False, 0),
        ("CueCue", "CueCont", "noself", 6.0 * m, 3, "inhibitory", False, 0),
        ("CueCont", "CueCont", "noself", 6.0 * m, 2, "inhibitory", False, 0),
        ("CueCue", "ContCond", "all", 6.0, 2, "inhibitory", False, 0),
        ("ContCue", "ContCond", "one", 9.0, 1, "excitatory", False, 0),
        ("ContCue", "ContCondInt", "all", 6.0, 1, "excitatory", False, 0),
        ("ContCondInt", "ContCond", "all", 2.0, 1, "excitatory", False, 0),
        ("ContCond", "ContCont", "one", 6.0, 1, "excitatory", False, 0),
        ("CueCue", "MergeCue", "one", 6.0, 3, "excitatory", False, 0),
        ("CueCont", "MergeCue", "one", 6.0, 1, "excitatory", False, 0),
        ("ContCue", "MergeCont", "one", 6.0, 3, "excitatory", False, 0),
        ("ContCont", "MergeCont", "one", 6.0, 1, "excitatory", False, 0),
        ("MergeCue", "OUT", "one", 6.0, 1, "excitatory", False, 0),
        ("MergeCont", "OUT", "one", 6.0, 1, "excitatory", False, 0),
    ]
    projs = []
    for pre, post, kind, w, delay, receptor, plastic, off in table:
        n_pre = pops[pre].size
        n_post = pops[post].size
        if pre == "IN":  # one-to-one from a slice of IN
            proj = dense(n_pre, n_post, "one", w, offset=off)
        elif post == "OUT":  # merge populations feed their slice of OUT
            p = dense(n_pre, n_pre, "one", w)
            lo = 0 if pre == "MergeCue" else c
            mask = torch.zeros(n_pre, n_post, dtype=torch.bool)
            mask[:, lo : lo + n_pre] = p.mask
            proj = Projection("", "", mask.to(dtype) * w, mask, 1, "excitatory", "")
        else:
            proj = dense(n_pre, n_post, kind, w)
        if plastic:  # STDP projections: every pair connected, initial weight 0
            proj.mask = torch.ones(n_pre, n_post, dtype=torch.bool)
            proj.weight = torch.zeros(n_pre, n_post, dtype=dtype)
        proj.pre, proj.post, proj.delay, proj.receptor = pre, post, delay, receptor
        proj.connector = connectors[kind] if pre != "IN" and post != "OUT" else "OneToOneConnector"
        proj.plastic = plastic
        projs.append(proj)
    return pops, projs
