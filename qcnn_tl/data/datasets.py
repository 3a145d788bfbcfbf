"""MNIST and Fashion-MNIST through ``torchvision.datasets``, from a data root that is found, not guessed.

The root comes from ``--data-dir``, else the ``QCNN_TL_DATA`` environment variable, else
``~/.cache/qcnn_tl/data``. Nothing is downloaded unless the caller asks (``download=True``).
"""

from __future__ import annotations

import math
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
        QcnnTlError: If the files are missing and ``download`` is false (naming the missing files), a file
            is truncated or corrupt (naming it), or torchvision cannot read them.
    """
    if name not in _CLASSES:
        raise ValueError(f"unknown dataset {name!r}; expected one of: {', '.join(_CLASSES)}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    cls = _CLASSES[name]
    root = resolve_data_dir(data_dir)
    raw = root / cls.__name__ / "raw"
    if not download:
        missing = [f for f in _raw_files(cls) if not (raw / f).is_file()]
        if missing:
            raise QcnnTlError(
                f"{cls.__name__} {split} data not found under {root} (missing in {raw}: {', '.join(missing)}). "
                f"Pass --data-dir (or set {DATA_ENV}) to a folder in torchvision's layout, "
                "or add --download to fetch it."
            )
        prefix = "train" if split == "train" else "t10k"
        for file in (raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"):
            problem = _idx_problem(file)
            if problem:
                raise QcnnTlError(
                    f"{file} is corrupt or truncated ({problem}); replace it, or delete it and add --download "
                    "to fetch it again"
                )
    try:
        dataset = cls(root=str(root), train=split == "train", download=download)
    except (RuntimeError, ValueError, OSError) as exc:
        raise QcnnTlError(f"cannot read the {cls.__name__} {split} data under {raw}: {exc}") from exc
    images = dataset.data.unsqueeze(1).to(torch.float32) / 255.0
    return images, dataset.targets.clone()


def _raw_files(cls: type[datasets.MNIST]) -> list[str]:
    """The uncompressed files torchvision needs in ``<root>/<Dataset>/raw`` (both splits)."""
    return [Path(url).name.removesuffix(".gz") for url, _ in cls.resources]


def _idx_problem(path: Path) -> str | None:
    """What is wrong with an IDX file of unsigned bytes (MNIST's format), or None if its size matches."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(4)
        if len(header) < 4 or header[:3] != b"\x00\x00\x08" or not 1 <= header[3] <= 4:
            return f"{size} bytes, not an IDX file of unsigned bytes"
        shape_bytes = handle.read(4 * header[3])
    if len(shape_bytes) < 4 * header[3]:
        return f"{size} bytes, shorter than its header"
    shape = [int.from_bytes(shape_bytes[i : i + 4], "big") for i in range(0, len(shape_bytes), 4)]
    expected = 4 + 4 * len(shape) + math.prod(shape)
    if size != expected:
        return f"{size} bytes; its header announces shape {tuple(shape)}, i.e. {expected} bytes"
    return None
