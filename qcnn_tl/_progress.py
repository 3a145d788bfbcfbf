"""Progress bars that stay readable in a log: frequent updates on a terminal, one every 30 s otherwise."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

LOG_INTERVAL_S = 30.0


def progress_bar(iterable: Any = None, **kwargs: Any) -> tqdm:
    """``tqdm`` with a minimum update interval of :data:`LOG_INTERVAL_S` when stderr is not a terminal.

    A log of a fresh machine's ``qcnn-tl run`` held about 1,800 bar updates per pre-training epoch.
    """
    if not sys.stderr.isatty():
        kwargs.setdefault("mininterval", LOG_INTERVAL_S)
    return tqdm(iterable, **kwargs)
