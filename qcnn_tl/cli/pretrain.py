"""``qcnn-tl pretrain``: train the project's CNN on a source dataset and save its checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qcnn_tl._io import check_writable
from qcnn_tl.cli.common import add_data_arguments, add_threads_argument, seed_type, set_threads
from qcnn_tl.cnn.pretrain import PretrainConfig, pretrain
from qcnn_tl.data.datasets import default_cache_dir


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser(
        "pretrain", help="pre-train the project's CNN, on Fashion-MNIST or another dataset (docs/method.md, *CNN*)"
    )
    p.add_argument(
        "--dataset",
        default="fashion_mnist",
        help="source dataset (any --dataset of train, e.g. mnist); train then uses it as --backbone cnn:<dataset>",
    )
    p.add_argument(
        "--features",
        type=int,
        default=256,
        help="feature width F: the encoding's (256 amplitude, 8 angle, 12-32 others)",
    )
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=seed_type, default=0)
    p.add_argument("--train-subset", type=int, help="use only the first N training images")
    p.add_argument("--out", help="checkpoint path (default: the cache, where `run`/`train` look)")
    add_data_arguments(p)
    add_threads_argument(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    config = PretrainConfig(
        num_features=args.features,
        epochs=args.epochs,
        seed=args.seed,
        train_subset=args.train_subset,
        dataset=args.dataset,
    )
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    out = check_writable(args.out or cache / "cnn" / config.cache_name(), "--out" if args.out else "--cache-dir")
    set_threads(args)
    ckpt = pretrain(config, data_dir=args.data_dir, download=args.download, out=out, progress=not args.quiet)
    meta = ckpt.metadata
    print(
        f"{config.dataset} test accuracy: {meta['test_accuracy']:.4f} "
        f"(best training accuracy {meta['train_accuracy']:.4f})"
    )
    print(f"checkpoint: {ckpt.path}  hash: {ckpt.content_hash[:16]}")
    print(json.dumps({k: meta[k] for k in ("dataset", "num_features", "epochs", "seed", "test_accuracy")}))
    return 0
