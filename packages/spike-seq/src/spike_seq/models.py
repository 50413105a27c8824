"""Models registered by spike-seq (loaded through the spike_core.models entry point).

Parameter counts are the spec's: SpikeGPT ``2 V C + L (13 C^2 + 11 C) + 4 C``; L2MU
``M I + M H + M^2 d + H I + H^2 + H M d + K H + K + 8`` (plus the input module when present).
"""

from __future__ import annotations

from torch import nn

from spike_core import register_model
from spike_seq.l2mu import L2MUClassifier, L2MUConfig, l2mu_num_params
from spike_seq.spikegpt import SpikeGPT, SpikeGPTConfig, spikegpt_num_params

__all__: list[str] = []

_EMBEDDED_VOCAB = 48  # characters of the embedded corpus (checked by a test)


def _gpt(cfg: SpikeGPTConfig) -> nn.Module:
    return SpikeGPT(cfg)


def _l2mu(cfg: L2MUConfig) -> nn.Module:
    return L2MUClassifier(cfg)


_GPT_VARIANTS = {
    "spikegpt-46m": (
        SpikeGPTConfig(vocab_size=5458, n_layer=12, n_embd=512, ctx_len=1024),
        "SpikeGPT 46M ('45M'), enwik8 character model; V = 5458 is an example vocabulary",
    ),
    "spikegpt-216m": (
        SpikeGPTConfig(vocab_size=50277, n_layer=18, n_embd=768, ctx_len=1024),
        "SpikeGPT 216M with the 50,277-token GPT-NeoX BPE vocabulary",
    ),
    "spikegpt-260m": (
        SpikeGPTConfig(vocab_size=50277, n_layer=24, n_embd=768, ctx_len=1024),
        "SpikeGPT train.py default (the '260M' of arXiv v1)",
    ),
    "spikegpt-char-tiny": (
        SpikeGPTConfig(vocab_size=_EMBEDDED_VOCAB, n_layer=2, n_embd=128, ctx_len=256),
        "2-layer character SpikeGPT sized for the embedded corpus (trains on a CPU in minutes)",
    ),
}
for _name, (_cfg, _desc) in _GPT_VARIANTS.items():
    register_model(
        _name,
        family="spikegpt",
        config=_cfg,
        num_params=spikegpt_num_params(_cfg.n_layer, _cfg.n_embd, _cfg.vocab_size),
        description=_desc,
    )(_gpt)

_L2MU_VARIANTS = {
    "l2mu": (
        L2MUConfig(input_size=6, memory_size=10, order=4, hidden_size=20, num_classes=7),
        "L2MU (LIF populations), 6 raw channels, 7 classes",
    ),
    "l2mu-har": (
        L2MUConfig(
            input_size=6,
            memory_size=10,
            order=4,
            hidden_size=20,
            num_classes=7,
            input_module=(32, 32, 32),
        ),
        "L2MU with the encoding-free three-layer input module for WISDM hand-oriented HAR",
    ),
}
for _name, (_lcfg, _desc) in _L2MU_VARIANTS.items():
    register_model(
        _name, family="l2mu", config=_lcfg, num_params=l2mu_num_params(_lcfg), description=_desc
    )(_l2mu)
