"""Event-camera data on torch.

The canonical event array, file readers/writers, transforms, a synthetic DVS source,
DVS128 Gesture, and time-major collation.

Events are a structured NumPy array ``(t µs, x, y, p)`` (see :data:`EVENT_DTYPE`) on disk and
in readers, and an ``[N, 4]`` int64 tensor in the torch transforms; frames are time-major
``[T, B, 2, H, W]`` after :func:`collate_time_major`.
"""

from importlib.metadata import version as _version

from spike_cam.clouds import event_windows, normalize_cloud, resample, to_points
from spike_cam.data import DVS128Gesture, collate_time_major, slice_labels
from spike_cam.events import (
    EVENT_DTYPE,
    EventFormatError,
    check_events,
    events_to_tensor,
    make_events,
    tensor_to_events,
)
from spike_cam.io import (
    decode_polarity,
    read_aedat4,
    read_aedat31,
    read_csv,
    read_events,
    read_hdf5,
    read_npy,
    read_npz,
    write_aedat4,
    write_aedat31,
    write_csv,
    write_events,
    write_hdf5,
    write_npy,
    write_npz,
)
from spike_cam.spikepoint import SpikePoint, SpikePointConfig
from spike_cam.spikmamba import PatchEmbed, SpikeSLA, SpikMamba, SpikMambaConfig, linear_attention
from spike_cam.synthetic import GESTURES, SyntheticGestures, frames_to_events, render_gesture
from spike_cam.transforms import (
    Compose,
    crop,
    denoise,
    downsample,
    flip_lr,
    flip_ud,
    merge_polarity,
    refractory,
    slice_by_count,
    slice_by_time,
    time_surface,
    time_windows,
    to_frames,
    voxel_grid,
)

__version__ = _version("spike-cam")

__all__ = [
    "EVENT_DTYPE",
    "GESTURES",
    "Compose",
    "DVS128Gesture",
    "EventFormatError",
    "PatchEmbed",
    "SpikMamba",
    "SpikMambaConfig",
    "SpikePoint",
    "SpikePointConfig",
    "SpikeSLA",
    "SyntheticGestures",
    "__version__",
    "check_events",
    "collate_time_major",
    "crop",
    "decode_polarity",
    "denoise",
    "downsample",
    "event_windows",
    "events_to_tensor",
    "flip_lr",
    "flip_ud",
    "frames_to_events",
    "linear_attention",
    "make_events",
    "merge_polarity",
    "normalize_cloud",
    "read_aedat4",
    "read_aedat31",
    "read_csv",
    "read_events",
    "read_hdf5",
    "read_npy",
    "read_npz",
    "refractory",
    "render_gesture",
    "resample",
    "slice_by_count",
    "slice_by_time",
    "slice_labels",
    "tensor_to_events",
    "time_surface",
    "time_windows",
    "to_frames",
    "to_points",
    "voxel_grid",
    "write_aedat4",
    "write_aedat31",
    "write_csv",
    "write_events",
    "write_hdf5",
    "write_npy",
    "write_npz",
]
