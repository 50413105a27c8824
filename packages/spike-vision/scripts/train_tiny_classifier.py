"""Train a tiny Spikformer on the embedded digit-classification images (CPU).

Usage::

    uv run python packages/spike-vision/scripts/train_tiny_classifier.py --steps 300

Prints held-out top-1 accuracy before and after training.
"""

from __future__ import annotations

import argparse
import time

import torch

from spike_core import create_model
from spike_vision import make_digit_classification, top1_accuracy, train_classifier


def main() -> None:
    """Parse arguments, train, print the accuracy."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="spikformer-4-384-cifar10")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--train-images", type=int, default=1024)
    p.add_argument("--val-images", type=int, default=256)
    p.add_argument("--time-steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y = make_digit_classification(a.train_images, seed=0)
    xv, yv = make_digit_classification(a.val_images, seed=1)
    model = create_model(a.model, depth=1, embed_dim=64, num_heads=4, num_classes=10)
    print(f"{a.model} (1 x 64) params {sum(q.numel() for q in model.parameters()):,}")
    print(f"before: top-1 {top1_accuracy(model, xv, yv, time_steps=a.time_steps):.3f}")
    t0 = time.time()
    losses = train_classifier(model, x, y, time_steps=a.time_steps, steps=a.steps, batch_size=32)
    acc = top1_accuracy(model, xv, yv, time_steps=a.time_steps)
    print(f"after {a.steps} steps: loss {sum(losses[-20:]) / 20:.3f} top-1 {acc:.3f} "
          f"({time.time() - t0:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
