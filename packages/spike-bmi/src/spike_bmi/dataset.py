"""The NeuroBench primate-reaching data set (``PrimateReaching``) and its synthetic twin.

Pre-processing follows NeuroBench exactly (spec §2.4): 4 ms binary spike train on the grid
``arange(t[0] - bin_width, t[-1], 0.004)`` (a spike sets the bin's upper edge), units OR-ed per
channel, counts over ``bin_width`` by a "valid" running sum, cursor velocity by
``torch.gradient`` (per 4 ms sample), reach segments from target changes, and a chronological
train/validation/test split of the segments.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from spike_bmi._preprocess import (
    bin_counts,
    binary_spike_train,
    combine_units,
    split_indices,
    steps_of,
    time_grid,
    time_segments,
    velocity_labels,
)
from spike_bmi.matfile import RawReaching, read_reaching_mat
from spike_bmi.synthetic import SyntheticReachingConfig, simulate_reaching

__all__ = ["PrimateReaching", "ReachingSession", "synthetic_session"]

_SPLITS = ("train", "val", "test")


class ReachingSession:
    """A pre-processed reaching session with NeuroBench's indexing and splits.

    Args:
        raw: the session's variables (from a ``.mat`` file or the generator).
        bin_width: spike-count window in seconds (a multiple of 4 ms).
        stride: step between samples of a split in seconds (a multiple of 4 ms).
        num_steps: binning windows per item (``__getitem__``), most recent first.
        train_ratio: fraction of segments used for training.
        biological_delay: samples by which labels lag the spikes.
        spike_sorting: keep units as separate features instead of OR-ing them.
        remove_segments_inactive: drop segments of ``max_segment_length`` samples or more.
        split_num: number of chronological chunks, each split train/val/test.
        max_segment_length: see ``remove_segments_inactive``.

    Attributes:
        samples: ``[features, K']`` float32 spike counts (NeuroBench orientation).
        labels: ``[2, K'']`` float32 velocity per 4 ms sample.
        spike_train: ``[features, len(new_t)]`` binary 4 ms train before binning.
        new_t: the histogram grid.
        time_segments: ``[S, 2]`` segment bounds.
        ind_train, ind_val, ind_test: sample indices of the splits.

    Raises:
        ValueError: for a bin width or stride that is not a whole multiple of 4 ms, or longer
            than the recording (the message names the source).
    """

    def __init__(
        self,
        raw: RawReaching,
        *,
        bin_width: float = 0.004,
        stride: float = 0.004,
        num_steps: int = 1,
        train_ratio: float = 0.5,
        biological_delay: int = 0,
        spike_sorting: bool = False,
        remove_segments_inactive: bool = False,
        split_num: int = 1,
        max_segment_length: int = 2000,
    ) -> None:
        src = raw.source
        raw.validate()
        self.ratio = steps_of(bin_width, "bin_width", src)
        self.stride_steps = steps_of(stride, "stride", src)
        duration = raw.t[-1] - raw.t[0]
        if bin_width > duration:
            raise ValueError(
                f"{src}: bin_width={bin_width} s is longer than the recording in 't' ({duration:.3f} s)"
            )
        if not (isinstance(num_steps, int) and num_steps >= 1):
            raise ValueError(f"num_steps must be an int >= 1, got {num_steps!r}")
        if not 0.0 <= train_ratio <= 1.0:
            raise ValueError(f"train_ratio must be in [0, 1], got {train_ratio!r}")
        if not (isinstance(biological_delay, int) and 0 <= biological_delay < raw.t.size):
            raise ValueError(f"biological_delay must be an int in [0, K), got {biological_delay!r}")
        if not (isinstance(split_num, int) and split_num >= 1):
            raise ValueError(f"split_num must be an int >= 1, got {split_num!r}")
        self.source = src
        self.bin_width = float(bin_width)
        self.num_steps = num_steps
        self.new_t = time_grid(raw.t, bin_width)
        train = binary_spike_train(raw.spikes, self.new_t)
        self.spike_train = combine_units(train, spike_sorting=spike_sorting)
        self.samples = torch.from_numpy(bin_counts(self.spike_train, self.ratio)).float()
        self.labels = velocity_labels(raw.cursor_pos)
        self.cursor_pos = torch.from_numpy(raw.cursor_pos).float()
        if biological_delay > 0:
            self.samples = self.samples[:, :-biological_delay]
            self.labels = self.labels[:, biological_delay:]
        self.time_segments = time_segments(raw.target_pos)
        lengths = self.time_segments[:, 1] - self.time_segments[:, 0]
        valid = (
            np.nonzero(lengths < max_segment_length)[0]
            if remove_segments_inactive and max_segment_length > 0
            else None
        )
        self.ind_train, self.ind_val, self.ind_test = split_indices(
            self.time_segments,
            train_ratio=train_ratio,
            split_num=split_num,
            stride_steps=self.stride_steps,
            valid=valid,
        )

    @property
    def n_channels(self) -> int:
        """Input features per time step (channels, or units with spike sorting)."""
        return int(self.samples.shape[0])

    def __len__(self) -> int:
        return len(self.ind_train) + len(self.ind_val) + len(self.ind_test)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """NeuroBench item: ``samples[:, idx - j * ratio]`` for ``j < num_steps`` and ``labels[:, idx]``.

        Returns:
            ``([num_steps, features], [2])``, the most recent window first.
        """
        mask = idx - np.arange(self.num_steps) * self.ratio
        return self.samples[:, mask].T, self.labels[:, idx]

    def indices(self, split: str) -> list[int]:
        """Sample indices of ``split`` (``"train"``, ``"val"`` or ``"test"``)."""
        if split not in _SPLITS:
            raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
        return {"train": self.ind_train, "val": self.ind_val, "test": self.ind_test}[split]

    def split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole split in time order as one streaming batch (NeuroBench's test batch).

        Args:
            split: ``"train"``, ``"val"`` or ``"test"``.

        Returns:
            ``(x, y)``: inputs ``[T, 1, features]`` and velocity labels ``[T, 1, 2]``
            (time-major, ``B = 1``).
        """
        idx = torch.as_tensor(self.indices(split), dtype=torch.long)
        if idx.numel() == 0:
            raise ValueError(f"{self.source}: the {split!r} split is empty")
        x = self.samples[:, idx].T.unsqueeze(1).contiguous()
        y = self.labels[:, idx].T.unsqueeze(1).contiguous()
        return x, y


class PrimateReaching(ReachingSession):
    """A NeuroBench primate-reaching session read from a local MATLAB v7.3 ``.mat`` file.

    The channel count is inferred from the data; a file named ``indy_*`` (96 channels) or
    ``loco_*`` (192 channels) with another count only warns. Keyword arguments as
    :class:`ReachingSession` (NeuroBench benchmark values are the defaults).

    Args:
        path: the ``.mat`` file.
        **kwargs: pre-processing options of :class:`ReachingSession`.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: for a corrupt file, a missing variable, mismatched lengths, NaN spike times or
            a bad bin width (naming the file and the variable).

    Examples:
        >>> import tempfile, pathlib
        >>> from spike_bmi import make_fake_reaching_mat
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> ds = PrimateReaching(make_fake_reaching_mat(d / "indy_fake.mat", n_reaches=8))
        >>> x, y = ds.split("test")
        >>> x.shape[1:], y.shape[1:]
        (torch.Size([1, 4]), torch.Size([1, 2]))
    """

    def __init__(self, path: str | os.PathLike[str], **kwargs: object) -> None:
        raw = read_reaching_mat(path)
        name = Path(path).name.lower()
        expected = 96 if "indy" in name else 192 if "loco" in name else None
        if expected is None:
            warnings.warn(
                f"{path}: file name contains neither 'indy' nor 'loco'; channel count "
                f"{raw.n_channels} taken from the data",
                stacklevel=2,
            )
        elif raw.n_channels != expected:
            warnings.warn(
                f"{path}: NeuroBench expects {expected} channels for this monkey, the file has "
                f"{raw.n_channels}",
                stacklevel=2,
            )
        super().__init__(raw, **kwargs)  # type: ignore[arg-type]


def synthetic_session(
    config: SyntheticReachingConfig | None = None, **kwargs: object
) -> ReachingSession:
    """The embedded synthetic data set, pre-processed like a NeuroBench session.

    Args:
        config: generator parameters (default :class:`SyntheticReachingConfig`: 96 channels,
            240 s, mixed centre-out and random-target reaches).
        **kwargs: pre-processing options of :class:`ReachingSession`.

    Returns:
        The :class:`ReachingSession`.
    """
    return ReachingSession(simulate_reaching(config), **kwargs)  # type: ignore[arg-type]
