"""Feature cache: the frozen CNN's features of a dataset split, computed once and stored on disk.

Files are keyed by the checkpoint's content hash, the dataset and the split, written atomically, and
checked on load (format, key, sample count, digest); a stale or truncated file is rebuilt.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from qcnn_tl._io import atomic_write, tensor_digest
from qcnn_tl.cnn.checkpoint import CNNCheckpoint
from qcnn_tl.data.datasets import DatasetName, Split, default_cache_dir, load_images

log = logging.getLogger(__name__)
FORMAT = "qcnn_tl.features/1"


@torch.no_grad()
def extract_features(checkpoint: CNNCheckpoint, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """BatchNorm-output features ``(N, F)`` of ``images`` under the frozen CNN (eval mode)."""
    model = checkpoint.model.eval()
    return torch.cat([model.features(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def feature_cache_path(checkpoint: CNNCheckpoint, dataset: DatasetName, split: Split, cache_dir: Path) -> Path:
    """Where the features of (checkpoint, dataset, split) are stored."""
    return cache_dir / "features" / checkpoint.content_hash[:16] / f"{dataset}-{split}.pt"


def _load_valid(
    path: Path, checkpoint: CNNCheckpoint, dataset: str, split: str
) -> tuple[torch.Tensor, torch.Tensor] | None:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        features, labels = payload["features"], payload["labels"]
        ok = (
            payload["format"] == FORMAT
            and payload["checkpoint_hash"] == checkpoint.content_hash
            and payload["dataset"] == dataset
            and payload["split"] == split
            and len(features) == len(labels) == payload["num_samples"]
            and payload["digest"] == tensor_digest(features, labels)
        )
    except Exception as exc:
        log.warning("feature cache %s is unreadable (%s); rebuilding it", path, exc)
        return None
    if not ok:
        log.warning("feature cache %s is stale or damaged; rebuilding it", path)
        return None
    return features, labels


def cached_features(
    checkpoint: CNNCheckpoint,
    dataset: DatasetName,
    split: Split,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of a whole split, from the cache or computed and cached.

    Args:
        checkpoint: The frozen CNN.
        dataset: ``"mnist"`` or ``"fashion_mnist"``.
        split: ``"train"`` or ``"test"``.
        data_dir: Data root.
        download: Allow downloading the dataset.
        cache_dir: Cache root (default: the user cache).

    Returns:
        Features ``(N, F)`` float32 and digit labels ``(N,)``.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = feature_cache_path(checkpoint, dataset, split, root)
    if path.is_file():
        loaded = _load_valid(path, checkpoint, dataset, split)
        if loaded is not None:
            return loaded
    images, labels = load_images(dataset, split, data_dir=data_dir, download=download)
    features = extract_features(checkpoint, images)
    payload = {
        "format": FORMAT,
        "checkpoint_hash": checkpoint.content_hash,
        "dataset": dataset,
        "split": split,
        "num_samples": len(labels),
        "features": features,
        "labels": labels,
        "digest": tensor_digest(features, labels),
    }
    atomic_write(path, lambda h: torch.save(payload, h))
    return features, labels
