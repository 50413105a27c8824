"""Spiking vision transformers: Spikformer, Spike-driven Transformer, Meta-SpikeFormer, QSD, detection and segmentation.

Tensors are time-major: images ``[T, B, C, H, W]`` (a ``[B, C, H, W]`` image is direct-encoded
over the model's ``time_steps``), tokens ``[T, B, C, N]``.
"""

from importlib.metadata import version as _version

from spike_vision.attention import merge_heads, qkv_product, sdsa1, split_heads
from spike_vision.layers import (
    BNAndPad,
    RepConv,
    as_time_major_image,
    check_image_size,
    spiking_neuron,
)
from spike_vision.meta_spikeformer import (
    ChannelMLP,
    DownSampling,
    MetaAttention,
    MetaConvBlock,
    MetaSpikeFormer,
    MetaSpikeFormerConfig,
    MetaTransformerBlock,
    SepConv,
)
from spike_vision.sdt import (
    MSPatchSplitting,
    SDSA1Attention,
    SDTBlock,
    SpikeDrivenTransformer,
    SpikeDrivenTransformerConfig,
)
from spike_vision.spikformer import (
    Spikformer,
    SpikformerBlock,
    SpikformerConfig,
    SpikingMLP,
    SpikingPatchSplitting,
    SpikingSelfAttention,
)

__version__ = _version("spike-vision")

__all__ = [
    "BNAndPad",
    "ChannelMLP",
    "DownSampling",
    "MSPatchSplitting",
    "MetaAttention",
    "MetaConvBlock",
    "MetaSpikeFormer",
    "MetaSpikeFormerConfig",
    "MetaTransformerBlock",
    "RepConv",
    "SDSA1Attention",
    "SDTBlock",
    "SepConv",
    "SpikeDrivenTransformer",
    "SpikeDrivenTransformerConfig",
    "Spikformer",
    "SpikformerBlock",
    "SpikformerConfig",
    "SpikingMLP",
    "SpikingPatchSplitting",
    "SpikingSelfAttention",
    "__version__",
    "as_time_major_image",
    "check_image_size",
    "merge_heads",
    "qkv_product",
    "sdsa1",
    "spiking_neuron",
    "split_heads",
]
