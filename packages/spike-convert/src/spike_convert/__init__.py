"""Lossless CRNN-to-SNN conversion (CNN-Morph, RNN-Morph) with BIF neurons.

Pipelines: CNN -> QCNN -> BIFSNN (:func:`cnn_morph`) and RNN -> QRNN -> RBIFSNN (:func:`rnn_morph`),
whose converted outputs equal the quantized networks' outputs; a rate-coded baseline conversion;
and the pretraining bridge (pipe-S / pipe-D) from ANNs to LIF/LIAF SNNs.
"""

from importlib.metadata import version as _version

from spike_convert.baseline import RateCodedSNN, rate_convert
from spike_convert.bif import BIF, BIFCell, BIFParams, BIFState, bif_step
from spike_convert.bridge import (
    SResNet,
    TransferReport,
    finetune_bptt,
    pretrain_sharpened,
    set_sharpened_epoch,
    transfer_weights,
)
from spike_convert.bridge_neurons import (
    LIAF,
    PipeLIF,
    PipeLIFState,
    SharpenedReLU,
    rectangular_spike,
    sharpened_relu_bounds,
)
from spike_convert.cnn_morph import calibrate, cnn_morph, convert_cnn, quantize_cnn
from spike_convert.data import (
    digits_images,
    digits_split,
    image_sequences,
    load_sequential_mnist,
    read_idx,
    sequence_permutation,
    sequential_digits,
    write_idx,
)
from spike_convert.encoding import s_analog_encode, spread_encode
from spike_convert.events import es_imagenet_frames, es_ucf101_events
from spike_convert.fold import fold_batchnorm
from spike_convert.layers import Residual
from spike_convert.qrnn import QRNNClassifier, QRNNLayer, RNNClassifier, quantize_rnn
from spike_convert.quantizer import (
    QuantAct,
    level_count_from_levels,
    levels_from_level_count,
    quantize,
    quantize_levels,
)
from spike_convert.rnn_morph import RBIFSNN, RBIFLayer, RNNSimulationResult, convert_rnn, rnn_morph
from spike_convert.snn import (
    BIFSNN,
    SimulationResult,
    SpikingResidual,
    SpikingSequential,
    SynapticLayer,
)
from spike_convert.training import accuracy, fit_classifier

__version__ = _version("spike-convert")

__all__ = [
    "BIF",
    "BIFSNN",
    "LIAF",
    "RBIFSNN",
    "BIFCell",
    "BIFParams",
    "BIFState",
    "PipeLIF",
    "PipeLIFState",
    "QRNNClassifier",
    "QRNNLayer",
    "QuantAct",
    "RBIFLayer",
    "RNNClassifier",
    "RNNSimulationResult",
    "RateCodedSNN",
    "Residual",
    "SResNet",
    "SharpenedReLU",
    "SimulationResult",
    "SpikingResidual",
    "SpikingSequential",
    "SynapticLayer",
    "TransferReport",
    "__version__",
    "accuracy",
    "bif_step",
    "calibrate",
    "cnn_morph",
    "convert_cnn",
    "convert_rnn",
    "digits_images",
    "digits_split",
    "es_imagenet_frames",
    "es_ucf101_events",
    "finetune_bptt",
    "fit_classifier",
    "fold_batchnorm",
    "image_sequences",
    "level_count_from_levels",
    "levels_from_level_count",
    "load_sequential_mnist",
    "pretrain_sharpened",
    "quantize",
    "quantize_cnn",
    "quantize_levels",
    "quantize_rnn",
    "rate_convert",
    "read_idx",
    "rectangular_spike",
    "rnn_morph",
    "s_analog_encode",
    "sequence_permutation",
    "sequential_digits",
    "set_sharpened_epoch",
    "sharpened_relu_bounds",
    "spread_encode",
    "transfer_weights",
    "write_idx",
]
