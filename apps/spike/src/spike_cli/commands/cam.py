"""``spike events``: inspect an event file and render its frames to PNG or an animated GIF."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "events"
HELP = "Inspect an event-camera file (counts, duration, rate, resolution) and render frames."


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected W,H, got {text!r}") from None
    return w, h


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``spike events``."""
    parser.add_argument("file", type=Path, help=".aedat, .aedat4, .npy, .npz, .csv/.txt, .h5")
    parser.add_argument("--sensor", type=_size, help="sensor W,H (default: from the file or data)")
    parser.add_argument("--columns", default="t,x,y,p", help="CSV column order")
    parser.add_argument("--bins", type=int, default=8, help="frames to render")
    parser.add_argument("--png", type=Path, help="write a frame grid")
    parser.add_argument("--gif", type=Path, help="write an animated GIF")


def run(args: argparse.Namespace) -> int:
    """Read, summarise, render."""
    import numpy as np

    import spike_cam

    kwargs = {"columns": args.columns} if args.file.suffix.lower() in (".csv", ".txt") else {}
    ev = spike_cam.read_events(args.file, **kwargs)
    if args.bins < 1:
        raise ValueError(f"--bins must be >= 1, got {args.bins}")
    n = len(ev)
    dur = float(ev["t"][-1] - ev["t"][0]) / 1e6 if n else 0.0
    if args.sensor:
        W, H = args.sensor
    else:
        W = int(ev["x"].max()) + 1 if n else 0
        H = int(ev["y"].max()) + 1 if n else 0
    print(f"file:       {args.file}")
    print(f"events:     {n:,}")
    print(f"duration:   {dur:.6f} s")
    print(f"rate:       {n / dur if dur else 0.0:,.0f} events/s")
    print(f"resolution: {W} x {H}{'' if args.sensor else ' (from the data)'}")
    if n:
        print(f"ON events:  {float(np.mean(ev['p'])) * 100:.1f} %")
    if (args.png or args.gif) and n:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from spike_core.plot import save_figure

        frames = spike_cam.to_frames(spike_cam.events_to_tensor(ev), (W, H), n_bins=args.bins)
        img = (frames[:, 1] - frames[:, 0]).numpy()  # ON - OFF
        lim = max(float(np.abs(img).max()), 1.0)
        if args.png:
            cols = min(args.bins, 4)
            rows = -(-args.bins // cols)
            fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.2 * rows), squeeze=False)
            for i, ax in enumerate(axes.flat):
                ax.axis("off")
                if i < args.bins:
                    ax.imshow(img[i], cmap="bwr", vmin=-lim, vmax=lim)
                    ax.set_title(f"bin {i}", fontsize=8)
            fig.tight_layout()
            save_figure(fig, args.png)
            plt.close(fig)
            print(f"PNG: {args.png}")
        if args.gif:
            from matplotlib.animation import FuncAnimation, PillowWriter

            fig, ax = plt.subplots(figsize=(3, 3))
            ax.axis("off")
            im = ax.imshow(img[0], cmap="bwr", vmin=-lim, vmax=lim)

            def draw(i: int) -> list[Any]:
                im.set_data(img[i])
                return [im]

            anim = FuncAnimation(fig, draw, frames=args.bins)
            gif = Path(args.gif)
            tmp = gif.with_name(f".{gif.name}.tmp.gif")
            try:  # write beside the target, then rename: never a half-written GIF
                anim.save(str(tmp), writer=PillowWriter(fps=4))
                tmp.replace(gif)
            finally:
                tmp.unlink(missing_ok=True)
            plt.close(fig)
            print(f"GIF: {args.gif}")
    return 0
