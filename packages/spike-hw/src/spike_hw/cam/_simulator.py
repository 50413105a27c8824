"""Discrete-time PyTorch simulation of the CA3 CAM (spec §4.7)."""

from __future__ import annotations

import math
from typing import Any, cast

import torch

from spike_hw.cam._network import CAMConfig, Population, Projection, build_cam_network

__all__ = ["CAMSimulator"]


class CAMSimulator:
    """The CA3 content-addressable memory as a stateful, single-network simulation.

    Neurons are sPyNNaker ``IF_curr_exp`` cells integrated exactly at ``dt``: with
    ``alpha = (I_exc - I_inh + i_offset) R + v_rest`` and ``R = tau_m / cm``,
    ``v <- alpha - exp(-dt/tau_m) (alpha - v)`` when not refractory (else the refractory counter
    is decremented); a spike (``v >= v_thresh``) resets ``v`` to ``v_reset`` and sets the counter
    to ``ceil(tau_refrac/dt)``. Synaptic currents decay by ``exp(-dt/tau_syn)`` per step and each
    arriving weight is added times ``init = (tau_syn/dt)(1 - exp(-dt/tau_syn))``; a spike emitted
    at step ``t`` with delay ``d`` arrives at step ``t + d``.

    The two memory projections follow additive pair STDP (amplitudes ``A± w_max``, clipped to
    ``[w_min, w_max]``), evaluated lazily at pre-synaptic spikes as sPyNNaker does: at a pre spike
    at step ``t`` (previous pre spike at ``t0``), every post spike ``p`` with
    ``t0 < p + D <= t`` potentiates by ``A+ w_max exp(-(p + D - t0)/tau+)``, then the latest post
    spike with ``p + D <= t`` depresses by ``A- w_max exp(-(t - p - D)/tau-)`` (``D`` =
    ``stdp_post_delay``), and the updated weight is transmitted. Pairs more than
    ``stdp_window`` ms apart are ignored (default 1 ms: a tuning choice that makes the §4.6
    experiments work; ``math.inf`` gives the plain rule). :meth:`flush_stdp` applies the
    pending potentiation (for reading weights).

    The state (membranes, currents, delay buffers, weights, STDP history) persists across
    :meth:`run` calls, so a protocol can be run in pieces; :meth:`reset` clears it.

    Args:
        config: the :class:`CAMConfig`.
        dtype: floating dtype (float64 by default, as the spec asks).
        device: torch device.
    """

    def __init__(
        self,
        *,
        config: CAMConfig | None = None,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        self.config = config if config is not None else CAMConfig()
        if not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating dtype, got {dtype}")
        self.dtype = dtype
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.populations, self.projections = build_cam_network(self.config, dtype=dtype)
        for p in self.projections:
            p.weight = p.weight.to(self.device)
            p.mask = p.mask.to(self.device)
        self.reset()

    # -- state ---------------------------------------------------------------------------
    @property
    def num_neurons(self) -> int:
        """Total number of neurons including the IN spike sources."""
        return self.populations["OUT"].stop

    def reset(self) -> None:
        """Back to the initial state: resting membranes, empty buffers, memory weights 0."""
        cfg = self.config
        kw: dict[str, Any] = {"dtype": self.dtype, "device": self.device}
        n_src = self.populations["IN"].size
        cells = [p for p in self.populations.values() if p.cm is not None]
        n = sum(p.size for p in cells)
        self._n_src = n_src
        tau_m = torch.cat([torch.full((p.size,), cast(float, p.tau_m), **kw) for p in cells])
        cm = torch.cat([torch.full((p.size,), cast(float, p.cm), **kw) for p in cells])
        self._r = tau_m / cm
        self._decay_m = torch.exp(-cfg.dt / tau_m)
        self._v_thresh = torch.cat(
            [torch.full((p.size,), cast(float, p.v_thresh), **kw) for p in cells]
        )
        self._decay_s = math.exp(-cfg.dt / cfg.tau_syn)
        self._init = (
            (cfg.tau_syn / cfg.dt) * (1.0 - self._decay_s) if cfg.syn_init == "exact" else 1.0
        )
        self._n_refrac = math.ceil(cfg.tau_refrac / cfg.dt - 1e-12)
        self.v = torch.full((n,), cfg.v_rest, **kw)
        self.i_exc = torch.zeros(n, **kw)
        self.i_inh = torch.zeros(n, **kw)
        self.refrac = torch.zeros(n, dtype=torch.long, device=self.device)
        self._ring = max(p.delay for p in self.projections) + 1
        self._buffer = torch.zeros(self._ring, 2, n, **kw)
        self.t = 0
        for p in self.projections:
            if p.plastic:
                p.weight.zero_()
                p.extra = {
                    "last_pre": torch.full((p.weight.shape[0],), -math.inf, **kw),
                    "ltp_from": torch.full((p.weight.shape[0],), -math.inf, **kw),
                }
        self._hist: list[torch.Tensor] = []  # spikes of all cells, one [n] bool per step

    # -- STDP ----------------------------------------------------------------------------
    def _post_window(
        self, post: Population, lo: float, hi: float
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Post spikes with timing time ``p + D`` in ``(lo, hi]``: ``(times [K], spikes [K, n])``."""
        d = self.config.stdp_post_delay
        a = 0 if lo == -math.inf else max(0, math.floor(lo - d) + 1)
        b = len(self._hist) if math.isinf(hi) else min(len(self._hist), math.floor(hi - d) + 1)
        if b <= a:
            z = torch.zeros(0, post.size, dtype=torch.bool, device=self.device)
            return torch.zeros(0, dtype=self.dtype, device=self.device), z
        rows = torch.stack(self._hist[a:b])[:, post.start - self._n_src : post.stop - self._n_src]
        times = torch.arange(a, b, dtype=self.dtype, device=self.device) + d
        return times, rows

    def _stdp_pre(self, proj: Projection, pre_idx: torch.Tensor, t: int) -> None:
        cfg = self.config
        post = self.populations[proj.post]
        last_pre, ltp_from = proj.extra["last_pre"], proj.extra["ltp_from"]
        amp_p, amp_m = cfg.a_plus * cfg.w_max, cfg.a_minus * cfg.w_max
        for i in pre_idx.tolist():
            t0 = float(last_pre[i])
            w = proj.weight[i]
            if t0 != -math.inf:  # potentiation by post spikes since the previous pre spike
                lo = max(t0, float(ltp_from[i]))
                times, rows = self._post_window(post, lo, min(t, t0 + cfg.stdp_window))
                if times.numel():
                    gain = self._ltp_gain(times - t0)[:, None] * rows.to(self.dtype)
                    w.add_(amp_p * gain.sum(0)).clamp_(cfg.w_min, cfg.w_max)
            # the latest post spike with t - stdp_window <= p + D <= t
            lo = -math.inf if math.isinf(cfg.stdp_window) else t - math.floor(cfg.stdp_window) - 0.5
            times, rows = self._post_window(post, lo, t)
            if times.numel():
                has = rows.any(0)
                idx = rows.shape[0] - 1 - rows.flip(0).to(torch.int8).argmax(0)
                dt_post = t - times[idx]
                near = has & (dt_post <= cfg.stdp_window)
                dep = torch.where(near, amp_m * torch.exp(-dt_post / cfg.tau_minus), 0.0)
                w.sub_(dep).clamp_(cfg.w_min, cfg.w_max)
            last_pre[i] = t
            ltp_from[i] = t

    def _ltp_gain(self, lag: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        return torch.where(
            lag <= cfg.stdp_window, torch.exp(-lag / cfg.tau_plus), torch.zeros_like(lag)
        )

    def flush_stdp(self) -> None:
        """Apply pending potentiation (post spikes after each synapse's latest pre spike).

        sPyNNaker applies it at the next pre spike; call this before reading weights.
        """
        cfg = self.config
        for proj in self.projections:
            if not proj.plastic:
                continue
            post = self.populations[proj.post]
            last_pre, ltp_from = proj.extra["last_pre"], proj.extra["ltp_from"]
            for i in range(proj.weight.shape[0]):
                t0 = float(last_pre[i])
                if t0 == -math.inf:
                    continue
                lo = max(t0, float(ltp_from[i]))
                times, rows = self._post_window(post, lo, t0 + cfg.stdp_window)
                if times.numel():
                    gain = self._ltp_gain(times - t0)[:, None] * rows.to(self.dtype)
                    proj.weight[i].add_(cfg.a_plus * cfg.w_max * gain.sum(0)).clamp_(
                        cfg.w_min, cfg.w_max
                    )
                ltp_from[i] = self.t - 1 + self.config.stdp_post_delay

    # -- simulation ----------------------------------------------------------------------
    def step(self, source_spikes: torch.Tensor) -> torch.Tensor:
        """Advance one time step.

        Args:
            source_spikes: ``[c + m]`` spikes (0/1) of the IN population at this step.

        Returns:
            ``[num_neurons]`` bool spikes of every population at this step (IN first).
        """
        cfg = self.config
        slot = self.t % self._ring
        arrived = self._buffer[slot].clone()
        self._buffer[slot].zero_()
        self.i_exc = self.i_exc * self._decay_s + self._init * arrived[0]
        self.i_inh = self.i_inh * self._decay_s + self._init * arrived[1]
        refractory = self.refrac > 0
        alpha = (self.i_exc - self.i_inh) * self._r + cfg.v_rest
        v_new = alpha - self._decay_m * (alpha - self.v)
        self.v = torch.where(refractory, self.v, v_new)
        self.refrac = torch.where(refractory, self.refrac - 1, self.refrac)
        over = self.v >= self._v_thresh if cfg.threshold_op == ">=" else self.v > self._v_thresh
        spikes = over & ~refractory
        self.v = torch.where(spikes, torch.full_like(self.v, cfg.v_reset), self.v)
        self.refrac = torch.where(spikes, torch.full_like(self.refrac, self._n_refrac), self.refrac)
        self._hist.append(spikes)
        allspk = torch.cat([source_spikes.to(device=self.device, dtype=torch.bool), spikes])
        for proj in self.projections:
            pre = self.populations[proj.pre]
            s = allspk[pre.start : pre.stop]
            if not bool(s.any()):
                continue
            if proj.plastic:
                self._stdp_pre(proj, torch.nonzero(s).flatten(), self.t)
            contrib = s.to(self.dtype) @ proj.weight
            post = self.populations[proj.post]
            r = 0 if proj.receptor == "excitatory" else 1
            lo, hi = post.start - self._n_src, post.stop - self._n_src
            self._buffer[(self.t + proj.delay) % self._ring, r, lo:hi] += contrib
        self.t += 1
        return allspk

    def run(self, source_spikes: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run a block of steps from the current state.

        Args:
            source_spikes: ``[T, c + m]`` IN spikes (time-major).

        Returns:
            Spike rasters by population label, each ``[T, size]`` bool.

        Raises:
            ValueError: for a wrong shape or values other than 0/1.
            TypeError: for a non-tensor input.
        """
        if not isinstance(source_spikes, torch.Tensor):
            raise TypeError(
                f"source_spikes must be a torch.Tensor, got {type(source_spikes).__name__}"
            )
        n_in = self.populations["IN"].size
        if source_spikes.dim() != 2 or source_spikes.shape[1] != n_in:
            raise ValueError(
                f"source_spikes must have shape [T, {n_in}], got {tuple(source_spikes.shape)}"
            )
        if not bool(((source_spikes == 0) | (source_spikes == 1)).all()):
            raise ValueError("source_spikes must hold only 0 and 1")
        rows = [self.step(source_spikes[k]) for k in range(source_spikes.shape[0])]
        raster = torch.stack(rows) if rows else torch.zeros(0, self.num_neurons, dtype=torch.bool)
        return {label: raster[:, p.start : p.stop] for label, p in self.populations.items()}

    def set_weights(self, pre: str, post: str, weight: torch.Tensor | float) -> None:
        """Overwrite the weights of a memory projection (e.g. an initial memory content).

        Args:
            pre: ``"CueCue"`` or ``"ContCont"``.
            post: ``"ContCue"`` or ``"CueCont"``.
            weight: ``[n_pre, n_post]`` weights or a scalar, within ``[w_min, w_max]``.

        Raises:
            ValueError: for an unknown projection, a wrong shape or out-of-range weights.
        """
        proj = self._memory(pre, post)
        w = torch.as_tensor(weight, dtype=self.dtype, device=self.device).expand_as(proj.weight)
        if bool(((w < self.config.w_min) | (w > self.config.w_max) | w.isnan()).any()):
            raise ValueError(f"weight must lie in [{self.config.w_min}, {self.config.w_max}] (nA)")
        proj.weight.copy_(w)

    def _memory(self, pre: str, post: str) -> Projection:
        for p in self.projections:
            if p.plastic and p.pre == pre and p.post == post:
                return p
        raise ValueError(
            f"no memory projection {pre!r} -> {post!r} (use CueCue->ContCue or ContCont->CueCont)"
        )

    def weights(self, pre: str, post: str) -> torch.Tensor:
        """The current ``[n_pre, n_post]`` weights of a memory projection (``flush_stdp`` first).

        Args:
            pre: ``"CueCue"`` or ``"ContCont"``.
            post: ``"ContCue"`` or ``"CueCont"``.

        Returns:
            A copy of the weight matrix.

        Raises:
            ValueError: for an unknown projection.
        """
        return self._memory(pre, post).weight.clone()
