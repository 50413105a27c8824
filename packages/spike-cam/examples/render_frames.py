"""Render the embedded synthetic gestures as a frame grid (one row per gesture, ON - OFF counts).

Run: uv run python packages/spike-cam/examples/render_frames.py [--out docs/figures/cam_gestures.png]
Needs matplotlib (``spike-cam[plot]``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from spike_cam import GESTURES, SyntheticGestures, to_frames


def main() -> None:
    """Render one recording of each gesture into ``--bins`` frames and save the grid."""
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=Path("docs/figures/cam_gestures.png"))
    p.add_argument("--bins", type=int, default=6)
    p.add_argument("--size", type=int, default=32)
    a = p.parse_args()
    try:
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise SystemExit("needs matplotlib: install the extra spike-cam[plot]") from e
    data = SyntheticGestures(samples_per_class=1, size=a.size, frames=24, seed=0)
    fig, axes = plt.subplots(
        len(GESTURES), a.bins, figsize=(1.3 * a.bins + 1.2, 1.3 * len(GESTURES)), squeeze=False
    )
    for row, (ev, label) in enumerate(data):
        fr = to_frames(ev, (a.size, a.size), n_bins=a.bins)
        img = (fr[:, 1] - fr[:, 0]).numpy()  # ON - OFF per time bin
        lim = max(float(abs(img).max()), 1.0)
        for col in range(a.bins):
            ax = axes[row, col]
            ax.imshow(img[col], cmap="bwr", vmin=-lim, vmax=lim)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"bin {col}", fontsize=8)
        axes[row, 0].set_ylabel(f"{GESTURES[label]}\n{len(ev)} ev", fontsize=7)
    fig.suptitle("synthetic gestures: ON (red) - OFF (blue) event counts", fontsize=9)
    fig.tight_layout()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=a.out.parent)
    os.close(fd)
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    Path(tmp).replace(a.out)  # atomic
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
