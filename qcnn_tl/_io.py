"""Small file helpers shared by checkpoints, caches and results: atomic writes and hashing."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Writes a file through ``write(handle)`` into a temporary file, then renames it into place.

    A crash or interrupt leaves either the old file or the new one, never a truncated one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Atomically writes ``data`` as indented JSON."""
    text = json.dumps(data, indent=2, sort_keys=False) + "\n"
    return atomic_write(path, lambda h: h.write(text.encode()))


def tensor_digest(*tensors: torch.Tensor) -> str:
    """SHA-256 over the raw bytes, shapes and dtypes of ``tensors``."""
    digest = hashlib.sha256()
    for tensor in tensors:
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{tuple(t.shape)}{t.dtype}".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the packages that decide a result."""
    from importlib.metadata import PackageNotFoundError, version

    names = (
        "qcnn-tl",
        "torch",
        "torchvision",
        "qiskit",
        "qiskit-aer",
        "qiskit-ibm-runtime",
        "qiskit-machine-learning",
        "numpy",
    )
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
