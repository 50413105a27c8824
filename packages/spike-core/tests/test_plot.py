from __future__ import annotations

import torch

from spike_core import LIF, simulate
from spike_core.plot import membrane_plot, raster_plot


def test_raster_and_membrane_png(tmp_path) -> None:
    x = torch.rand(20, 1, 10) * 2
    spikes, states = simulate(LIF(), x)
    p = raster_plot(spikes, tmp_path / "raster.png")
    q = membrane_plot(states.v, tmp_path / "sub" / "v.png", v_threshold=1.0)
    for path in (tmp_path / "raster.png", tmp_path / "sub" / "v.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert p is not None
    assert q is not None
    assert not list(tmp_path.glob("*.tmp*"))


def test_atomic_writes_replace_whole_files(tmp_path) -> None:
    from spike_core import atomic_write_bytes, atomic_write_text

    target = tmp_path / "deep" / "f.txt"
    atomic_write_text(target, "first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.txt"]  # no temporary left
