r"""The feature map between a backbone and an encoding, fitted on the training split only.

When a backbone's width :math:`F` differs from the encoding's :math:`d`, principal component analysis fitted
on the task's training features maps :math:`x \mapsto W^\top (x - \mu)` with :math:`W` the top :math:`d`
right singular vectors of the centred training matrix (each signed so that its largest entry is positive,
which makes the fit deterministic). Angle-type encodings, which take features as rotation angles, then get
each feature standardised by its training mean and standard deviation (as the project CNN's BatchNorm does
for its own features). Amplitude-type encodings normalise each sample themselves and take the map as is.

Matrix-product-state encodings (``mps2-*``) also take the features in order of importance: the map then ends
by ordering them by decreasing mean magnitude on the training split
(:func:`~qcnn_tl.circuits.encoding.magnitude_order`), so that the truncated state keeps the most of them.

The setting is ``feature_reduction`` (``--feature-reduction``). The fitted map is stored with the model
(``result.json``) and applied unchanged at evaluation, under noise and on devices. The project CNN of the
encoding's width needs no map: its features go in as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from qcnn_tl.circuits.encoding import magnitude_order
from qcnn_tl.errors import QcnnTlError

__all__ = ["REDUCTIONS", "FeatureMap", "FeatureReduction", "fit_feature_map", "map_kind", "normalises"]

FeatureReduction = Literal["pca", "none"]
REDUCTIONS: tuple[str, ...] = ("pca", "none")
"""``pca`` (fitted when the widths differ) or ``none`` (the widths must agree)."""


def normalises(encoding: str) -> bool:
    """Whether ``encoding`` normalises each sample itself (amplitude-type) rather than taking angles."""
    return encoding.startswith(("amplitude", "mps"))


def map_kind(encoding: str) -> str:
    """What the fitted map of ``encoding`` depends on: ``"angle"``, ``"amplitude"`` or ``"ordered"`` (MPS)."""
    if encoding.startswith("mps"):
        return "ordered"
    return "amplitude" if normalises(encoding) else "angle"


@dataclass(frozen=True)
class FeatureMap:
    r"""A fitted map from backbone features ``(N, F)`` to encoding features ``(N, d)``.

    Attributes:
        input_width: :math:`F`.
        output_width: :math:`d`.
        center: :math:`\mu` (``F`` values), where PCA is fitted.
        components: :math:`W^\top` (``d`` rows of ``F``), where PCA is fitted.
        shift: Subtracted after the projection (``d`` values), where standardised.
        scale: Divided by after the shift (``d`` values), where standardised.
        order: The permutation applied last (column ``j`` is column ``order[j]``), for MPS encodings.
    """

    input_width: int
    output_width: int
    center: tuple[float, ...] | None = None
    components: tuple[tuple[float, ...], ...] | None = None
    shift: tuple[float, ...] | None = None
    scale: tuple[float, ...] | None = None
    order: tuple[int, ...] | None = None

    def apply(self, features: np.ndarray) -> np.ndarray:
        """Maps ``(N, F)`` to ``(N, d)`` (float64).

        Raises:
            ValueError: If the width is not ``input_width``.
        """
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.input_width:
            raise ValueError(f"the feature map was fitted on width {self.input_width}; got features of shape {x.shape}")
        if self.components is not None:
            x = (x - np.asarray(self.center)) @ np.asarray(self.components).T
        if self.scale is not None:
            x = (x - np.asarray(self.shift)) / np.asarray(self.scale)
        if self.order is not None:
            x = x[:, list(self.order)]
        return x

    def describe(self) -> str:
        """``"PCA 512 -> 8, standardised"``."""
        steps = [f"PCA {self.input_width} -> {self.output_width}"] if self.components is not None else []
        if self.scale is not None:
            steps.append("standardised")
        if self.order is not None:
            steps.append("ordered by mean magnitude")
        return ", ".join(steps) or "identity"

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeatureMap:
        """Reads :meth:`to_json`'s output.

        Raises:
            ValueError: If a field is missing, unknown or of the wrong shape.
        """
        fields = {"input_width", "output_width", "center", "components", "shift", "scale", "order"}
        if not isinstance(data, Mapping) or set(data) - fields or not {"input_width", "output_width"} <= set(data):
            raise ValueError(f"feature_map must be an object with fields {sorted(fields)}")

        def vector(name: str, length: int) -> tuple[float, ...] | None:
            value = data.get(name)
            if value is None:
                return None
            array = np.asarray(value, dtype=np.float64)
            if array.shape != (length,) or not np.all(np.isfinite(array)):
                raise ValueError(f"feature_map.{name} must be {length} finite numbers")
            return tuple(array.tolist())

        width_in, width_out = int(data["input_width"]), int(data["output_width"])
        components = data.get("components")
        if components is not None:
            array = np.asarray(components, dtype=np.float64)
            if array.shape != (width_out, width_in) or not np.all(np.isfinite(array)):
                raise ValueError(f"feature_map.components must be {width_out} rows of {width_in} finite numbers")
            components = tuple(tuple(row) for row in array.tolist())
        order = data.get("order")
        if order is not None:
            if sorted(order) != list(range(width_out)) or not all(isinstance(i, int) for i in order):
                raise ValueError(f"feature_map.order must be a permutation of 0..{width_out - 1}")
            order = tuple(order)
        return cls(
            width_in,
            width_out,
            vector("center", width_in),
            components,
            vector("shift", width_out),
            vector("scale", width_out),
            order,
        )


def fit_feature_map(
    train_features: np.ndarray,
    width: int,
    *,
    encoding: str,
    reduction: FeatureReduction = "pca",
    standardise: bool = False,
) -> FeatureMap | None:
    """Fits the map of the module docstring on the training features.

    Args:
        train_features: The task's training features ``(N, F)``.
        width: The encoding's width :math:`d`.
        encoding: The encoding (angle-type ones are standardised after a projection).
        reduction: ``"pca"`` or ``"none"``.
        standardise: Standardise angle-type features even without a projection (a backbone other than the
            project CNN, whose features are not BatchNorm outputs).

    Returns:
        The map, or ``None`` where the features go in as they are.

    Raises:
        QcnnTlError: If the widths differ and ``reduction`` is ``"none"``, or PCA is asked for more components
            than there are training samples or features.
    """
    x = np.asarray(train_features, dtype=np.float64)
    samples, features = x.shape
    components = center = None
    if features != width:
        if reduction == "none":
            raise QcnnTlError(
                f"the backbone gives {features} features and the encoding takes {width}; use "
                "--feature-reduction pca, or an encoding or backbone of the same width"
            )
        if width > min(samples, features):
            raise QcnnTlError(
                f"--feature-reduction pca to {width} components needs at least {width} training samples and "
                f"backbone features; got {samples} samples of {features} features (choose an encoding of at most "
                f"{min(samples, features)} features)"
            )
        center = x.mean(axis=0)
        _, _, vt = np.linalg.svd(x - center, full_matrices=False)
        top = vt[:width]
        signs = np.sign(top[np.arange(width), np.abs(top).argmax(axis=1)])
        components = top * signs[:, None]
        x = (x - center) @ components.T
    shift = scale = None
    if not normalises(encoding) and (components is not None or standardise):
        shift = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-12] = 1.0
        x = (x - shift) / scale
    order = tuple(int(i) for i in magnitude_order(x)) if map_kind(encoding) == "ordered" else None
    if components is None and scale is None and order is None:
        return None
    return FeatureMap(
        features,
        width,
        _tuple(center),
        None if components is None else tuple(tuple(row) for row in components.tolist()),
        _tuple(shift),
        _tuple(scale),
        order,
    )


def _tuple(array: np.ndarray | None) -> tuple[float, ...] | None:
    return None if array is None else tuple(float(v) for v in array)
