"""The package's one base error for runtime failures (bad arguments raise ``ValueError``/``TypeError``)."""

from __future__ import annotations


class QcnnTlError(RuntimeError):
    """A runtime failure inside qcnn_tl: missing data, a corrupt checkpoint, a failed job."""
