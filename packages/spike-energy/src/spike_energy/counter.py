"""``Counter``: count synaptic operations of any ``nn.Module`` during real forward passes.

How it sees operations:

* Linear layers, convolutions (1-3 D, transposed) and matrix products (``torch.matmul``, ``@``,
  ``bmm``, two-operand ``einsum``, ``scaled_dot_product_attention``) are intercepted at the torch
  function level with a :class:`torch.overrides.TorchFunctionMode` that is active only while the
  model runs. So layers called inside :class:`spike_core.SeqToBatch`, on folded ``[T*B, ...]``
  tensors, per time step in a Python loop, or functionally (``F.linear``, ``q @ k.T``) are all
  counted, and each op is named after the module that issued it.
* Neurons (spike-core neuron modules; SpikingJelly nodes by class name), normalisation and pooling
  are counted with forward hooks.
* Modules with weights whose work could not be counted (``nn.LSTM``, ``nn.MultiheadAttention``,
  custom kernels) are reported as ``"uncounted"`` records and in the report's notes.

Input kinds are detected per call: binary spikes, integer spikes (counted by value: a spike of
value ``k`` is ``k`` accumulates) or real values (multiply-accumulates), whatever the position of
the layer. Counting does not change outputs or the RNG state.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable
from typing import Any, Protocol, cast

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from spike_core import MultiStepNeuron, SeqToBatch, SingleStepNeuron, SpikingModel
from spike_energy._classify import REAL, StatsCache, input_stats, one_thread, spike_sum
from spike_energy._ops import SYNAPTIC_OPS, count_op
from spike_energy._syops import syops_rule
from spike_energy.matmul import SpikeMatmul
from spike_energy.profiles import HardwareProfile
from spike_energy.records import LayerRecord
from spike_energy.report import EnergyReport

__all__ = ["MODES", "Counter"]

MODES = ("yao", "syops", "neurobench")
_FIRST_LAYER = ("once", "per_step")
_INCLUDE = frozenset({"bias", "norm", "pool", "neuron"})
_FOREIGN_NEURONS = frozenset(
    {
        "IFNode",
        "LIFNode",
        "ParametricLIFNode",
        "MultiStepIFNode",
        "MultiStepLIFNode",
        "MultiStepParametricLIFNode",
        "Leaky",
        "Synaptic",
        "RLeaky",
        "RSynaptic",
        "Lapicque",
        "Alpha",
    }
)
_NORMS = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    *((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()),
)
_POOLS = (
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
)
_MODULE_OPS = (nn.Linear, nn.modules.conv._ConvNd, SpikeMatmul)
_ZERO_OP_WITH_PARAMS = (nn.Embedding, nn.EmbeddingBag, nn.PReLU)


def _first_tensor(obj: Any) -> torch.Tensor | None:
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, tuple | list):
        for o in obj:
            t = _first_tensor(o)
            if t is not None:
                return t
    if isinstance(obj, dict):
        return _first_tensor(list(obj.values()))
    return None


@dataclasses.dataclass
class _Acc:
    name: str
    type: str
    category: str
    params: int = 0
    kinds: set[str] = dataclasses.field(default_factory=set)
    calls: int = 0
    dense: float = 0.0
    acs: float = 0.0
    macs: float = 0.0
    bias_ops: float = 0.0
    extra_ops: float = 0.0
    neuron_updates: float = 0.0
    spikes_out: float = 0.0
    out_numel: float = 0.0
    in_abs_sum: float = 0.0
    in_nonzero: float = 0.0
    in_numel: float = 0.0
    in_max: float = 0.0
    first: bool = False
    note: str = ""


class _OpMode(TorchFunctionMode):
    """Intercepts synaptic torch functions while the model runs."""

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name in SYNAPTIC_OPS and isinstance(out, torch.Tensor):
            self.counter._on_op(name, func, args, kwargs, out)
        elif name == "embedding":
            self.counter._on_lookup()
        return out


class _SparseConv(Protocol):
    """What a spike-3d sparse convolution records about its last call (duck-typed: no import)."""

    last_rulebook_pairs: float
    last_input_sum: float
    in_channels: int
    out_channels: int


def _is_sparse_conv(module: nn.Module) -> bool:
    return hasattr(module, "last_rulebook_pairs") and hasattr(module, "last_input_sum")


def is_neuron(module: nn.Module) -> bool:
    """Whether ``module`` is a spiking neuron layer (spike-core, or a known foreign class)."""
    return isinstance(module, MultiStepNeuron | SingleStepNeuron) or (
        type(module).__name__ in _FOREIGN_NEURONS
    )


class Counter:
    """Count operations of a model over the forward passes run inside its context.

    Args:
        model: any ``nn.Module`` (spike-core layers, plain torch layers, functional code).
        mode: counting convention: ``"yao"`` (spike-driven papers: first layer MAC, later
            layers ``fr * FL`` ACs), ``"syops"`` (the syops package's rules and quirks) or
            ``"neurobench"`` (NeuroBench effective synaptic operations).
        T: time steps; default: the input's leading size for time-major models, else 1.
        first_layer: ``"once"`` counts the first (encoding) layer's real-valued input as one
            pass (``FL_1`` MACs) even when repeated over ``T`` steps; ``"per_step"`` counts
            ``T * FL_1``.
        time_major: whether the model takes ``[T, B, ...]``; default: true if the model is a
            ``SpikingModel`` or holds a multi-step spike-core neuron or a ``SeqToBatch``, else
            false (``[B, ...]``).
        samples: divide counts by this instead of the batch size (syops mode default: the
            input's leading size, as the package does, which is ``T`` for time-major inputs).
        include: extra costs counted into ACs/MACs: any of ``"bias"``, ``"norm"``, ``"pool"``,
            ``"neuron"`` (excluded in the Yao convention; always recorded in their own columns).
        neuron_types: further module classes to treat as spiking neurons.

    Shapes:
        The model's input is whatever it takes; the first tensor argument gives ``T`` and the
        batch size (``[T, B, ...]`` when time-major, ``[B, ...]`` otherwise).

    Examples:
        >>> net = nn.Sequential(nn.Linear(100, 10))
        >>> x = (torch.arange(4 * 100) % 5 == 0).float().reshape(4, 1, 100)
        >>> with Counter(net, time_major=True) as c:
        ...     _ = net(x)
        >>> c.report().acs
        800.0
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        mode: str = "yao",
        T: int | None = None,
        first_layer: str = "once",
        time_major: bool | None = None,
        samples: int | None = None,
        include: Iterable[str] = (),
        neuron_types: Iterable[type] = (),
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if first_layer not in _FIRST_LAYER:
            raise ValueError(f"first_layer must be one of {_FIRST_LAYER}, got {first_layer!r}")
        include = frozenset(include)
        if include - _INCLUDE:
            raise ValueError(
                f"include must be a subset of {sorted(_INCLUDE)}, got {sorted(include)}"
            )
        if T is not None and (not isinstance(T, int) or T < 1):
            raise ValueError(f"T must be a positive int, got {T!r}")
        if samples is not None and (not isinstance(samples, int) or samples < 1):
            raise ValueError(f"samples must be a positive int, got {samples!r}")
        self.model = model
        self.mode = mode
        self.T = T
        self.first_layer = first_layer
        self.include = include
        self.samples = samples
        self.neuron_types = tuple(neuron_types)
        if time_major is None:
            time_major = isinstance(model, SpikingModel) or any(
                isinstance(m, MultiStepNeuron | SeqToBatch) for m in model.modules()
            )
        self.time_major = bool(time_major)
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._mode: _OpMode | None = None
        self.reset()

    # ----------------------------------------------------------------------------- state
    def reset(self) -> None:
        """Forget everything counted so far."""
        self._accs: dict[str, _Acc] = {}
        self._stack: list[list[Any]] = []
        self._called: dict[str, nn.Module] = {}
        self._owners: set[str] = set()
        self._first_name: str | None = None
        self._seen_T: int | None = None
        self._samples = 0
        self._forwards = 0
        self._depth = 0
        self._stats = StatsCache()  # per forward: each activation classified once

    def attach(self) -> Counter:
        """Register the hooks (idempotent)."""
        if self._handles:
            return self
        for name, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._pre_hook(name)))
            self._handles.append(
                module.register_forward_hook(self._post_hook(name), always_call=True)
            )
        return self

    def detach(self) -> None:
        """Remove the hooks; counts stay available."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self) -> Counter:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # ----------------------------------------------------------------------------- hooks
    def _is_neuron(self, module: nn.Module) -> bool:
        return is_neuron(module) or isinstance(module, self.neuron_types)

    def _acc(self, name: str, module: nn.Module | None, type_: str, category: str) -> _Acc:
        acc = self._accs.get(name)
        if acc is None:
            params = sum(p.numel() for p in module.parameters()) if module is not None else 0
            acc = self._accs[name] = _Acc(name, type_, category, params)
        return acc

    def _pre_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
            if self._depth == 0:
                self._on_root(args)
                first = _first_tensor(args)
                if first is not None:  # after _on_root, which starts a fresh statistics cache
                    self._stats.mark_model_input(first)
            self._depth += 1
            self._stack.append([name, module, 0])
            self._called.setdefault(name, module)

        return hook

    def _on_root(self, args: tuple[Any, ...]) -> None:
        x = _first_tensor(args)
        if x is None:  # e.g. a sparse voxel tensor: T and B come from T= and samples=
            self._seen_T = self._seen_T or 1
            self._samples += int(getattr(args[0], "batch_size", 1)) if args else 1
            self._forwards += 1
            self._enter_mode()
            return
        if self.time_major:
            if x.dim() < 2:
                raise ValueError(
                    f"a time-major model needs input [T, B, ...], got shape {tuple(x.shape)}"
                )
            T_in, B = int(x.shape[0]), int(x.shape[1])
        else:
            T_in, B = 1, int(x.shape[0]) if x.dim() else 1
        if self._seen_T is None:
            self._seen_T = T_in
        self._samples += int(x.shape[0]) if self.mode == "syops" and x.dim() else B
        self._forwards += 1
        self._enter_mode()

    def _enter_mode(self) -> None:
        self._stats.clear()
        if self.mode != "syops":
            self._mode = _OpMode(self)
            self._mode.__enter__()

    def _post_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            if not self._stack or self._stack[-1][1] is not module:
                return  # already unwound (torch calls always_call hooks again on errors)
            self._stack.pop()
            self._depth = len(self._stack)
            if self._depth == 0:
                self._stats.clear()
                if self._mode is not None:
                    self._mode.__exit__(None, None, None)
                    self._mode = None
            if self.mode != "syops" and _is_sparse_conv(module):
                with one_thread():
                    self._sparse(name, module, args)
                return
            x = _first_tensor(args)
            if x is None:
                return
            with one_thread():
                if self.mode == "syops":
                    self._syops_module(name, module, x, out)
                else:
                    self._module(name, module, x, out)

        return hook

    def _module(self, name: str, module: nn.Module, x: torch.Tensor, out: Any) -> None:
        if self._is_neuron(module):
            acc = self._acc(name, module, type(module).__name__, "neuron")
            s = _first_tensor(out)
            acc.calls += 1
            acc.neuron_updates += x.numel()
            if "neuron" in self.include:
                acc.acs += x.numel()
            if s is not None:
                acc.spikes_out += spike_sum(s)
                acc.out_numel += s.numel()
            return
        if isinstance(module, _NORMS):
            affine = bool(getattr(module, "affine", getattr(module, "elementwise_affine", False)))
            self._extra(name, module, x, "norm", float(x.numel() * (2 if affine else 1)))
        elif isinstance(module, _POOLS):
            self._extra(name, module, x, "pool", float(x.numel()))

    def _sparse(self, name: str, module: nn.Module, args: tuple[Any, ...]) -> None:
        """Sparse convolutions (spike-3d): counts from the rulebook the layer recorded."""
        arg = args[0] if args else None
        feats = arg if isinstance(arg, torch.Tensor) else getattr(arg, "features", None)
        if not isinstance(feats, torch.Tensor):
            return
        st = input_stats(feats)
        T = int(getattr(module, "last_time_steps", 1) or 1)
        sparse = cast(_SparseConv, module)
        pairs = float(sparse.last_rulebook_pairs)
        cin, cout = int(sparse.in_channels), int(sparse.out_channels)
        dense = T * pairs * cin * cout
        acc = self._acc(name, module, type(module).__name__, "synaptic")
        if self._first_name is None:
            self._first_name = name
        acc.first = name == self._first_name
        acc.calls += 1
        acc.dense += dense
        if st.kind == REAL:
            acc.macs += dense
        else:
            acc.acs += float(sparse.last_input_sum) * cout
        acc.kinds.add(st.kind)
        self._add_input(acc, st)
        self._owners.add(name)

    def _extra(self, name: str, module: nn.Module, x: torch.Tensor, cat: str, ops: float) -> None:
        acc = self._acc(name, module, type(module).__name__, cat)
        acc.calls += 1
        acc.extra_ops += ops
        if cat not in self.include:  # excluded: count only, skip the input statistics
            acc.in_numel += x.numel()
            return
        st = self._stats(x)
        acc.kinds.add(st.kind)
        self._add_input(acc, st)
        if st.kind == REAL:
            acc.macs += ops
        else:
            acc.acs += ops * st.rate

    @staticmethod
    def _add_input(acc: _Acc, st: Any) -> None:
        acc.in_abs_sum += st.abs_sum
        acc.in_nonzero += st.nonzero
        acc.in_numel += st.numel
        acc.in_max = max(acc.in_max, st.max_abs)

    def _syops_module(self, name: str, module: nn.Module, x: torch.Tensor, out: Any) -> None:
        rule = syops_rule(
            module, is_core_neuron=isinstance(module, MultiStepNeuron | SingleStepNeuron)
        )
        if rule is None:
            return
        total, acs, macs, rate = rule(module, x, _first_tensor(out) if out is not None else out)
        cat = "neuron" if self._is_neuron(module) else "synaptic"
        acc = self._acc(name, module, type(module).__name__, cat)
        acc.calls += 1
        acc.dense += total
        acc.acs += acs
        acc.macs += macs
        acc.in_abs_sum += rate * x.numel()
        acc.in_numel += x.numel()
        if cat == "neuron":
            acc.neuron_updates += x.numel()
        acc.kinds.add(REAL if macs and not acs else "binary")
        self._owners.add(name)

    def _on_lookup(self) -> None:
        """A table lookup (``F.embedding``): its module's weight is read, not multiplied."""
        if self._stack:
            self._owners.add(self._stack[-1][0])

    def _on_op(
        self, op: str, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any
    ) -> None:
        if not self._stack or any(_is_sparse_conv(f[1]) for f in self._stack):
            return
        frame = self._stack[-1]
        owner, module = frame[0], frame[1]
        with one_thread():
            counts = count_op(op, func, args, kwargs, out, self.mode, self._stats)
        for c in counts:
            weight_leaf = bool(module._parameters) and not module._modules
            if weight_leaf or (
                (c.module_op or isinstance(module, SpikeMatmul))
                and isinstance(module, _MODULE_OPS)
                and frame[2] == 0
            ):
                name, type_, mod = owner, type(module).__name__, module
            else:
                name = f"{owner}.{c.label}{frame[2]}" if owner else f"{c.label}{frame[2]}"
                type_, mod = c.label, None
            frame[2] += 1
            acc = self._acc(name, mod, type_, "synaptic")
            if self._first_name is None:
                self._first_name = name
            acc.first = name == self._first_name
            acc.calls += 1
            acc.dense += c.dense
            acc.acs += c.acs
            acc.macs += c.macs
            acc.bias_ops += c.bias_ops
            if "bias" in self.include:
                acc.acs += c.bias_ops
            acc.kinds.add(c.stats.kind)
            self._add_input(acc, c.stats)
            self._owners.add(owner)

    # ----------------------------------------------------------------------------- report
    def report(
        self, profile: str | HardwareProfile = "45nm", *, memory: Any = None
    ) -> EnergyReport:
        """The per-sample report of everything counted so far.

        Args:
            profile: hardware profile name or :class:`HardwareProfile` used for energies.
            memory: an optional :class:`~spike_energy.MemoryModel` adding memory-access energy.

        Returns:
            An :class:`~spike_energy.EnergyReport`.

        Raises:
            RuntimeError: if no forward pass has been counted.
        """
        if not self._forwards:
            raise RuntimeError("no forward pass was counted: run the model inside the Counter")
        T = self.T or self._seen_T or 1
        n = self.samples or self._samples
        layers = [self._record(acc, T, n) for acc in self._accs.values()]
        notes: list[str] = []
        uncounted = self._uncounted()
        layers += uncounted
        if uncounted:
            names = ", ".join(f"{r.name} ({r.type})" for r in uncounted)
            msg = f"operations of these modules with weights were not counted: {names}"
            notes.append(msg)
            warnings.warn(msg, stacklevel=2)
        has_spikes = any(
            r.category == "neuron" or (r.category == "synaptic" and r.kind != REAL) for r in layers
        )
        if not has_spikes:
            notes.append(
                "no spiking layers and no spike inputs found: every operation is a MAC "
                "(the model is counted as an ANN)"
            )
        return EnergyReport(
            layers=layers,
            mode=self.mode,
            T=T,
            samples=n,
            profile=profile,
            first_layer=self.first_layer,
            include=tuple(sorted(self.include)),
            notes=notes,
            memory=memory,
        )

    def _record(self, acc: _Acc, T: int, n: int) -> LayerRecord:
        kind = ""
        if acc.category in ("synaptic", "norm", "pool"):
            kind = next(iter(acc.kinds)) if len(acc.kinds) == 1 else "mixed" if acc.kinds else ""
        macs = acc.macs
        if acc.first and self.first_layer == "once" and self.mode == "yao":
            macs /= T
        return LayerRecord(
            name=acc.name,
            type=acc.type,
            category=acc.category,
            kind=kind,
            calls=acc.calls,
            fl=acc.dense / n / T,
            dense=acc.dense / n,
            in_rate=acc.in_abs_sum / acc.in_numel if acc.in_numel else 0.0,
            in_density=acc.in_nonzero / acc.in_numel if acc.in_numel else 0.0,
            in_max=acc.in_max,
            in_elements=acc.in_numel / n / T,
            acs=acc.acs / n,
            macs=macs / n,
            bias_ops=acc.bias_ops / n,
            extra_ops=acc.extra_ops / n,
            neuron_updates=acc.neuron_updates / n,
            spikes_out=acc.spikes_out / n,
            out_rate=acc.spikes_out / acc.out_numel if acc.out_numel else 0.0,
            params=acc.params,
            first=acc.first and acc.category == "synaptic",
        )

    def _uncounted(self) -> list[LayerRecord]:
        out = []
        counted = tuple(f"{n}." for n in self._accs if n)
        for name, module in self._called.items():
            own = sum(p.numel() for p in module.parameters(recurse=False))
            if not own or name in self._owners or name in self._accs:
                continue
            if name.startswith(counted):
                # Part of a layer counted as a whole (e.g. the learned step of a quantized Linear).
                continue
            if all(p.dim() <= 1 or p.shape[0] == 1 for p in module.parameters(recurse=False)):
                # Only scalars, per-channel vectors or broadcast tensors with a leading 1 (a bias
                # beside a counted synapse, a quantiser's step, a threshold, a class token or a
                # position embedding added to every sample): elementwise work, not synapses.
                continue
            if self._is_neuron(module) or isinstance(module, _NORMS + _ZERO_OP_WITH_PARAMS):
                continue
            out.append(
                LayerRecord(
                    name=name or "<model>",
                    type=type(module).__name__,
                    category="uncounted",
                    params=own,  # its children, if counted, report their own parameters
                    note="weights used by operations the counter cannot see",
                )
            )
        return out
