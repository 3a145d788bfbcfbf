"""Arguments shared by several subcommands."""

from __future__ import annotations

import argparse

from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import TaskData, task_data


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


def data_for(config: TrainConfig, args: argparse.Namespace) -> TaskData:
    """The task's cached features, located by the data arguments."""
    return task_data(
        config, data_dir=args.data_dir, download=args.download, cache_dir=args.cache_dir, progress=not args.quiet
    )
