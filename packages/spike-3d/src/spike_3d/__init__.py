"""E-3DSNN: spike voxel coding and spike sparse convolution for point clouds, on CPU.

A pure-torch sparse voxel tensor with rulebook-based sparse convolutions (submanifold, strided,
inverse), sparse batch norm and pooling, the integer LIF of E-3DSNN (spike-core's ``IntLIF``),
membrane-shortcut residual blocks, the E-3DSNN classification, segmentation and detection
backbones, and point-cloud data (ModelNet40 from a local folder, embedded synthetic shapes).
Sparse features are time-major: ``[T, N, C]`` for ``N`` active sites.
"""

from importlib.metadata import version as _version

from spike_3d.bev import SpikeBEVBackbone, SpikeBEVConfig, generate_anchors
from spike_3d.blocks import BasicBlock, DownBlock, NeuronConfig, SpikeStem, SpikeSubMBranch
from spike_3d.classification import E3DSNN, E3DSNNConfig, random_sparse_input
from spike_3d.conv import SparseConv3d, SparseInverseConv3d, SubMConv3d, sparse_conv
from spike_3d.data import (
    SHAPE_CLASSES,
    ModelNet40,
    SyntheticShapes,
    farthest_point_sample,
    normalize_coord,
    random_rotate,
    random_scale,
    random_shift,
    read_modelnet_txt,
    read_off,
    sample_mesh,
    sample_shape,
)
from spike_3d.detection import E3DSNNDetBackbone, E3DSNNDetConfig, height_compression
from spike_3d.energy import SparseLayerOps, sparse_conv_ops, sparse_energy
from spike_3d.layers import (
    IntSpike,
    SparseAvgPool3d,
    SparseBatchNorm,
    SparseIntLIF,
    SparseLinear,
    SparseMaxPool3d,
    global_avg_pool,
    global_max_pool,
    sparse_cat,
)
from spike_3d.rulebook import (
    Rulebook,
    coordinate_keys,
    inverse_rulebook,
    strided_rulebook,
    submanifold_rulebook,
)
from spike_3d.segmentation import DecoderLevel, E3DSNNSeg, E3DSNNSegConfig
from spike_3d.sparse import SparseVoxelTensor
from spike_3d.train import TrainResult, collate_point_clouds, evaluate_classifier, train_classifier
from spike_3d.voxel import check_points, grid_sample, voxelize, voxelize_in_range

__version__ = _version("spike-3d")

__all__ = [
    "E3DSNN",
    "SHAPE_CLASSES",
    "BasicBlock",
    "DecoderLevel",
    "DownBlock",
    "E3DSNNConfig",
    "E3DSNNDetBackbone",
    "E3DSNNDetConfig",
    "E3DSNNSeg",
    "E3DSNNSegConfig",
    "IntSpike",
    "ModelNet40",
    "NeuronConfig",
    "Rulebook",
    "SparseAvgPool3d",
    "SparseBatchNorm",
    "SparseConv3d",
    "SparseIntLIF",
    "SparseInverseConv3d",
    "SparseLayerOps",
    "SparseLinear",
    "SparseMaxPool3d",
    "SparseVoxelTensor",
    "SpikeBEVBackbone",
    "SpikeBEVConfig",
    "SpikeStem",
    "SpikeSubMBranch",
    "SubMConv3d",
    "SyntheticShapes",
    "TrainResult",
    "__version__",
    "check_points",
    "collate_point_clouds",
    "coordinate_keys",
    "evaluate_classifier",
    "farthest_point_sample",
    "generate_anchors",
    "global_avg_pool",
    "global_max_pool",
    "grid_sample",
    "height_compression",
    "inverse_rulebook",
    "normalize_coord",
    "random_rotate",
    "random_scale",
    "random_shift",
    "random_sparse_input",
    "read_modelnet_txt",
    "read_off",
    "sample_mesh",
    "sample_shape",
    "sparse_cat",
    "sparse_conv",
    "sparse_conv_ops",
    "sparse_energy",
    "strided_rulebook",
    "submanifold_rulebook",
    "train_classifier",
    "voxelize",
    "voxelize_in_range",
]
