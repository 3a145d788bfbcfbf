"""Feature cache: a frozen backbone's features of both splits of a source, computed once and stored on disk.

Files are keyed by the backbone's key (its weights' hash and input preparation) and the source (its name for a
torchvision dataset, whose files the name fixes; the content's SHA-256 for an image folder or arrays), written
atomically, and checked on load (format, keys, sample counts, digest); a stale or truncated file is rebuilt.
A cached torchvision source is not read again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from qcnn_tl._io import atomic_write, tensor_digest
from qcnn_tl.cnn.backbone import Backbone
from qcnn_tl.data.datasets import default_cache_dir
from qcnn_tl.data.sources import LabelledData, load_source, parse_source

log = logging.getLogger(__name__)
FORMAT = "qcnn_tl.features/2"


@dataclass(frozen=True)
class SourceFeatures:
    """A backbone's features of both splits of a source.

    Attributes:
        train_features: ``(N, F)`` float32.
        train_labels: Class indices ``(N,)``.
        test_features: ``(M, F)`` float32.
        test_labels: Class indices ``(M,)``.
        classes: The source's class names.
        split: How train and test were separated.
        transform: How the samples were prepared for the backbone (:meth:`Backbone.transform`).
    """

    train_features: torch.Tensor
    train_labels: torch.Tensor
    test_features: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    split: str
    transform: str


def feature_cache_path(backbone: Backbone, source_key: str, cache_dir: Path) -> Path:
    """Where the features of (backbone, source) are stored."""
    return cache_dir / "features" / backbone.key[:16] / f"{source_key}.pt"


def _source_key(name: str, data: LabelledData | None) -> str:
    if parse_source(name)[0] == "torchvision":
        return name.replace(":", "-")
    assert data is not None
    return f"{parse_source(name)[0]}-{data.fingerprint[:16]}"


def _load_valid(path: Path, backbone: Backbone, source_key: str) -> SourceFeatures | None:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        tensors = [payload[k] for k in ("train_features", "train_labels", "test_features", "test_labels")]
        ok = (
            payload["format"] == FORMAT
            and payload["backbone_key"] == backbone.key
            and payload["source_key"] == source_key
            and payload["digest"] == tensor_digest(*tensors)
        )
    except Exception as exc:
        log.warning("feature cache %s is unreadable (%s); rebuilding it", path, exc)
        return None
    if not ok:
        log.warning("feature cache %s is stale or damaged; rebuilding it", path)
        return None
    train_x, train_y, test_x, test_y = tensors
    return SourceFeatures(
        train_x, train_y, test_x, test_y, tuple(payload["classes"]), payload["split"], payload["transform"]
    )


def source_features(
    backbone: Backbone,
    dataset: str,
    *,
    data: LabelledData | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> SourceFeatures:
    """Features and labels of both splits, from the cache or computed and cached.

    Args:
        backbone: The frozen backbone.
        dataset: The source's ``--dataset`` name.
        data: The source already loaded (else it is loaded when needed).
        data_dir: Data root.
        download: Allow downloading the dataset.
        cache_dir: Cache root (default: the user cache).

    Raises:
        QcnnTlError: If the source cannot be read or the backbone does not run on it (naming which).
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if data is None and parse_source(dataset)[0] != "torchvision":
        data = load_source(dataset, data_dir=data_dir, download=download)
    key = _source_key(dataset, data)
    path = feature_cache_path(backbone, key, root)
    if path.is_file():
        loaded = _load_valid(path, backbone, key)
        if loaded is not None:
            return loaded
    if data is None:
        data = load_source(dataset, data_dir=data_dir, download=download)
    features = SourceFeatures(
        backbone.extract(data.train_x),
        data.train_y,
        backbone.extract(data.test_x),
        data.test_y,
        data.classes,
        data.split,
        backbone.transform(data.sample_shape),
    )
    tensors = (features.train_features, features.train_labels, features.test_features, features.test_labels)
    payload = {
        "format": FORMAT,
        "backbone_key": backbone.key,
        "source_key": key,
        "train_features": features.train_features,
        "train_labels": features.train_labels,
        "test_features": features.test_features,
        "test_labels": features.test_labels,
        "classes": list(features.classes),
        "split": features.split,
        "transform": features.transform,
        "digest": tensor_digest(*tensors),
    }
    atomic_write(path, lambda h: torch.save(payload, h))
    return features
