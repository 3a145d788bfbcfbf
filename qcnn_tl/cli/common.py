"""Shared by several subcommands: data folders, seeds, positive counts, torch threads, the loss curve."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from qcnn_tl._validate import SEED_LIMIT
from qcnn_tl.cnn.backbone import BackboneSpec
from qcnn_tl.cnn.task_data import TaskData, task_data, trained_feature_map
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``, ``--download``, ``--cache-dir``."""
    parser.add_argument(
        "--data-dir",
        help="dataset root in torchvision's layout (default: $QCNN_TL_DATA or the user cache)",
    )
    parser.add_argument("--download", action="store_true", help="let torchvision download missing datasets")
    parser.add_argument(
        "--cache-dir",
        help="cache for CNN checkpoints and features (default: $QCNN_TL_CACHE or ~/.cache/qcnn_tl)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_backbone_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backbone`` and its options (:class:`~qcnn_tl.cnn.backbone.BackboneSpec`), read by :func:`backbone_from`."""
    parser.add_argument(
        "--backbone",
        default="cnn:fashion_mnist",
        help="frozen feature extractor: cnn:fashion_mnist (the shipped CNNs, default), cnn:<dataset> (the project's "
        "CNN pre-trained on another dataset), export:FILE.pt2, torchscript:FILE, module:PKG.MOD:FACTORY, or none "
        "(arrays of features)",
    )
    parser.add_argument("--backbone-weights", metavar="FILE", help="state_dict of a module: backbone")
    parser.add_argument(
        "--backbone-layer", metavar="NAME", help="sub-module of a module: backbone whose output is the feature vector"
    )
    parser.add_argument(
        "--backbone-input",
        type=_shape,
        metavar="C,H,W",
        help="image shape an export/torchscript/module backbone takes (default: the data's own)",
    )
    parser.add_argument("--backbone-mean", type=_numbers, metavar="M[,M,M]", help="per-channel mean to subtract")
    parser.add_argument("--backbone-std", type=_numbers, metavar="S[,S,S]", help="per-channel std to divide by")


def backbone_from(args: argparse.Namespace) -> BackboneSpec:
    """The backbone named by :func:`add_backbone_arguments`' flags.

    Raises:
        ValueError: On a malformed backbone or options it does not take.
    """
    return BackboneSpec(
        args.backbone,
        weights=args.backbone_weights,
        layer=args.backbone_layer,
        input_shape=args.backbone_input,
        mean=args.backbone_mean,
        std=args.backbone_std,
    )


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be numbers separated by commas; got {text!r}") from None


def _shape(text: str) -> tuple[int, int, int]:
    parts = text.replace("x", ",").split(",")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"must be three positive integers C,H,W (e.g. 3,224,224); got {text!r}")
    channels, height, width = (int(p) for p in parts)
    return channels, height, width


def data_for(config: TrainConfig, args: argparse.Namespace, trained: RunResult[TrainConfig] | None = None) -> TaskData:
    """The task's cached features, located by the data arguments.

    Args:
        config: The run's settings.
        args: The parsed data arguments.
        trained: A trained model whose features these are (evaluation, fine-tuning): its stored feature map is
            applied as it is, never fitted again.
    """
    return task_data(
        config,
        data_dir=args.data_dir,
        download=args.download,
        cache_dir=args.cache_dir,
        progress=not args.quiet,
        feature_map=None if trained is None else trained_feature_map(trained),
        fit=trained is None,
    )


def seed_type(text: str) -> int:
    """The argparse ``type`` of every ``--seed``: an integer in ``[0, 2**63)``.

    Raises:
        argparse.ArgumentTypeError: On anything else (argparse prints it with the option's name).
    """
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**63); got {text!r}")
    return value


def positive_int(text: str) -> int:
    """The argparse ``type`` of counts (``--workers``, ``--threads``, ``--steps``): an integer ≥ 1.

    Raises:
        argparse.ArgumentTypeError: On anything else.
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def add_threads_argument(parser: argparse.ArgumentParser, *, what: str = "") -> None:
    """``--threads N`` (default 1), applied by :func:`set_threads`."""
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        metavar="N",
        help=f"torch threads{what} (default 1: the fastest for this engine, and robust to other load)",
    )


def set_threads(args: argparse.Namespace) -> None:
    """Sets torch's intra-op thread count to ``args.threads``; call first thing in a command."""
    import torch

    torch.set_num_threads(args.threads)


def write_loss_curve(result: RunResult[TrainConfig], out_dir: str | os.PathLike[str]) -> Path:
    """``loss.png`` of a training run's ``result`` in ``out_dir``."""
    from qcnn_tl.reports.plots import loss_curve

    config = result.config
    how = config.noise or config.backend or "noiseless"
    title = f"{result.model.name} on {config.task} ({how})"
    return loss_curve(result.loss_history, Path(out_dir) / "loss.png", title=title)
