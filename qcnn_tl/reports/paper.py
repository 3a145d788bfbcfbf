"""The paper's numbers that are known (``docs/method.md``, C2C baselines): only the C2C reference lines of its figure.

Source: the authors' plotting notebook ``results_plot.ipynb`` (sky-born/QCNN_transfer_learning), where the
C2C means are hard-coded as the figure's horizontal lines. No standard deviations were published with
them, and the paper's QCNN cells are not available.
"""

from __future__ import annotations

PAPER_C2C: dict[str, dict[str, float]] = {
    "1d": {"0,1": 0.9521, "2,3": 0.7548, "8,9": 0.7476},
    "2d": {"0,1": 0.9730, "2,3": 0.7463, "8,9": 0.8153},
}
"""Mean test accuracy over 10 runs of the C2C heads ("1D 64", "2D 76") per task."""
