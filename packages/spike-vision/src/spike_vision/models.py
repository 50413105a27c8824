"""Models registered by spike-vision (loaded through the ``spike_core.models`` entry point).

Parameter counts are the spec's figures for the default configs (1000 classes at 224x224
unless the name says otherwise), without the reference code's unused parameters.
"""

from __future__ import annotations

from torch import nn

from spike_core import register_model
from spike_vision.detectors import SpikingDetector, SpikingDetectorConfig, YOLOv8, YOLOv8Config
from spike_vision.meta_spikeformer import MetaSpikeFormer, MetaSpikeFormerConfig
from spike_vision.qsd import QSDTransformer, QSDTransformerConfig
from spike_vision.sdt import SpikeDrivenTransformer, SpikeDrivenTransformerConfig
from spike_vision.segmentation import SpikingSegmenter, SpikingSegmenterConfig
from spike_vision.spikformer import Spikformer, SpikformerConfig

__all__: list[str] = []


def _spikformer(cfg: SpikformerConfig) -> nn.Module:
    return Spikformer(cfg)


def _sdt(cfg: SpikeDrivenTransformerConfig) -> nn.Module:
    return SpikeDrivenTransformer(cfg)


def _yolo(cfg: YOLOv8Config) -> nn.Module:
    return YOLOv8(cfg)


def _spiking_detector(cfg: SpikingDetectorConfig) -> nn.Module:
    return SpikingDetector(cfg)


def _segmenter(cfg: SpikingSegmenterConfig) -> nn.Module:
    return SpikingSegmenter(cfg)


def _qsd(cfg: QSDTransformerConfig) -> nn.Module:
    return QSDTransformer(cfg)


def _meta(cfg: MetaSpikeFormerConfig) -> nn.Module:
    return MetaSpikeFormer(cfg)


# Spikformer (ImageNet): (depth, dim, heads, params without the unused LayerNorms).
# Heads for 8-384 and 8-768 are unconfirmed (they do not change the count).
for _d, _c, _h, _n in [
    (8, 384, 12, 16_816_024),
    (6, 512, 8, 23_373_352),
    (8, 512, 8, 29_689_384),
    (10, 512, 8, 36_005_416),
    (8, 768, 12, 66_338_632),
]:
    register_model(
        f"spikformer-{_d}-{_c}",
        family="spikformer",
        config=SpikformerConfig(depth=_d, embed_dim=_c, num_heads=_h),
        num_params=_n,
        description=f"Spikformer, {_d} blocks x {_c} dims, ImageNet 224x224, T=4",
    )(_spikformer)

for _k, _n in [(10, 9_324_730), (100, 9_359_380)]:
    register_model(
        f"spikformer-4-384-cifar{_k}",
        family="spikformer",
        config=SpikformerConfig(
            variant="cifar", depth=4, embed_dim=384, num_heads=12, num_classes=_k, img_size=32
        ),
        num_params=_n,
        description=f"Spikformer-4-384 for CIFAR-{_k} (32x32, patch 4, T=4)",
    )(_spikformer)

register_model(
    "spikformer-2-256-cifar10dvs",
    family="spikformer",
    config=SpikformerConfig(
        variant="dvs",
        depth=2,
        embed_dim=256,
        num_heads=16,
        num_classes=10,
        in_channels=2,
        img_size=128,
        time_steps=16,
    ),
    num_params=2_566_666,
    description="Spikformer-2-256 for CIFAR10-DVS (2x128x128 events, T=16)",
)(_spikformer)

# Spikformer V2 (project reconstruction of the SCS stem; no published counts).
for _d, _c, _h in [(8, 384, 12), (8, 512, 8)]:
    register_model(
        f"spikformer-v2-{_d}-{_c}",
        family="spikformer-v2",
        config=SpikformerConfig(depth=_d, embed_dim=_c, num_heads=_h, stem_convs=(2, 2, 2, 2)),
        description=f"Spikformer V2 (reconstructed SCS stem), {_d} x {_c}, ImageNet",
    )(_spikformer)

# Spike-driven Transformer V1: counts without the unused talking-heads conv.
for _d, _c, _n in [
    (8, 384, 16_816_024),
    (6, 512, 23_373_352),
    (8, 512, 29_689_384),
    (10, 512, 36_005_416),
    (8, 768, 66_338_632),
]:
    register_model(
        f"sdt-{_d}-{_c}",
        family="spike-driven-transformer",
        config=SpikeDrivenTransformerConfig(depth=_d, embed_dim=_c),
        num_params=_n,
        description=f"Spike-driven Transformer (SDSA-1), {_d} x {_c}, ImageNet, T=4",
    )(_sdt)

for _k, _n in [(10, 10_233_418), (100, 10_279_588)]:
    register_model(
        f"sdt-2-512-cifar{_k}",
        family="spike-driven-transformer",
        config=SpikeDrivenTransformerConfig(
            pooling="0011", depth=2, embed_dim=512, num_classes=_k, img_size=32
        ),
        num_params=_n,
        description=f"Spike-driven Transformer 2-512 for CIFAR-{_k}",
    )(_sdt)

