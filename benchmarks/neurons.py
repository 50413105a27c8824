"""Multi-step LIF: spike-core's backends against the reference loop and installed peers.

Every case (implementation x T x neurons x forward / forward+backward) runs in a fresh
subprocess on the same seeded inputs, so peak memory is that case's alone: the peak resident set
(``ru_maxrss``) minus the resident set just before the timed runs (inputs already allocated and
touched, kernels compiled on a small slice). Printed per case: median wall time, effective
bandwidth (minimal traffic: forward reads x and writes spikes, 2 passes; forward+backward also
reads the spike gradient and writes the input gradient, 4 passes), peak extra memory, the
speed-up over each peer, and the fraction of a same-size ``torch.Tensor.copy_`` bandwidth
(``copy_`` of ``T * N`` floats into a preallocated tensor, timed in the same subprocess,
interleaved with the case's repeats so both see the same machine load; the copy alone is also
printed per shape).

Every case first runs once at full size (measuring memory), then ``--warmup`` more untimed
times, then ``--repeats`` timed times. ``--malloc keep`` runs every subprocess (the copy, our
backends and every peer alike) with glibc told to keep freed memory in the process instead of
unmapping it (``GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=...``, the
effect the jemalloc/tcmalloc preloads of PyTorch's CPU tuning guides have). Without it, each
fresh multi-hundred-megabyte output is new pages from the operating system, zeroed on first
touch; on virtual machines that return freed guest memory to the host, that first touch can cost
several times the kernel itself, which no implementation's code controls.

The neuron is the common denominator: LIF, tau = 2 (decay 0.5), threshold 1, hard reset to 0,
ATan surrogate (alpha 2), float32; the backward pass gets a fixed random upstream gradient.

Usage::

    uv run python benchmarks/neurons.py --T 16 --neurons 22            # T=16, 2**22 neurons
    uv run python benchmarks/neurons.py                                # T 4 16 64 x 2**20, 2**22
    uv run python benchmarks/neurons.py --impl spike-core:cpu spikingjelly --modes fwd
    uv run python benchmarks/neurons.py --T 16 --neurons 22 --malloc keep   # allocator tuned
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

IMPLS = ["spike-core:cpu", "spike-core:torch", "spikingjelly", "snntorch", "norse", "sinabs"]
PEERS = ["spikingjelly", "snntorch", "norse", "sinabs"]
PASSES = {"fwd": 2, "fwdbwd": 4}
# glibc: never serve allocations by mmap, never trim the heap: freed memory is reused in-process
KEEP_TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776"


def _installed(impl: str) -> bool:
    import importlib.util

    if impl == "spike-core:cpu":
        from spike_core.kernels import available_backends

        return "cpu" in available_backends()
    if impl == "spike-core:torch":
        return True
    return importlib.util.find_spec(impl) is not None


def _make(impl: str) -> Callable[[Any], Any]:
    """A function ``x [T, N] -> spikes [T, N]`` running one fresh multi-step LIF."""
    import torch

    if impl.startswith("spike-core:"):
        from spike_core import LIF

        return LIF(tau_mem=2.0, backend=impl.split(":")[1])
    if impl == "spikingjelly":
        from spikingjelly.activation_based import neuron as sjn
        from spikingjelly.activation_based import surrogate

        node = sjn.LIFNode(
            tau=2.0, surrogate_function=surrogate.ATan(), step_mode="m", backend="torch"
        )

        def run_sj(x: Any) -> Any:
            node.reset()
            return node(x)

        return run_sj
    if impl == "snntorch":
        import snntorch

        leaky = snntorch.Leaky(beta=0.5, reset_mechanism="zero", reset_delay=False)

        def run_snn(x: Any) -> Any:
            mem = leaky.init_leaky()
            out = []
            for xt in x:
                spk, mem = leaky(xt, mem)
                out.append(spk)
            return torch.stack(out)

        return run_snn
    if impl == "norse":  # LIF without synaptic current: Euler step dt * tau_mem_inv = 0.5
        from norse.torch import LIFBoxCell, LIFBoxParameters

        par = LIFBoxParameters(
            tau_mem_inv=torch.tensor(500.0),
            v_th=torch.tensor(1.0),
            v_reset=torch.tensor(0.0),
            v_leak=torch.tensor(0.0),
        )
        cell = LIFBoxCell(par, dt=0.001)

        def run_norse(x: Any) -> Any:
            state, out = None, []
            for xt in x:
                z, state = cell(xt, state)
                out.append(z)
            return torch.stack(out)

        return run_norse
    if impl == "sinabs":  # exact decay exp(-1/tau) = 0.5, input scaled by 1 - 0.5, hard reset
        import math

        from sinabs.activation import MembraneReset, SingleSpike
        from sinabs.layers import LIF as SinabsLIF  # noqa: N811

        layer = SinabsLIF(tau_mem=1 / math.log(2), spike_fn=SingleSpike, reset_fn=MembraneReset())

        def run_sinabs(x: Any) -> Any:  # sinabs is batch-major [B, T, N]
            layer.reset_states()
            return layer(x.transpose(0, 1).unsqueeze(-1)).squeeze(-1).transpose(0, 1)

        return run_sinabs
    raise ValueError(f"unknown impl {impl!r}")


def _rss_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _worker(cfg: dict[str, Any]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(cfg["threads"])
    T, N, mode, impl = cfg["T"], cfg["N"], cfg["mode"], cfg["impl"]
    gen = torch.Generator().manual_seed(0)
    if impl == "copy":
        x = torch.randn(T, N, generator=gen)
        y = torch.empty_like(x).fill_(0)
        times = []
        for _ in range(cfg["repeats"]):
            t0 = time.perf_counter()
            y.copy_(x)
            times.append(time.perf_counter() - t0)
        return {"median_s": statistics.median(times), "peak_extra": 0}
    fn = _make(impl)
    x = torch.randn(T, N, generator=gen) * 1.5
    g = torch.randn(T, N, generator=gen) if mode == "fwdbwd" else None
    small = x[:, :4096].contiguous()
    if mode == "fwdbwd":  # warm up (JIT, numba compile from cache) on a slice
        xs = small.clone().requires_grad_()
        fn(xs).backward(torch.ones_like(xs))
        x.requires_grad_()
    else:
        with torch.no_grad():
            fn(small)

    def once() -> None:
        if mode == "fwd":
            with torch.no_grad():
                fn(x)
        else:
            fn(x).backward(g)
            x.grad = None

    base = _rss_bytes()
    once()  # first full-size run: memory
    peak_extra = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    for _ in range(cfg["warmup"]):
        once()
    times, copies = [], []
    src, dst = torch.randn(T, N, generator=gen), torch.zeros(T, N)
    for _ in range(cfg["repeats"]):  # copy_ interleaved with the case: same load conditions
        t0 = time.perf_counter()
        dst.copy_(src)
        copies.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return {
        "median_s": statistics.median(times),
        "copy_s": statistics.median(copies),
        "peak_extra": max(peak_extra, 0),
    }


def _spawn(cfg: dict[str, Any]) -> dict[str, Any] | None:
    env = dict(os.environ)
    if cfg["malloc"] == "keep":
        env["GLIBC_TUNABLES"] = KEEP_TUNABLES
    proc = subprocess.run(
        [sys.executable, __file__, "--_worker", json.dumps(cfg)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        print(f"  ! {cfg['impl']} {cfg['mode']} failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_equivalence() -> None:
    """Same spikes as every installed peer on a small input (the same LIF in each)."""
    import torch

    from spike_core import LIF

    x = torch.randn(16, 4096, generator=torch.Generator().manual_seed(1)) * 1.5
    ours = LIF(tau_mem=2.0, backend="cpu")(x) if _installed("spike-core:cpu") else None
    ref = LIF(tau_mem=2.0, backend="torch")(x)
    if ours is not None:
        print(
            f"check: spike-core cpu vs torch reference, max |diff| = {(ours - ref).abs().max():g}"
        )
    for peer in PEERS:
        if _installed(peer):
            # snnTorch's Leaky adds the input unscaled (v = beta v + x): same neuron on x / 2
            out = _make(peer)(x * 0.5 if peer == "snntorch" else x)
            print(f"check: spike-core torch vs {peer}, max |diff| = {(out - ref).abs().max():g}")


def _header(threads: int, malloc: str) -> None:
    import torch

    versions = [f"torch {torch.__version__}"]
    for name in ("numba", "spikingjelly", "snntorch", "norse", "sinabs"):
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:
            versions.append(f"{name} -")
    cpu = platform.processor() or platform.machine()
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if "model name" in line)
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs; torch threads: {threads}")
    print("versions: " + ", ".join(versions))
    print(f"load average at start: {os.getloadavg()}")
    tuned = f"GLIBC_TUNABLES={KEEP_TUNABLES}" if malloc == "keep" else "system default"
    print(f"allocator (every case, copy included): {tuned}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--T", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument(
        "--neurons", type=int, nargs="+", default=[20, 22], help="log2 of the neuron count"
    )
    parser.add_argument("--modes", nargs="+", default=["fwd", "fwdbwd"], choices=list(PASSES))
    parser.add_argument("--impl", nargs="+", default=IMPLS, choices=IMPLS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2, help="untimed full-size runs per case")
    parser.add_argument(
        "--malloc",
        choices=["default", "keep"],
        default="default",
        help="'keep': glibc keeps freed memory for reuse, in every case alike",
    )
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        print(json.dumps(_worker(json.loads(args._worker))))
        return 0
    _header(args.threads, args.malloc)
    _check_equivalence()
    impls = [i for i in args.impl if _installed(i)]
    missing = [i for i in args.impl if i not in impls]
    if missing:
        print(f"not installed (skipped): {', '.join(missing)}")
    cols = f"{'T':>3} {'neurons':>8} {'mode':>6} {'impl':<17} {'median ms':>10} {'GB/s':>6} "
    cols += f"{'peak MB':>8} {'copy frac':>9}  speed-up vs peers"
    for log_n in args.neurons:
        for T in args.T:
            N = 1 << log_n
            base = {
                "T": T,
                "N": N,
                "threads": args.threads,
                "repeats": args.repeats,
                "warmup": args.warmup,
                "malloc": args.malloc,
            }
            copy = _spawn({**base, "impl": "copy", "mode": "fwd"})
            nbytes = T * N * 4
            copy_gbs = 2 * nbytes / copy["median_s"] / 1e9 if copy else float("nan")
            print(f"\nT={T}, neurons=2^{log_n}: copy_ {copy_gbs:.1f} GB/s (alone)")
            print(cols)
            for mode in args.modes:
                res = {i: _spawn({**base, "impl": i, "mode": mode}) for i in impls}
                for impl, r in res.items():
                    if r is None:
                        continue
                    gbs = PASSES[mode] * nbytes / r["median_s"] / 1e9
                    frac = gbs / (2 * nbytes / r["copy_s"] / 1e9)
                    ups = [
                        f"{p} {res[p]['median_s'] / r['median_s']:.1f}x"
                        for p in PEERS
                        if res.get(p) and p != impl
                    ]
                    print(
                        f"{T:>3} {'2^' + str(log_n):>8} {mode:>6} {impl:<17} "
                        f"{r['median_s'] * 1e3:>10.1f} {gbs:>6.1f} {r['peak_extra'] / 2**20:>8.0f} "
                        f"{frac:>9.2f}  {', '.join(ups)}"
                    )
    print(f"\nload average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
