"""The CA3 CAM as a PyNN network description (spec §4.7, via :mod:`spike_hw.pynn_export`)."""

from __future__ import annotations

import math

import torch

from spike_hw.cam._network import CAMConfig, build_cam_network
from spike_hw.pynn_export import PyNNNetwork

__all__ = ["cam_to_pynn"]


def cam_to_pynn(
    config: CAMConfig | None = None, *, inhibitory_sign: str = "positive"
) -> PyNNNetwork:
    """Describe the CAM as PyNN populations and projections (replay with ``build_pynn``).

    Every population is ``IF_curr_exp`` with the §4.3 parameters (IN is a ``SpikeSourceArray``);
    each §4.4 projection is a ``FromListConnector`` list of ``(i, j, weight_nA, delay_ms)``;
    the two memory projections are ``STDPMechanism(SpikePairRule, AdditiveWeightDependence)``
    with initial weight 0. OUT records spikes.

    Args:
        config: the :class:`CAMConfig` (defaults: c = 5, m = 10).
        inhibitory_sign: ``"positive"`` (magnitudes, sPyNNaker practice as in the original) or
            ``"negative"`` (standard PyNN current-based convention).

    Returns:
        The :class:`~spike_hw.PyNNNetwork`.

    Raises:
        ValueError: for an unknown ``inhibitory_sign``.
    """
    if inhibitory_sign not in ("positive", "negative"):
        raise ValueError(
            f"inhibitory_sign must be 'positive' or 'negative', got {inhibitory_sign!r}"
        )
    cfg = config if config is not None else CAMConfig()
    pops, projs = build_cam_network(cfg, dtype=torch.float64)
    net = PyNNNetwork(dt_ms=cfg.dt)
    if not math.isinf(cfg.stdp_window) or cfg.stdp_post_delay != 1:
        net.warnings.append(
            f"stdp_window={cfg.stdp_window}, stdp_post_delay={cfg.stdp_post_delay} have no PyNN "
            "form: the backend applies its own SpikePairRule (all pairs, the synaptic delay "
            "counted on the post-synaptic side, as NEST's stdp_synapse); "
            "run_experiment_pynn(memory='windowed') emulates the window with short traces"
        )
    for label, p in pops.items():
        if p.cm is None:
            net.populations.append(
                {
                    "label": label,
                    "size": p.size,
                    "cell": "SpikeSourceArray",
                    "params": {"spike_times": []},
                    "record": [],
                }
            )
            continue
        params = {
            "cm": p.cm,
            "tau_m": p.tau_m,
            "tau_refrac": cfg.tau_refrac,
            "tau_syn_E": cfg.tau_syn,
            "tau_syn_I": cfg.tau_syn,
            "v_rest": cfg.v_rest,
            "v_reset": cfg.v_reset,
            "v_thresh": p.v_thresh,
            "i_offset": 0.0,
        }
        net.populations.append(
            {
                "label": label,
                "size": p.size,
                "cell": "IF_curr_exp",
                "params": params,
                "record": ["spikes"] if label == "OUT" else [],
                "initial_values": {"v": cfg.v_rest},
            }
        )
    sign = -1.0 if inhibitory_sign == "negative" else 1.0
    for pr in projs:
        ii, jj = torch.nonzero(pr.mask, as_tuple=True)
        scale = sign if pr.receptor == "inhibitory" else 1.0
        conns = [
            (i, j, float(pr.weight[i, j]) * scale, float(pr.delay) * cfg.dt)
            for i, j in zip(ii.tolist(), jj.tolist(), strict=True)
        ]
        if pr.plastic:
            synapse = {
                "type": "STDPMechanism",
                "timing": {
                    "tau_plus": cfg.tau_plus,
                    "tau_minus": cfg.tau_minus,
                    "A_plus": cfg.a_plus,
                    "A_minus": cfg.a_minus,
                },
                "weight": {"w_min": cfg.w_min, "w_max": cfg.w_max},
                "weight_init": 0.0,
                "delay": float(pr.delay) * cfg.dt,
            }
        else:
            synapse = {"type": "StaticSynapse"}
        net.projections.append(
            {
                "pre": pr.pre,
                "post": pr.post,
                "receptor_type": pr.receptor,
                "connector": "FromListConnector",
                "spec_connector": pr.connector,
                "connections": conns,
                "synapse": synapse,
            }
        )
    return net