register_model(
    "sdt-2-256-cifar10dvs",
    family="spike-driven-transformer",
    config=SpikeDrivenTransformerConfig(
        pooling="0011",
        depth=2,
        embed_dim=256,
        num_classes=10,
        in_channels=2,
        img_size=64,
        time_steps=10,
    ),
    num_params=2_566_666,
    description="Spike-driven Transformer 2-256 for CIFAR10-DVS (2x64x64, T=10)",
)(_sdt)

register_model(
    "sdt-2-256-gesture",
    family="spike-driven-transformer",
    config=SpikeDrivenTransformerConfig(
        pooling="0111",
        depth=2,
        embed_dim=256,
        num_classes=11,
        in_channels=2,
        img_size=128,
        time_steps=16,
    ),
    num_params=2_566_923,
    description="Spike-driven Transformer 2-256 for DVS128-Gesture (2x128x128, T=16)",
)(_sdt)

# Meta-SpikeFormer (Spike-driven Transformer V2).
for _name, _dims, _n in [
    ("15m", (64, 128, 256, 360), 15_112_208),
    ("31m", (96, 192, 384, 480), 31_333_864),
    ("55m", (128, 256, 512, 640), 55_350_248),
    ("8-768", (192, 384, 768, 960), 123_741_160),
]:
    register_model(
        f"meta-spikeformer-{_name}",
        family="meta-spikeformer",
        config=MetaSpikeFormerConfig(embed_dims=_dims),
        num_params=_n,
        description=f"Meta-SpikeFormer widths {list(_dims)}, ImageNet 224x224",
    )(_meta)

# Detection (80 COCO classes at 640x640 unless overridden).
for _name, _cfg, _n, _desc in [
    ("yolov8n", YOLOv8Config(scale="n"), 3_157_200, "YOLOv8n (ANN reference)"),
    ("yolov8s", YOLOv8Config(scale="s"), 11_166_560, "YOLOv8s (ANN reference)"),
    ("yolov8m", YOLOv8Config(scale="m"), 25_902_640, "YOLOv8m (ANN reference)"),
    ("yolov8l", YOLOv8Config(scale="l"), 43_691_520, "YOLOv8l (ANN reference)"),
    ("yolov8x", YOLOv8Config(scale="x"), 68_229_648, "YOLOv8x (ANN reference)"),
    ("yolov8s-p2", YOLOv8Config(neck="pan-p2"), 10_884_336, "YOLOv8s with a P2 (stride 4) level"),
    (
        "yolov8s-bifpn-p2",
        YOLOv8Config(neck="bifpn-p2"),
        11_488_254,
        "YOLOv8s with a BiFPN neck and a P2 level (rice-spikelet design, project layout)",
    ),
]:
    register_model(_name, family="yolov8", config=_cfg, num_params=_n, description=_desc)(_yolo)

register_model(
    "meta-spikeformer-15m-bifpn-p2",
    family="spiking-detector",
    config=SpikingDetectorConfig(),
    num_params=22_819_654,
    description="Meta-SpikeFormer 15M backbone + P5 adapter + BiFPN-P2 neck + YOLOv8 head",
)(_spiking_detector)

# Segmentation (ADE20K: 150 classes). Head widths for the 55M config are unconfirmed.
for _name, _dims, _neck in [
    ("15m", (64, 128, 256, 360), 128),
    ("55m", (128, 256, 512, 640), 256),
]:
    register_model(
        f"meta-spikeformer-{_name}-semfpn",
        family="spiking-segmenter",
        config=SpikingSegmenterConfig(embed_dims=_dims, neck_channels=_neck, head_channels=_neck),
        description=f"Meta-SpikeFormer {_name.upper()} + spiking FPN + Semantic-FPN head",
    )(_segmenter)

# QSD-Transformer (reference factory names in parentheses); counts include the reference's
# dead activation-quantizer parameters (act_params=True).
for _name, _dims, _depth, _n in [
    ("8m", (48, 96, 192, 256), 8, 8_432_142),  # spikformer_8_256_CAFormer
    ("15m", (64, 128, 256, 360), 8, 15_245_862),  # spikformer_8_15M_CAFormer
    ("31m", (96, 192, 384, 480), 8, 31_527_302),  # spikformer_8_384_CAFormer
    ("55m", (128, 256, 512, 640), 8, 55_607_830),  # spikformer_8_512_CAFormer
    ("12-512", (128, 256, 512, 640), 12, 75_022_870),  # spikformer_12_512_CAFormer
]:
    register_model(
        f"qsd-transformer-{_name}",
        family="qsd-transformer",
        config=QSDTransformerConfig(embed_dims=_dims, depth=_depth),
        num_params=_n,
        description=f"QSD-Transformer (4-bit LSQ, IE-LIF), widths {list(_dims)}, depth {_depth}",
    )(_qsd)
