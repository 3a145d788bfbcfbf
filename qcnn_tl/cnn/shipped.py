"""The CNN checkpoints behind the project's published results, shipped in the package.

CPU training is not bit-identical across machines, so a CNN pre-trained on a user's machine differs from the
one behind the README's and ``docs/``'s numbers, and so do the QCNN accuracies built on it. The package ships
the default checkpoints (5 epochs, seed 0, every feature width an encoding needs: 8, 12, 16, 30, 32, 256) in
``qcnn_tl/cnn/weights/`` with their SHA-256 hashes in ``manifest.json``; :func:`~qcnn_tl.cnn.pretrain.ensure_pretrained`
installs the matching one into the cache instead of training. ``qcnn-tl pretrain`` still trains a new CNN.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from qcnn_tl._io import atomic_write
from qcnn_tl.errors import QcnnTlError

WEIGHTS = resources.files("qcnn_tl.cnn") / "weights"


def manifest() -> dict[str, dict[str, Any]]:
    """The shipped checkpoints by file name: SHA-256, settings and Fashion-MNIST test accuracy."""
    return json.loads((WEIGHTS / "manifest.json").read_text())


def shipped_entry(name: str, settings: dict[str, object]) -> dict[str, Any] | None:
    """The manifest entry of the checkpoint file ``name`` if one is shipped with exactly ``settings``."""
    entry = manifest().get(name)
    if entry is None or any(entry.get(key) != value for key, value in settings.items()):
        return None
    return entry


def install_shipped(name: str, target: Path) -> Path:
    """Copies the shipped checkpoint ``name`` to ``target`` after checking its SHA-256.

    Raises:
        QcnnTlError: If the shipped file does not match the manifest (a damaged installation).
    """
    entry = manifest()[name]
    data = (WEIGHTS / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise QcnnTlError(
            f"the shipped CNN checkpoint {name} has SHA-256 {digest[:12]}…, the manifest says {entry['sha256'][:12]}…; "
            "the installation is damaged: reinstall qcnn-tl, or train a CNN with `qcnn-tl pretrain`"
        )

    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return atomic_write(target, write)
