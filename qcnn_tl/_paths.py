"""Default locations (no heavy imports, usable from every layer)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def default_cache_dir() -> Path:
    """The user cache folder, ``$QCNN_TL_CACHE`` or ``~/.cache/qcnn_tl``."""
    return Path(os.environ.get("QCNN_TL_CACHE", Path.home() / ".cache" / "qcnn_tl"))


def package_data(package: str) -> Path:
    """The folder of one of qcnn_tl's data packages (``"qcnn_tl.profiles"``), wherever qcnn_tl is installed.

    Raises:
        FileNotFoundError: If the installation lacks it (an incomplete install: reinstall qcnn_tl).
    """
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        raise FileNotFoundError(f"qcnn_tl's package data {package!r} is missing; reinstall qcnn_tl") from None
