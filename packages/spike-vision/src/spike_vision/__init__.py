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
from spike_vision.classify import top1_accuracy, train_classifier
from spike_vision.data import (
    DIGIT_GLYPHS,
    DetectionDataset,
    make_detection_dataset,
    make_digit_classification,
    render_digit,
)
from spike_vision.det_loss import DetectionLoss, dfl_loss, pad_targets
from spike_vision.det_train import evaluate_detector, train_detector
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
from spike_vision.mae import SpikformerMAE, patchify, random_token_mask, sincos_pos_embed_2d
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
from spike_vision.qsd import QSDTransformer, QSDTransformerConfig
from spike_vision.sdt import (
    MSPatchSplitting,
    SDSA1Attention,
    SDTBlock,
    SpikeDrivenTransformer,
    SpikeDrivenTransformerConfig,
)
from spike_vision.segmentation import (
    SpikingFPN,
    SpikingFPNHead,
    SpikingSegmenter,
    SpikingSegmenterConfig,
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
    "DIGIT_GLYPHS",
    "SPPF",
    "AssignResult",
    "BNAndPad",
    "BiFPN",
    "Bottleneck",
    "C2f",
    "ChannelMLP",
    "Conv",
    "Detect",
    "DetectionDataset",
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
    "QSDTransformer",
    "QSDTransformerConfig",
    "RepConv",
    "SDSA1Attention",
    "SDTBlock",
    "SepConv",
    "SpikeDrivenTransformer",
    "SpikeDrivenTransformerConfig",
    "Spikformer",
    "SpikformerBlock",
    "SpikformerConfig",
    "SpikformerMAE",
    "SpikingDetector",
    "SpikingDetectorConfig",
    "SpikingFPN",
    "SpikingFPNHead",
    "SpikingMLP",
    "SpikingPatchSplitting",
    "SpikingSegmenter",
    "SpikingSegmenterConfig",
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
    "evaluate_detector",
    "f1_score",
    "make_anchors",
    "make_detection_dataset",
    "make_digit_classification",
    "match_predictions",
    "merge_heads",
    "nms",
    "non_max_suppression",
    "pad_targets",
    "patchify",
    "qkv_product",
    "random_token_mask",
    "render_digit",
    "sdsa1",
    "sincos_pos_embed_2d",
    "spiking_neuron",
    "split_heads",
    "top1_accuracy",
    "train_classifier",
    "train_detector",
    "xywh_to_xyxy",
    "xyxy_to_ltrb",
    "xyxy_to_xywh",
]
