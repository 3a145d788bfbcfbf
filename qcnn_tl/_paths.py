"""Default locations (no heavy imports, usable from every layer)."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """The user cache folder, ``$QCNN_TL_CACHE`` or ``~/.cache/qcnn_tl``."""
    return Path(os.environ.get("QCNN_TL_CACHE", Path.home() / ".cache" / "qcnn_tl"))
