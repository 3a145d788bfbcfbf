"""MNIST and Fashion-MNIST through ``torchvision.datasets``, from a data root that is found, not guessed.

The root comes from ``--data-dir``, else the ``QCNN_TL_DATA`` environment variable, else
``~/.cache/qcnn_tl/data``. Nothing is downloaded unless the caller asks (``download=True``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import torch
from torchvision import datasets

from qcnn_tl._paths import default_cache_dir
from qcnn_tl.errors import QcnnTlError

__all__ = ["default_cache_dir", "load_images", "resolve_data_dir"]

DatasetName = Literal["mnist", "fashion_mnist"]
Split = Literal["train", "test"]
_CLASSES = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}
DATA_ENV = "QCNN_TL_DATA"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data root: ``data_dir``, else ``$QCNN_TL_DATA``, else ``<cache>/data``."""
    if data_dir is not None:
        return Path(data_dir)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return default_cache_dir() / "data"


def load_images(
    name: DatasetName,
    split: Split,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loads a whole split as tensors.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"``.
        split: ``"train"`` or ``"test"``.
        data_dir: Root in torchvision's layout (``<root>/MNIST/raw/...``); see :func:`resolve_data_dir`.
        download: Let torchvision download missing files.

    Returns:
        Images ``(N, 1, 28, 28)`` as float32 in [0, 1], and integer labels ``(N,)``.

    Raises:
        ValueError: On an unknown ``name`` or ``split``.
        QcnnTlError: If the files are missing and ``download`` is false.
    """
    if name not in _CLASSES:
        raise ValueError(f"unknown dataset {name!r}; expected one of: {', '.join(_CLASSES)}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    root = resolve_data_dir(data_dir)
    try:
        dataset = _CLASSES[name](root=str(root), train=split == "train", download=download)
    except RuntimeError as exc:
        folder = _CLASSES[name].__name__
        raise QcnnTlError(
            f"{folder} {split} data not found under {root} (looked for {root / folder / 'raw'}). "
            f"Pass --data-dir (or set {DATA_ENV}) to a folder in torchvision's layout, "
            "or add --download to fetch it."
        ) from exc
    images = dataset.data.unsqueeze(1).to(torch.float32) / 255.0
    return images, dataset.targets.clone()
