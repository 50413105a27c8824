"""``spike pointcloud``: train an E-3DSNN classifier on the embedded synthetic shapes (CPU)."""

from __future__ import annotations

import argparse
import time

NAME = "pointcloud"
HELP = "Train an E-3DSNN point-cloud classifier on generated 3D shapes and print its accuracy."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the synthetic-shape training run."""
    parser.add_argument("--model", default="e3dsnn-t", help="registered E-3DSNN classifier")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train-samples", type=int, default=600)
    parser.add_argument("--test-samples", type=int, default=120)
    parser.add_argument("--points", type=int, default=256, help="points per shape")
    parser.add_argument("--grid-size", type=float, default=0.05, help="voxel edge (unit sphere)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--optimizer", choices=("adamw", "sgd"), default="sgd")
    parser.add_argument("--lr", type=float, default=None, help="default: 2e-3 adamw, 0.1 sgd")
    parser.add_argument(
        "--rotation", choices=("z", "full", "none"), default="z", help="random shape rotation"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def run(args: argparse.Namespace) -> int:
    """Train, printing one line per epoch and the final test accuracy."""
    import torch

    import spike_3d
    from spike_core import count_parameters, create_model, model_entry

    for name in ("epochs", "train_samples", "test_samples", "points", "batch_size", "threads"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not args.grid_size > 0:
        raise ValueError(f"--grid-size must be > 0, got {args.grid_size}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    classes = spike_3d.SHAPE_CLASSES
    if not isinstance(model_entry(args.model).config, spike_3d.E3DSNNConfig):
        raise ValueError(
            f"--model must be an E-3DSNN classifier (e3dsnn-t, e3dsnn-s, ...), got {args.model!r}"
        )
    model = create_model(args.model, num_classes=len(classes), bn_momentum=0.1)
    train = spike_3d.SyntheticShapes(
        args.train_samples, num_points=args.points, rotation=args.rotation, seed=args.seed
    )
    test = spike_3d.SyntheticShapes(
        args.test_samples, num_points=args.points, rotation=args.rotation, seed=args.seed + 10_000
    )
    lr = args.lr if args.lr is not None else (2e-3 if args.optimizer == "adamw" else 0.1)
    wd = 0.01 if args.optimizer == "adamw" else 1e-3
    print(
        f"{args.model}: {count_parameters(model):,} parameters, classes {', '.join(classes)}; "
        f"{args.train_samples} train / {args.test_samples} test shapes of {args.points} points"
    )
    print(f"{'epoch':>5} {'loss':>7} {'train acc':>9} {'test acc':>8} {'time s':>7}")
    start = time.perf_counter()

    def show(rec: dict[str, float]) -> None:
        print(
            f"{int(rec['epoch']):>5} {rec['loss']:>7.3f} {rec['train_accuracy']:>9.3f} "
            f"{rec['test_accuracy']:>8.3f} {time.perf_counter() - start:>7.1f}",
            flush=True,
        )

    result = spike_3d.train_classifier(
        model,
        train,
        test,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=lr,
        weight_decay=wd,
        optimizer=args.optimizer,
        grid_size=args.grid_size,
        seed=args.seed,
        callback=show,
    )
    print(f"test accuracy: {result.test_accuracy:.3f}")
    return 0
