"""Default locations (no heavy imports, usable from every layer)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from qcnn_tl._io import check_writable


def default_cache_dir() -> Path:
    """The user cache folder, ``$QCNN_TL_CACHE`` or ``~/.cache/qcnn_tl``."""
    return Path(os.environ.get("QCNN_TL_CACHE", Path.home() / ".cache" / "qcnn_tl"))


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder to use (``cache_dir``, else :func:`default_cache_dir`), checked to be a writable folder.

    Raises:
        ValueError: Naming ``--cache-dir`` or ``$QCNN_TL_CACHE``, if it is a file or cannot be created or written.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    what = "--cache-dir" if cache_dir is not None else "$QCNN_TL_CACHE" if os.environ.get("QCNN_TL_CACHE") else "cache"
    if root.exists() and not root.is_dir():
        raise ValueError(f"{what} {root} is a file; the cache must be a folder")
    return check_writable(root, what, folder=True)


def package_data(package: str) -> Path:
    """The folder of one of qcnn_tl's data packages (``"qcnn_tl.profiles"``), wherever qcnn_tl is installed.

    Raises:
        FileNotFoundError: If the installation lacks it (an incomplete install: reinstall qcnn_tl).
    """
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        raise FileNotFoundError(f"qcnn_tl's package data {package!r} is missing; reinstall qcnn_tl") from None
