"""Point-cloud data: ModelNet40 from a local folder, embedded synthetic shapes, transforms."""

from spike_3d.data.modelnet import ModelNet40, read_modelnet_txt, read_off, sample_mesh
from spike_3d.data.synthetic import SHAPE_CLASSES, SyntheticShapes, sample_shape
from spike_3d.data.transforms import (
    farthest_point_sample,
    normalize_coord,
    random_rotate,
    random_scale,
    random_shift,
)

__all__ = [
    "SHAPE_CLASSES",
    "ModelNet40",
    "SyntheticShapes",
    "farthest_point_sample",
    "normalize_coord",
    "random_rotate",
    "random_scale",
    "random_shift",
    "read_modelnet_txt",
    "read_off",
    "sample_mesh",
    "sample_shape",
]
