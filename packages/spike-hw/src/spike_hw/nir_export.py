"""Export spike-core models to NIR (``spike-hw[nir]``), with ``dt`` explicit.

An ``nn.Sequential`` (nested sequentials and ``SeqToBatch`` wrappers are unwrapped) becomes a
chain graph. Neuron parameters are written in seconds: a spike-core neuron with time step
``dt_model`` and constant ``tau_mem`` exports ``tau = tau_mem * dt / dt_model``. Mapping
(``k = dt_model / tau_mem``):

=====================================  ========================================================
spike-core                             NIR
=====================================  ========================================================
``LIF``/``PLIF``, ``decay_input=True``  ``LIF(tau, r, v_leak, v_threshold, v_reset)``
``LIF``, ``decay_input=False``          same with ``r = r_model / k`` (snnTorch ``beta`` form)
``IF``                                  ``IF(r = r_model / dt, v_threshold, v_reset)``
``CubaLIF``                             ``CubaLIF(tau_syn, tau_mem, r, w_in = tau_syn / dt_model)``
``LI``                                  ``LI(tau, r, v_leak)``
``Integrator``                          ``I(r = r_model / dt)``
``nn.Linear``                           ``Affine`` (``Linear`` without bias)
``nn.Conv1d``/``nn.Conv2d``             ``Conv1d``/``Conv2d`` (with the input's spatial shape)
``nn.AvgPool2d``, ``SumPool2d``         ``AvgPool2d``, ``SumPool2d``
``nn.Flatten``                          ``Flatten`` (start/end dims minus one: no batch in NIR)
``Scale``                               ``Scale``
``Recurrent``                           subgraph ``{input, lif, w_rec, output}``
=====================================  ========================================================

Quantized layers of spike-quant export their fake-quantized (float) weights. NIR cannot express
soft reset or no reset, adaptive thresholds (ALIF), integer spikes (IntLIF / IE-LIF), attention,
BatchNorm (fold it first) or learnable per-step state beyond these nodes: such a layer raises
:class:`~spike_hw.UnsupportedNodeError` naming it and the reason. Spike-core fires at
``v >= v_threshold``, NIR at ``v > v_threshold``: the two differ only when the membrane equals
the threshold exactly.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from spike_core import ALIF, IF, LI, LIF, PLIF, CubaLIF, IntLIF, SeqToBatch
from spike_hw._nirlib import nir_module
from spike_hw.errors import UnsupportedNodeError
from spike_hw.modules import Integrator, Recurrent, Scale, SumPool2d

__all__ = ["neuron_to_nir", "to_nir", "write_nir"]

_META = "spike_hw"


_LEAF_TYPES = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.AvgPool2d,
    nn.Flatten,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
)


def _leaves(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    if isinstance(module, SeqToBatch):
        return _leaves(module.module, prefix)
    children = list(module.named_children())
    is_leaf = (
        isinstance(module, _LEAF_TYPES)
        or not children
        or hasattr(module, "step")
        or "Attention" in type(module).__name__
        or type(module).__name__ == "QSDSA"
    )
    if isinstance(module, nn.Sequential) or not (is_leaf or isinstance(module, Recurrent)):
        out = []
        for name, child in module.named_children():
            out.extend(_leaves(child, f"{prefix}.{name}" if prefix else name))
        return out
    return [(prefix or type(module).__name__.lower(), module)]


def _arr(value: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, value, dtype=np.float64) if np.ndim(value) == 0 else np.asarray(value)


def _check_reset(name: str, m: nn.Module) -> None:
    reset = getattr(m, "reset", "hard")
    if reset == "soft":
        raise UnsupportedNodeError(
            f"layer {name!r} ({type(m).__name__}): soft reset (subtract threshold) has no NIR node; "
            "NIR neurons reset to v_reset"
        )
    if reset == "none":
        raise UnsupportedNodeError(
            f"layer {name!r} ({type(m).__name__}): reset='none' has no NIR node (NIR neurons reset)"
        )


def neuron_to_nir(name: str, m: nn.Module, shape: tuple[int, ...], dt: float) -> Any:
    """Map one spike-core neuron (or :class:`Integrator`) to its NIR node.

    Args:
        name: layer name used in error messages.
        m: the neuron module.
        shape: per-sample shape of the layer (NIR parameter arrays take it).
        dt: NIR time step in seconds.

    Returns:
        A NIR node.

    Raises:
        UnsupportedNodeError: for neurons NIR cannot express (named, with the reason).
    """
    nir = nir_module()
    if isinstance(m, ALIF):
        raise UnsupportedNodeError(f"layer {name!r} (ALIF): NIR has no adaptive-threshold neuron")
    if isinstance(m, IntLIF):
        raise UnsupportedNodeError(
            f"layer {name!r} ({type(m).__name__}): NIR has no integer (multi-level) spikes; "
            "expand them to binary virtual steps or use spike-hw's integer backend"
        )
    if isinstance(m, Integrator):
        return nir.I(r=_arr(m.r / dt, shape))
    if isinstance(m, LI):
        k = m.dt / m.tau_mem
        return nir.LI(tau=_arr(dt / k, shape), r=_arr(m.r, shape), v_leak=_arr(m.v_leak, shape))
    if isinstance(m, IF):
        _check_reset(name, m)
        return nir.IF(
            r=_arr(m.r / dt, shape),
            v_threshold=_arr(m.v_threshold, shape),
            v_reset=_arr(m.v_reset, shape),
        )
    if isinstance(m, LIF | PLIF):  # PLIF exports its current learned tau
        _check_reset(name, m)
        k = float(m.decay)
        r = m.r if m.decay_input else m.r / k
        return nir.LIF(
            tau=_arr(dt / k, shape),
            r=_arr(r, shape),
            v_leak=_arr(m.v_leak, shape),
            v_threshold=_arr(m.v_threshold, shape),
            v_reset=_arr(m.v_reset, shape),
            metadata={_META: {"decay_input": int(m.decay_input)}},
        )
    if isinstance(m, CubaLIF):
        _check_reset(name, m)
        ks, km = m.dt / m.tau_syn, m.dt / m.tau_mem
        return nir.CubaLIF(
            tau_syn=_arr(dt / ks, shape),
            tau_mem=_arr(dt / km, shape),
            r=_arr(m.r, shape),
            v_leak=_arr(m.v_leak, shape),
            v_threshold=_arr(m.v_threshold, shape),
            v_reset=_arr(m.v_reset, shape),
            w_in=_arr(1.0 / ks, shape),
        )
    raise UnsupportedNodeError(f"layer {name!r}: {type(m).__name__} is not a NIR neuron")


def _weight(m: nn.Module) -> torch.Tensor:
    qw = getattr(m, "quantized_weight", None)
    w = cast(torch.Tensor, qw() if callable(qw) else m.weight)
    return w.detach().double().cpu()


def _pair(v: Any) -> np.ndarray:
    return np.asarray(v if isinstance(v, tuple | list) else (v, v), dtype=np.int64)


@torch.no_grad()
def _layer_to_nir(
    name: str, m: nn.Module, shape: tuple[int, ...], dt: float
) -> tuple[Any, tuple[int, ...]]:
    """NIR node for layer ``m`` with per-sample input ``shape``; returns ``(node, out_shape)``."""
    nir = nir_module()
    if isinstance(m, IF | LIF | PLIF | CubaLIF | LI | ALIF | IntLIF | Integrator):
        return neuron_to_nir(name, m, shape, dt), shape
    if isinstance(m, Recurrent):
        n = shape[-1]
        inner = neuron_to_nir(f"{name}.neuron", m.neuron, shape, dt)
        rec, _ = _layer_to_nir(f"{name}.recurrent", m.recurrent, shape, dt)
        sub = nir.NIRGraph(
            nodes={
                "input": nir.Input(input_type=np.array([n])),
                "lif": inner,
                "w_rec": rec,
                "output": nir.Output(output_type=np.array([n])),
            },
            edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
            type_check=False,
        )
        return sub, shape
    if type(m).__name__ in ("QSDSA", "MultiheadAttention") or "Attention" in type(m).__name__:
        raise UnsupportedNodeError(
            f"layer {name!r} ({type(m).__name__}): NIR has no attention node"
        )
    if isinstance(m, nn.Linear):
        lw = _weight(m).numpy()
        out = (*shape[:-1], lw.shape[0])
        if m.bias is None:
            return nir.Linear(weight=lw), out
        return nir.Affine(weight=lw, bias=m.bias.detach().double().cpu().numpy()), out
    if isinstance(m, nn.Conv1d | nn.Conv2d):
        if m.padding_mode != "zeros":
            raise UnsupportedNodeError(
                f"layer {name!r}: padding_mode={m.padding_mode!r} has no NIR form"
            )
        w = _weight(m)
        bias = (
            m.bias.detach().double().cpu().numpy() if m.bias is not None else np.zeros(w.shape[0])
        )
        y = m._conv_forward(torch.zeros((1, *shape), dtype=torch.float64), w, None)
        out = tuple(y.shape[1:])
        padding = m.padding if isinstance(m.padding, str) else tuple(m.padding)
        if isinstance(m, nn.Conv1d):
            node = nir.Conv1d(
                input_shape=int(shape[1]),
                weight=w.numpy(),
                stride=int(m.stride[0]),
                padding=padding if isinstance(padding, str) else int(padding[0]),
                dilation=int(m.dilation[0]),
                groups=int(m.groups),
                bias=bias,
            )
        else:
            node = nir.Conv2d(
                input_shape=(int(shape[1]), int(shape[2])),
                weight=w.numpy(),
                stride=tuple(m.stride),
                padding=padding,
                dilation=tuple(m.dilation),
                groups=int(m.groups),
                bias=bias,
            )
        return node, out
    if isinstance(m, nn.AvgPool2d | SumPool2d):
        if isinstance(m, nn.AvgPool2d) and (
            m.ceil_mode or not m.count_include_pad or m.divisor_override
        ):
            raise UnsupportedNodeError(
                f"layer {name!r}: AvgPool2d with ceil_mode, count_include_pad=False or a divisor "
                "override has no NIR form"
            )
        x = torch.zeros((1, *shape))
        out = tuple(m(x).shape[1:])
        cls = nir.SumPool2d if isinstance(m, SumPool2d) else nir.AvgPool2d
        stride = m.stride if m.stride is not None else m.kernel_size
        return cls(
            kernel_size=_pair(m.kernel_size), stride=_pair(stride), padding=_pair(m.padding)
        ), out
    if isinstance(m, nn.Flatten):
        nd = len(shape)
        start = (m.start_dim - 1) if m.start_dim > 0 else m.start_dim % (nd + 1) - 1
        end = (m.end_dim - 1) if m.end_dim > 0 else m.end_dim % (nd + 1) - 1
        out_shape = tuple(torch.zeros((1, *shape)).flatten(start + 1, end + 1).shape[1:])
        return (
            nir.Flatten(input_type={"input": np.array(shape)}, start_dim=start, end_dim=end),
            out_shape,
        )
    if isinstance(m, Scale):
        return nir.Scale(scale=m.scale.double().cpu().numpy()), shape
    if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
        raise UnsupportedNodeError(
            f"layer {name!r}: BatchNorm has no NIR node; fold it into the preceding layer first"
        )
    raise UnsupportedNodeError(f"layer {name!r}: {type(m).__name__} has no NIR mapping")


def _fold_bn(node: Any, bn: nn.BatchNorm1d | nn.BatchNorm2d) -> bool:
    """Fold an eval-mode BatchNorm into the preceding Affine/Conv node in place (exact algebra)."""
    kind = type(node).__name__
    running_mean, running_var = bn.running_mean, bn.running_var
    if kind not in ("Affine", "Conv1d", "Conv2d") or running_mean is None or running_var is None:
        return False
    mean = running_mean.double().cpu().numpy()
    var = running_var.double().cpu().numpy()
    gamma = bn.weight.detach().double().cpu().numpy() if bn.affine else np.ones_like(mean)
    beta = bn.bias.detach().double().cpu().numpy() if bn.affine else np.zeros_like(mean)
    g = gamma / np.sqrt(var + bn.eps)
    w = np.asarray(node.weight, dtype=np.float64)
    node.weight = w * g.reshape(-1, *([1] * (w.ndim - 1)))
    node.bias = (np.asarray(node.bias, dtype=np.float64) - mean) * g + beta
    return True


def to_nir(
    model: nn.Module,
    *,
    input_shape: tuple[int, ...],
    dt: float = 1e-4,
    type_check: bool = True,
) -> Any:
    """Export a sequential spike-core model to a ``nir.NIRGraph``.

    Args:
        model: an ``nn.Sequential``, a single supported layer, or a model whose children run in
            registration order (e.g. spike-core's ``SpikingMLP``/``SpikingCNN``: ``features``
            then ``head``). An eval-mode BatchNorm after a conv/linear layer is folded into it;
            a ``Linear`` after a multi-dimensional map gets a ``Flatten`` node first.
        input_shape: one sample at one step, without ``T`` and ``B`` (e.g. ``(2, 34, 34)``).
        dt: NIR time step in seconds (default 1e-4, the cross-framework convention).
        type_check: let ``nir`` check the shapes of the graph.

    Returns:
        The chain graph ``input -> layers... -> output`` (node names from the module names).

    Raises:
        UnsupportedNodeError: for a layer NIR cannot express (named, with the reason).
        ValueError: for a bad ``dt`` or ``input_shape``.

    Examples:
        >>> from spike_core import LIF
        >>> g = to_nir(nn.Sequential(nn.Linear(4, 3), LIF(tau_mem=2.0)), input_shape=(4,))
        >>> sorted(g.nodes)
        ['0', '1', 'input', 'output']
    """
    nir = nir_module()
    if not (isinstance(dt, int | float) and dt > 0 and math.isfinite(dt)):
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    if not input_shape or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(f"input_shape must be a tuple of positive ints, got {input_shape!r}")
    shape = tuple(input_shape)
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array(shape))}
    edges: list[tuple[str, str]] = []
    last = "input"
    grouped = False
    for name, m in _leaves(model, ""):
        grouped = grouped or (isinstance(m, nn.Conv1d | nn.Conv2d) and m.groups > 1)
        if isinstance(m, nn.Identity | nn.Dropout):
            continue
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) and _fold_bn(nodes[last], m):
            continue
        if isinstance(m, nn.Linear) and len(shape) > 1:  # time-major models flatten(2) here
            flat = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)
            key = f"{name.replace('.', '_')}_flatten"
            nodes[key], shape = flat, (int(np.prod(shape)),)
            edges.append((last, key))
            last = key
        node, shape = _layer_to_nir(name, m, shape, float(dt))
        key = name.replace(".", "_")
        nodes[key] = node
        edges.append((last, key))
        last = key
    nodes["output"] = nir.Output(output_type=np.array(shape))
    edges.append((last, "output"))
    return nir.NIRGraph(
        nodes=nodes,
        edges=edges,
        metadata={_META: {"dt": float(dt)}},
        # nir 1.0.x infers a grouped conv's input channels as weight.shape[1] (ignoring groups),
        # so its type check rejects valid grouped convolutions; shapes were computed above.
        type_check=type_check and not grouped,
    )


def _has_scalar_array(tree: Any) -> bool:
    if isinstance(tree, dict):
        return any(_has_scalar_array(v) for v in tree.values())
    return isinstance(tree, np.ndarray) and tree.ndim == 0


def write_nir(graph: Any, path: str | Path) -> Path:
    """Write a NIR graph to an HDF5 file atomically (temporary file, then rename).

    Args:
        graph: a ``nir.NIRGraph``.
        path: destination.

    Returns:
        The path written.
    """
    nir = nir_module()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    kwargs: dict[str, Any] = {}
    if (
        _has_scalar_array(graph.to_dict())
        and "compression" in inspect.signature(nir.write).parameters
    ):
        # nir 1.0.8 gzips every array by default and h5py refuses filters on 0-d datasets (other
        # frameworks' exporters, e.g. Norse's, write scalar neuron parameters)
        kwargs["compression"] = None
    try:
        nir.write(str(tmp), graph, **kwargs)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
