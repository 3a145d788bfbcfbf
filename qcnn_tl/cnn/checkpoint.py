"""Saving and loading the pre-trained CNN with its metadata and a content hash."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from qcnn_tl._io import atomic_write, library_versions, tensor_digest
from qcnn_tl.cnn.model import FeatureCNN
from qcnn_tl.errors import QcnnTlError

FORMAT = "qcnn_tl.cnn/1"
# A tag stored in every checkpoint and compared on load (the layers of docs/method.md, *CNN*); its text
# predates that document and stays as it is, since a new one would reject every existing checkpoint.
ARCHITECTURE = "FeatureCNN(SPEC §1)"


@dataclass
class CNNCheckpoint:
    """A pre-trained CNN and what it was trained with.

    Attributes:
        model: The network (eval mode after loading).
        metadata: Architecture, ``num_features``, seed, epochs, accuracies, library versions.
        content_hash: SHA-256 of the weights; keys the feature cache.
        path: Where it is stored.
    """

    model: FeatureCNN
    metadata: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    path: Path | None = None


def weights_hash(model: FeatureCNN) -> str:
    """SHA-256 over the state dict (parameters and BatchNorm statistics), in key order."""
    state = model.state_dict()
    return tensor_digest(*(state[k] for k in sorted(state)))


def save_checkpoint(path: str | os.PathLike[str], model: FeatureCNN, **metadata: Any) -> CNNCheckpoint:
    """Atomically saves ``model`` with ``metadata`` (plus architecture, versions and hash)."""
    content_hash = weights_hash(model)
    meta = {
        "format": FORMAT,
        "architecture": ARCHITECTURE,
        "num_features": model.num_features,
        "num_classes": model.num_classes,
        **metadata,
        "versions": library_versions(),
        "content_hash": content_hash,
    }
    payload = {"metadata": meta, "state_dict": model.state_dict()}
    atomic_write(path, lambda h: torch.save(payload, h))
    return CNNCheckpoint(model, meta, content_hash, Path(path))


def load_checkpoint(path: str | os.PathLike[str]) -> CNNCheckpoint:
    """Loads a checkpoint written by :func:`save_checkpoint` and checks it.

    Raises:
        QcnnTlError: If the file is missing, unreadable or truncated, of another architecture, or
            its weights do not match the stored hash.
    """
    file = Path(path)
    if not file.is_file():
        raise QcnnTlError(f"CNN checkpoint not found: {file}")
    try:
        payload = torch.load(file, map_location="cpu", weights_only=True)
        meta = payload["metadata"]
        state = payload["state_dict"]
    except Exception as exc:
        raise QcnnTlError(f"CNN checkpoint {file} is corrupt or not a qcnn_tl checkpoint: {exc}") from exc
    if meta.get("format") != FORMAT or meta.get("architecture") != ARCHITECTURE:
        raise QcnnTlError(
            f"CNN checkpoint {file} has format {meta.get('format')!r} / architecture "
            f"{meta.get('architecture')!r}; expected {FORMAT!r} / {ARCHITECTURE!r}"
        )
    model = FeatureCNN(int(meta["num_features"]), int(meta.get("num_classes", 10)))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise QcnnTlError(f"CNN checkpoint {file} does not fit the architecture: {exc}") from exc
    model.eval()
    if weights_hash(model) != meta.get("content_hash"):
        raise QcnnTlError(f"CNN checkpoint {file} is corrupt: its weights do not match the stored hash")
    return CNNCheckpoint(model, meta, meta["content_hash"], file)
