"""Train a tiny spiking detector on the embedded digit-detection task (CPU, a few minutes).

Usage::

    uv run python packages/spike-vision/scripts/train_tiny_detector.py --steps 400

Prints mAP@0.5 / mAP@0.5:0.95 on a held-out set before training and after every
``--eval-every`` steps.
"""

from __future__ import annotations

import argparse
import time

import torch

from spike_vision import (
    SpikingDetector,
    SpikingDetectorConfig,
    evaluate_detector,
    make_detection_dataset,
    train_detector,
)


def main() -> None:
    """Parse arguments, train, print the metrics."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--train-images", type=int, default=256)
    p.add_argument("--val-images", type=int, default=64)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    kw = {"image_size": a.image_size, "num_classes": a.classes}
    train = make_detection_dataset(a.train_images, seed=a.seed, **kw)
    val = make_detection_dataset(a.val_images, seed=a.seed + 1, **kw)
    model = SpikingDetector(
        SpikingDetectorConfig(
            embed_dims=(16, 32, 32, 32),
            depths=(1, 1),
            num_heads=2,
            p5_channels=32,
            neck_widths=(16, 16, 16, 16),
            num_classes=a.classes,
            img_size=a.image_size,
            time_steps=1,
        )
    )
    print(f"params {sum(p.numel() for p in model.parameters()):,}")
    m = evaluate_detector(model, val)
    print(f"step 0: mAP50 {m['map50']:.4f} mAP50-95 {m['map']:.4f}", flush=True)
    t0 = time.time()
    done = 0
    while done < a.steps:
        n = min(a.eval_every, a.steps - done)
        losses = train_detector(
            model, train, steps=n, batch_size=a.batch_size, lr=a.lr, seed=a.seed + done
        )
        done += n
        m = evaluate_detector(model, val)
        print(
            f"step {done}: loss {sum(losses[-10:]) / len(losses[-10:]):.3f} "
            f"mAP50 {m['map50']:.4f} mAP50-95 {m['map']:.4f} P {m['precision']:.3f} "
            f"R {m['recall']:.3f} ({time.time() - t0:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
