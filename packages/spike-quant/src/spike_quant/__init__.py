"""Learned quantizers (LSQ), QCFS, integer spiking neurons and the QSD-Transformer transformation.

Public building blocks for QSD-Transformer models (built by spike-vision): LSQ-quantized layers
(:class:`QLinear`, :class:`QConv1d`, :class:`QConv2d`, :class:`QConv3d`), :func:`quantize`, the
IE-LIF neurons, :class:`QSDSA`, :class:`QSDTransformerBlock`, the FGD loss, the integer export and
mixed-bit size/energy helpers. Tensors are time-major ``[T, B, ...]``.
"""

from importlib.metadata import version as _version

from spike_quant.accounting import (
    E_AC_PJ,
    E_MAC_PJ,
    mixed_bit_energy,
    model_bytes,
    model_size_fp32_equiv,
    quantized_layer_summary,
)
from spike_quant.attention import QSDSA, BNAndPad, QRepConv, spike_driven_attention
from spike_quant.blocks import LayerScale, QChannelMLP, QSDTransformerBlock
from spike_quant.distill import FGDLoss, fgd_loss, relation_matrix, spike_entropy
from spike_quant.export import export_integer, fixed_point_params, integer_forward, round_shift
from spike_quant.layers import ActLSQ, QConv1d, QConv2d, QConv3d, QLinear, QuantizedLayer
from spike_quant.lsq import LSQQuantizer, lsq_fake_quantize, lsq_range, round_ste
from spike_quant.neurons import (
    IELIF,
    IEAttLIF,
    MultiSpike,
    fold_norm_into,
    ie,
    ie_att,
    multispike,
)
from spike_quant.qcfs import QCFS, qcfs, qcfs_to_if
from spike_quant.transform import quantize, quantized_layers

__version__ = _version("spike-quant")

__all__ = [
    "E_AC_PJ",
    "E_MAC_PJ",
    "IELIF",
    "QCFS",
    "QSDSA",
    "ActLSQ",
    "BNAndPad",
    "FGDLoss",
    "IEAttLIF",
    "LSQQuantizer",
    "LayerScale",
    "MultiSpike",
    "QChannelMLP",
    "QConv1d",
    "QConv2d",
    "QConv3d",
    "QLinear",
    "QRepConv",
    "QSDTransformerBlock",
    "QuantizedLayer",
    "__version__",
    "export_integer",
    "fgd_loss",
    "fixed_point_params",
    "fold_norm_into",
    "ie",
    "ie_att",
    "integer_forward",
    "lsq_fake_quantize",
    "lsq_range",
    "mixed_bit_energy",
    "model_bytes",
    "model_size_fp32_equiv",
    "multispike",
    "qcfs",
    "qcfs_to_if",
    "quantize",
    "quantized_layer_summary",
    "quantized_layers",
    "relation_matrix",
    "round_shift",
    "round_ste",
    "spike_driven_attention",
    "spike_entropy",
]
