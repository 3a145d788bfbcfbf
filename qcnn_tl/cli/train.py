"""``qcnn-tl train``: train one QCNN on a binary MNIST task."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qcnn_tl.cli.common import add_data_arguments, data_for
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """The :class:`TrainConfig` flags."""
    d = TrainConfig()
    p.add_argument("--ansatz", default=d.ansatz)
    p.add_argument("--pooling", default=d.pooling)
    p.add_argument("--encoding", default=d.encoding)
    p.add_argument(
        "--task",
        default=d.task,
        help="'a,b' digit pair, 'odd-even' or 'gt4' (label 1 = first class)",
    )
    p.add_argument("--engine", default=d.engine, help="exact | aer")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--loss", default=d.loss, help="cross_entropy | mse")
    p.add_argument("--reduction", default=d.reduction, help="sum (reference code) | mean")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--cnn-epochs", type=int, default=d.cnn_epochs)


def config_from(args: argparse.Namespace) -> TrainConfig:
    """Builds the validated configuration from parsed flags."""
    return TrainConfig(
        ansatz=args.ansatz,
        pooling=args.pooling,
        encoding=args.encoding,
        task=args.task,
        engine=args.engine,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        loss=args.loss,
        reduction=args.reduction,
        seed=args.seed,
        cnn_epochs=args.cnn_epochs,
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("train", help="train one QCNN (results JSON + loss PNG)")
    add_config_arguments(p)
    p.add_argument("--out", default="runs/train", help="output folder (resumes if it holds a checkpoint)")
    add_data_arguments(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    config = config_from(args)
    data = data_for(config, args)
    result = run_training(config, args.out, data=data, progress=not args.quiet)
    print(json.dumps({k: result[k] for k in ("train_accuracy", "test_accuracy", "wall_time_s")}))
    print(f"results: {Path(args.out) / 'result.json'}")
    return 0
