"""Spiking sequence models: SpikeGPT, L2MU and spiking recurrent cells.

Sequences are time-major: token ids ``[T, B]``, features ``[T, B, C]``; one step is ``[B, ...]``.
Every recurrent model threads an explicit ``NamedTuple`` state.
"""

from importlib.metadata import version as _version

from spike_seq.charlm import (
    CharTokenizer,
    TrainResult,
    evaluate_bpc,
    generate,
    load_corpus,
    random_windows,
    sample_token,
    train_char_lm,
    unigram_entropy,
)
from spike_seq.checkpoint import load_spikegpt, save_spikegpt
from spike_seq.l2mu import (
    L2MU,
    L2MUClassifier,
    L2MUConfig,
    L2MUState,
    SpikingInputModule,
    SpikingPopulation,
    l2mu_num_params,
)
from spike_seq.lmu import discretize_lmu, lmu_matrices
from spike_seq.recurrent import (
    RecurrentALIF,
    RecurrentALIFCell,
    RecurrentALIFState,
    RecurrentLIF,
    RecurrentLIFCell,
    RecurrentLIFState,
    SpikingGRU,
    SpikingGRUCell,
    SpikingGRUState,
)
from spike_seq.smnist import ps_mnist_permutation, sequential_mnist
from spike_seq.spikegpt import (
    SpikeGPT,
    SpikeGPTBlock,
    SpikeGPTConfig,
    SpikeGPTState,
    lm_loss,
    spikegpt_num_params,
)
from spike_seq.spikegpt_layers import SRFFN, SRWKV, BinaryEmbedding, l2wrap, rwkv_init_, token_shift
from spike_seq.wisdm import (
    HAND_ORIENTED_ACTIVITIES,
    WISDM_ACTIVITIES,
    load_wisdm_watch,
    read_wisdm_raw,
    synthetic_activity_dataset,
    train_classifier,
    window_signals,
)
from spike_seq.wkv import WKVState, wkv_closed_form, wkv_init_state, wkv_parallel, wkv_step

__version__ = _version("spike-seq")

__all__ = [
    "HAND_ORIENTED_ACTIVITIES",
    "L2MU",
    "SRFFN",
    "SRWKV",
    "WISDM_ACTIVITIES",
    "BinaryEmbedding",
    "CharTokenizer",
    "L2MUClassifier",
    "L2MUConfig",
    "L2MUState",
    "RecurrentALIF",
    "RecurrentALIFCell",
    "RecurrentALIFState",
    "RecurrentLIF",
    "RecurrentLIFCell",
    "RecurrentLIFState",
    "SpikeGPT",
    "SpikeGPTBlock",
    "SpikeGPTConfig",
    "SpikeGPTState",
    "SpikingGRU",
    "SpikingGRUCell",
    "SpikingGRUState",
    "SpikingInputModule",
    "SpikingPopulation",
    "TrainResult",
    "WKVState",
    "__version__",
    "discretize_lmu",
    "evaluate_bpc",
    "generate",
    "l2mu_num_params",
    "l2wrap",
    "lm_loss",
    "lmu_matrices",
    "load_corpus",
    "load_spikegpt",
    "load_wisdm_watch",
    "ps_mnist_permutation",
    "random_windows",
    "read_wisdm_raw",
    "rwkv_init_",
    "sample_token",
    "save_spikegpt",
    "sequential_mnist",
    "spikegpt_num_params",
    "synthetic_activity_dataset",
    "token_shift",
    "train_char_lm",
    "train_classifier",
    "unigram_entropy",
    "window_signals",
    "wkv_closed_form",
    "wkv_init_state",
    "wkv_parallel",
    "wkv_step",
]
