"""Spiking vision transformers: Spikformer, Spike-driven Transformer, Meta-SpikeFormer, QSD, detection and segmentation.

Tensors are time-major: images ``[T, B, C, H, W]`` (a ``[B, C, H, W]`` image is direct-encoded
over the model's ``time_steps``), tokens ``[T, B, C, N]``.
"""

from importlib.metadata import version as _version

from spike_vision.assigner import AssignResult, TaskAlignedAssigner
from spike_vision.attention import merge_heads, qkv_product, sdsa1, split_heads
from spike_vision.boxes import (
    bbox_ciou,
    box_iou,
    dist_to_xyxy,
    make_anchors,
    xywh_to_xyxy,
    xyxy_to_ltrb,
    xyxy_to_xywh,
)
from spike_vision.det_loss import DetectionLoss, dfl_loss, pad_targets
from spike_vision.detectors import (
    SpikingDetector,
    SpikingDetectorConfig,
    YOLOv8,
    YOLOv8Backbone,
    YOLOv8Config,
)
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
from spike_vision.metrics import (
    DetectionMetrics,
    ap_per_class,
    compute_ap,
    f1_score,
    match_predictions,
)
from spike_vision.necks import BiFPN, FastFusion, PANNeck
from spike_vision.nms import batched_nms, nms, non_max_suppression
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
from spike_vision.yolo_blocks import DFL, SPPF, Bottleneck, C2f, Conv, Detect

__version__ = _version("spike-vision")

__all__ = [
    "DFL",
    "SPPF",
    "AssignResult",
    "BNAndPad",
    "BiFPN",
    "Bottleneck",
    "C2f",
    "ChannelMLP",
    "Conv",
    "Detect",
    "DetectionLoss",
    "DetectionMetrics",
    "DownSampling",
    "FastFusion",
    "MSPatchSplitting",
    "MetaAttention",
    "MetaConvBlock",
    "MetaSpikeFormer",
    "MetaSpikeFormerConfig",
    "MetaTransformerBlock",
    "PANNeck",
    "RepConv",
    "SDSA1Attention",
    "SDTBlock",
    "SepConv",
    "SpikeDrivenTransformer",
    "SpikeDrivenTransformerConfig",
    "Spikformer",
    "SpikformerBlock",
    "SpikformerConfig",
    "SpikingDetector",
    "SpikingDetectorConfig",
    "SpikingMLP",
    "SpikingPatchSplitting",
    "SpikingSelfAttention",
    "TaskAlignedAssigner",
    "YOLOv8",
    "YOLOv8Backbone",
    "YOLOv8Config",
    "__version__",
    "ap_per_class",
    "as_time_major_image",
    "batched_nms",
    "bbox_ciou",
    "box_iou",
    "check_image_size",
    "compute_ap",
    "dfl_loss",
    "dist_to_xyxy",
    "f1_score",
    "make_anchors",
    "match_predictions",
    "merge_heads",
    "nms",
    "non_max_suppression",
    "pad_targets",
    "qkv_product",
    "sdsa1",
    "spiking_neuron",
    "split_heads",
    "xywh_to_xyxy",
    "xyxy_to_ltrb",
    "xyxy_to_xywh",
]
